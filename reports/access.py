"""Who may read which report and set which target. Views call these; hiding a link is never the check."""

from functools import cached_property, wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import access
from accounts.models import Unit
from reports.models import Target


def can_view_reports(user) -> bool:
    return access.is_quality_analyst(user) or access.can_see_patient_data(user)


def can_compare_units(user) -> bool:
    """Quality analysts and administrators compare all units."""
    return access.is_quality_analyst(user)


def target_units(user):
    """Units whose targets the user may set: every unit for administrators, led units (with subtrees) for leads."""
    if access.is_administrator(user):
        return Unit.objects.all()
    return access.led_units(user)


def can_manage_targets(user) -> bool:
    return access.is_administrator(user) or access.leads_any_unit(user)


def get_target_for_user(user, pk: int) -> Target:
    target = Target.objects.select_related("unit").filter(pk=pk, unit__in=target_units(user)).first()
    if target is None:
        raise Http404("No such target among your units.")
    return target


class ReportViewer:
    """The user's report rights, looked up once per request (the page asks several times)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def units(self) -> list[Unit]:
        """Units whose aggregate reports the user may read, top of the tree first."""
        if access.is_quality_analyst(self.user):
            return list(Unit.objects.order_by("path"))
        return access.covered_units(self.user)

    @cached_property
    def led_unit_ids(self) -> set[int]:
        """Led units and their subtrees."""
        return {unit.pk for unit in access.covered_units(self.user) if unit.as_lead}

    @property
    def can_view_reports(self) -> bool:
        return access.is_quality_analyst(self.user) or access.can_see_patient_data(self.user)

    @property
    def can_compare_units(self) -> bool:
        return can_compare_units(self.user)

    @property
    def can_manage_targets(self) -> bool:
        return access.is_administrator(self.user) or bool(self.led_unit_ids)

    def leads(self, unit: Unit) -> bool:
        """The user leads this unit (directly or through a unit above it): they see its exact small counts."""
        return unit.pk in self.led_unit_ids

    def unit(self, code: str) -> Unit:
        """The unit whose report the user asked for; 404 outside the user's report units."""
        for unit in self.units:
            if unit.code == code:
                return unit
        raise Http404("No such unit among your units.")

    def default_unit(self) -> Unit | None:
        """The unit a report opens with: the first led unit, else the first unit (top of the tree first)."""
        led = [unit for unit in self.units if unit.pk in self.led_unit_ids]
        return (led or self.units or [None])[0]


def viewer_for(request) -> ReportViewer:
    viewer = getattr(request, "report_viewer", None)
    if viewer is None or viewer.user is not request.user:
        viewer = request.report_viewer = ReportViewer(request.user)
    return viewer


def reports_required(view):
    """Log in first; then the user must have report units (or be an analyst), else 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not viewer_for(request).can_view_reports:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
