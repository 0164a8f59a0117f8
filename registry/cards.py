"""A meeting's result card, as the search and the group page list it, and its point on the search's map.

The card is built in Python rather than a template: a search shows up to 20 of them and renders those its cache
does not have (page_cache.result_cards), and the template engine cost ten times as much per card. This is the
only place the card's markup lives. What a card shows is read as plain rows (`load`), not model instances, which
cost more to build than the card takes to render.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from registry import selectors
from registry.models import SCHEDULE_FIELDS, AttendanceMode, Fellowship, Meeting, Status
from registry.templatetags.registry_tags import distance, friendly_date, schedule_text, verified_ago

if TYPE_CHECKING:
    import datetime

    from django.db.models import QuerySet

    from registry.views import Result

# A slug that needs no quoting in a URL (the model's own rule is narrower: lower case, digits, - and _).
PLAIN_SLUG = re.compile(r"[-a-z0-9_]+")


class Town(NamedTuple):
    """A meeting's municipality, as far as a card (its name) and the map (its centre) need it."""

    name: str
    latitude: float
    longitude: float


@dataclass(slots=True)
class CardMeeting:
    """What a card and its map point show of a meeting. The schedule's fields have the model's names, so the
    schedule helpers (registry/schedule.py, schedule_text) take it as they take a meeting."""

    pk: int
    slug: str
    name: str
    weekday: int
    start_time: datetime.time
    end_time: datetime.time | None
    recurrence: str
    anchor_date: datetime.date | None
    week_of_month: int | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    attendance_mode: str
    status: str
    venue: str
    address: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    last_verified_at: datetime.datetime | None
    fellowship: Fellowship
    municipality: Town | None


# The columns of a CardMeeting's row, in its fields' order up to the fellowship; then the fellowship's and the
# municipality's (`load` adds whether the meeting is open).
COLUMNS = (
    "pk",
    "slug",
    "name",
    *SCHEDULE_FIELDS,
    "attendance_mode",
    "status",
    "venue",
    "address",
    "postal_code",
    "latitude",
    "longitude",
    "last_verified_at",
    "group__fellowship__code",
    "group__fellowship__name",
    "municipality__name",
    "municipality__latitude",
    "municipality__longitude",
)


def load(meetings: QuerySet[Meeting]) -> list[tuple[CardMeeting, bool | None]]:
    """The meetings of `meetings`, in its order, with whether each is open (schedule.is_open). One query: a card
    needs only that of the meeting's types, and the database answers it on the meeting's row
    (selectors.is_open_sql) for less than a second query reading the type codes."""
    rows = list(meetings.values_list(*COLUMNS, selectors.is_open_sql()))
    # A page has a handful of fellowships: one (unsaved) instance each, for their labels.
    fellowships = {}
    loaded = []
    for row in rows:
        *fields, code, fellowship_name, town_name, town_latitude, town_longitude, is_open = row
        fellowship = fellowships.get(code)
        if fellowship is None:
            fellowship = fellowships[code] = Fellowship(code=code, name=fellowship_name)
        town = Town(town_name, town_latitude, town_longitude) if town_name is not None else None
        loaded.append((CardMeeting(*fields, fellowship=fellowship, municipality=town), is_open))
    return loaded


def detail_urls() -> Callable[[str], str]:
    """A meeting's page address from its slug: reversed once for a page of cards (reverse() per card was a tenth
    of a card's cost), falling back to reverse() for a slug that would need quoting."""
    placeholder = "card-slug"
    before, after = reverse("registry:meeting_detail", kwargs={"slug": placeholder}).split(placeholder)

    def url(slug: str) -> str:
        if PLAIN_SLUG.fullmatch(slug):
            return before + slug + after
        return reverse("registry:meeting_detail", kwargs={"slug": slug})

    return url


def card(result: Result, url: Callable[[str], str]) -> SafeString:
    """The card of `result` (views.Result) with its distance, if it has one."""
    before, after = card_pieces(result, url)
    return mark_safe(before + distance_fact(result.distance_km) + after)  # noqa: S308 - built by format_html


def card_pieces(result: Result, url: Callable[[str], str]) -> tuple[SafeString, SafeString]:
    """The card of `result` before and after its distance: the search's cache keeps the pieces, and each search
    puts its own distance between them."""
    meeting = result.meeting
    tags = [_tag("accent", meeting.fellowship.short_label, title=meeting.fellowship.display_name)]
    if result.is_open is True:
        tags.append(_tag("success", _("Open")))
    elif result.is_open is False:
        tags.append(_tag("neutral", _("Closed")))
    tags.append(_tag("info", AttendanceMode(meeting.attendance_mode).label))
    if meeting.status != Status.ACTIVE:
        tags.append(_tag("warning", Status(meeting.status).label))
    before = format_html(
        '<li class="ds-card registry-result">\n'
        '  <h3 class="ds-heading" data-size="xs"><a class="ds-link" href="{}">{}</a></h3>\n'
        '  <ul class="registry-tags" aria-label="{}">\n    {}\n  </ul>\n'
        '  <dl class="registry-facts">\n'
        "    <dt>{}</dt>\n    <dd>{}</dd>\n"
        "    <dt>{}</dt>\n    <dd>{}</dd>\n"
        "    <dt>{}</dt>\n    <dd>{}</dd>\n",
        url(meeting.slug),
        meeting.name,
        _("About this meeting"),
        mark_safe("\n    ".join(tags)),  # noqa: S308 - built by format_html
        _("When"),
        schedule_text(meeting),
        _("Next"),
        _next_date(result),
        _("Where"),
        _place(meeting),
    )
    after = format_html(
        '  </dl>\n  <p class="ds-paragraph registry-freshness" data-size="sm">{}</p>\n</li>\n', _freshness(result)
    )
    return before, after


def distance_fact(km: float | None) -> SafeString:
    """The distance's line of a card's facts ("1.5 km"); nothing without a distance."""
    if km is None:
        return mark_safe("")
    return format_html("    <dt>{}</dt>\n    <dd>{}</dd>\n", _("Distance"), distance(km))


def map_point(meeting: CardMeeting, url: Callable[[str], str]) -> dict | None:
    """A search result's point on the map: the meeting's own (from its source or a curator's pin), else its
    municipality's centre, marked approximate; None for an online-only meeting, which has no place on a map."""
    if meeting.attendance_mode == AttendanceMode.ONLINE:
        return None
    approximate = meeting.latitude is None or meeting.longitude is None
    point = meeting.municipality if approximate else meeting
    if point is None:
        return None
    return {
        "name": meeting.name,
        "url": url(meeting.slug),
        "when": schedule_text(meeting),
        "latitude": point.latitude,
        "longitude": point.longitude,
        "approximate": approximate,
    }


def _tag(color: str, text: str, *, title: str | None = None) -> SafeString:
    if title is None:
        return format_html('<li><span class="ds-tag" data-color="{}">{}</span></li>', color, text)
    return format_html('<li><span class="ds-tag" data-color="{}" title="{}">{}</span></li>', color, title, text)


def _next_date(result: Result) -> str:
    if result.next is None:
        return _("No date set")
    start = timezone.localtime(result.next.start)
    return format_html(
        '<time datetime="{}">{} {}</time>', start.isoformat(), friendly_date(start), start.strftime("%H:%M")
    )


def _place(meeting: CardMeeting) -> str:
    """Where it is held: the venue, address and municipality in person, a pointer to the link online."""
    parts = []
    if meeting.attendance_mode != AttendanceMode.ONLINE:
        address = [meeting.venue, meeting.address] if meeting.venue else [meeting.address]
        if meeting.municipality is not None:
            address.append(" ".join(filter(None, [meeting.postal_code, meeting.municipality.name])))
        parts.append(", ".join(address))
    if meeting.attendance_mode != AttendanceMode.IN_PERSON:
        parts.append(_("Online: link on the meeting page"))
    return " · ".join(parts)


def _freshness(result: Result) -> str:
    last_verified_at = result.meeting.last_verified_at
    if last_verified_at is None:
        return format_html('<span class="ds-tag" data-color="warning">{}</span>', _("Not verified yet"))
    if result.is_stale:
        return format_html('<span class="ds-tag" data-color="warning">{}</span>', _("Not verified in over 6 months"))
    return _("Verified %(ago)s ago") % {"ago": verified_ago(last_verified_at)}
