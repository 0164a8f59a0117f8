"""Who may read which report and set which target. Views call these; hiding a link is never the check."""

from django.http import Http404

from accounts import access
from accounts.models import Unit
from reports.models import Target


def can_view_reports(user) -> bool:
    return access.report_units(user).exists()


def can_compare_units(user) -> bool:
    """Quality analysts and administrators compare all units."""
    return access.is_quality_analyst(user)


def leads(user, unit: Unit) -> bool:
    """The user leads this unit (directly or through a unit above it): they see its exact small counts."""
    return access.led_units(user).filter(pk=unit.pk).exists()


def get_report_unit_for_user(user, code: str) -> Unit:
    """The unit whose aggregate report the user asked for; 404 outside the user's report units."""
    unit = access.report_units(user).filter(code=code).first()
    if unit is None:
        raise Http404("No such unit among your units.")
    return unit


def default_report_unit(user) -> Unit | None:
    """The unit a report opens with: the first led unit, else the first unit (top of the tree first)."""
    return access.led_units(user).order_by("path").first() or access.report_units(user).order_by("path").first()


def target_units(user):
    """Units whose targets the user may set: every unit for administrators, led units (with subtrees) for leads."""
    if access.is_administrator(user):
        return Unit.objects.all()
    return access.led_units(user)


def can_manage_targets(user) -> bool:
    return access.is_administrator(user) or access.led_units(user).exists()


def get_target_for_user(user, pk: int) -> Target:
    target = Target.objects.select_related("unit").filter(pk=pk, unit__in=target_units(user)).first()
    if target is None:
        raise Http404("No such target among your units.")
    return target
