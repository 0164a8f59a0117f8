"""The reports section of the home page (config/views.py): last month's rate for a lead's units, links for
everyone else."""

from django.conf import settings
from django.utils.translation import get_language

from accounts import access as account_access
from core.periods import previous_month
from reports import access, indicators, report_cache
from reports.disclosure import open_column
from reports.indicators import PRIMARY
from reports.presentation import target_status
from reports.targets import resolve_targets

HOME_UNITS = 3
# What the section shows changes with the reports (the home page is cached under it, config/home.py).
GENERATION = report_cache.GENERATION


def home_section(request) -> dict | None:
    """Last month's rate of up to three units the user leads, and links; None for users who see no reports."""
    user = request.user
    if not user.is_authenticated or not access.can_view_reports(user):
        return None
    month = previous_month()
    led = account_access.led_unit_list(user)[:HOME_UNITS]

    def compute_headlines() -> list[dict]:
        targets = resolve_targets(led, [month], [PRIMARY.code])
        figures = indicators.scope_figures_by_unit(led, month)
        headlines = []
        for unit in led:
            # The units a lead leads: open figures (reports.disclosure, rule 6).
            rate = open_column(figures[unit.pk]).rate(PRIMARY, settings.REPORT_MIN_DENOMINATOR)
            target = targets.get((unit.pk, PRIMARY.code, month))
            status = target_status(rate, target.percent if target else None)
            headlines.append(
                {
                    "unit": unit,
                    "rate": rate,
                    "target": target,
                    "status": status,
                }
            )
        return headlines

    # The same figures as the unit reports, kept and refreshed by the same rules (reports/report_cache.py).
    parts = {"home": ",".join(str(unit.pk) for unit in led), "month": month.isoformat(), "language": get_language()}
    return {
        "month": month,
        "headlines": report_cache.get_or_render(parts, compute_headlines) if led else [],
        "can_compare": access.can_compare_units(user),
        "can_manage_targets": access.can_manage_targets(user),
    }
