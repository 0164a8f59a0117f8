"""Who may see what. Views call these helpers; hiding a link is never the check.

A membership gives access to its unit and every unit below it, so the lead of a
clinic covers the clinic's units.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, Unit


def is_curator(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_curator or user.is_superuser)


def is_quality_analyst(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_quality_analyst or user.is_superuser)


def is_administrator(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser


def _member_units(user, roles):
    if not (user.is_authenticated and user.is_active):
        return Unit.objects.none()
    return Unit.objects.filter(memberships__user=user, memberships__role__in=roles).with_descendants()


def patient_units(user):
    """Units whose patient-level data the user may see and edit (clinicians and leads)."""
    return _member_units(user, [Membership.Role.CLINICIAN, Membership.Role.LEAD])


def led_units(user):
    """Units the user leads, with their subtrees."""
    return _member_units(user, [Membership.Role.LEAD])


def report_units(user):
    """Units whose aggregate reports the user may read."""
    if is_quality_analyst(user):
        return Unit.objects.all()
    return patient_units(user)


def can_see_patient_data(user) -> bool:
    return patient_units(user).exists()


def role_required(check):
    """View decorator: log in first, then `check(user)` or 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


patient_data_required = role_required(can_see_patient_data)
curator_required = role_required(is_curator)
administrator_required = role_required(is_administrator)
