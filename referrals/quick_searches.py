"""One-click meeting searches around the municipalities of the user's own units, shown on the registry's search
page (through config/context_processors.py: the registry knows nothing about units)."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.access import patient_units

WEEKDAYS_MONDAY_TO_FRIDAY = ["1", "2", "3", "4", "5"]
MUNICIPALITIES_SHOWN = 3


def _search_url(query: list[tuple]) -> str:
    return f"{reverse('registry:search')}?{urlencode(query)}"


def quick_searches(user) -> list[dict]:
    """[{"url", "label"}]: open AA and NA meetings on weekday evenings, and newcomer meetings this week, in up to
    three municipalities of the user's units. Empty for anonymous visitors (no query)."""
    if not user.is_authenticated:
        return []
    units = patient_units(user).filter(municipality__isnull=False).select_related("municipality")
    municipalities = {unit.municipality_id: unit.municipality for unit in units}
    searches = []
    for municipality in sorted(municipalities.values(), key=lambda m: m.name)[:MUNICIPALITIES_SHOWN]:
        for fellowship in ("AA", "NA"):
            query = [
                ("municipality", municipality.pk),
                ("fellowship", fellowship),
                ("openness", "open"),
                ("time_of_day", "evening"),
            ] + [("weekday", day) for day in WEEKDAYS_MONDAY_TO_FRIDAY]
            searches.append(
                {
                    "url": _search_url(query),
                    "label": _("Open %(fellowship)s meetings on weekday evenings in %(place)s")
                    % {"fellowship": fellowship, "place": municipality.name},
                }
            )
        query = [("municipality", municipality.pk), ("newcomers", "on"), ("next_7_days", "on")]
        searches.append(
            {
                "url": _search_url(query),
                "label": _("Newcomer meetings in the next 7 days in %(place)s") % {"place": municipality.name},
            }
        )
    return searches
