"""The reports section of the home page: last month's rate for a lead's units, links for everyone else."""

from django import template
from django.conf import settings

from accounts import access as account_access
from reports import access, indicators
from reports.indicators import PRIMARY
from reports.periods import previous_month
from reports.presentation import rate_view, target_status
from reports.targets import resolve_targets

register = template.Library()
HOME_UNITS = 3


@register.simple_tag(takes_context=True)
def reports_home(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not access.can_view_reports(user):
        return {"visible": False}
    month = previous_month()
    led = list(account_access.led_units(user).order_by("path")[:HOME_UNITS])
    targets = resolve_targets(led, [month], [PRIMARY.code])
    figures = indicators.scope_figures_by_unit(led, month)
    headlines = []
    for unit in led:
        rate = figures[unit.pk].proportion(PRIMARY)
        target = targets.get((unit.pk, PRIMARY.code, month))
        headlines.append(
            {
                "unit": unit,
                "rate": rate_view(rate, suppress=False, min_denominator=settings.REPORT_MIN_DENOMINATOR),
                "target": target,
                "status": target_status(rate, target.percent if target else None, settings.REPORT_MIN_DENOMINATOR),
            }
        )
    return {
        "visible": True,
        "month": month,
        "headlines": headlines,
        "can_compare": access.can_compare_units(user),
        "can_manage_targets": access.can_manage_targets(user),
    }
