"""Who may see what. Views call these helpers; hiding a link is never the check.

A membership gives access to its unit and every unit below it, so the lead of a
clinic covers the clinic's units.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts.models import Membership, Unit


def is_curator(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_curator or user.is_superuser)


def is_quality_analyst(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_quality_analyst or user.is_superuser)


def is_administrator(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser


PATIENT_ROLES = (Membership.Role.CLINICIAN, Membership.Role.LEAD)
LEAD_ROLES = (Membership.Role.LEAD,)


def membership_paths(user, roles) -> list[str]:
    """Tree paths of the units where the user holds one of `roles`.

    The user's memberships are read once per user object, that is once per request for `request.user`:
    the menu, the access check and the view all ask.
    """
    if not (user.is_authenticated and user.is_active):
        return []
    rows = getattr(user, "_membership_rows", None)
    if rows is None:
        rows = list(Membership.objects.filter(user=user).values_list("unit__path", "role"))
        user._membership_rows = rows
    return sorted({path for path, role in rows if role in roles})


def _member_units(user, roles):
    paths = membership_paths(user, roles)
    if not paths:
        return Unit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition)


def patient_units(user):
    """Units whose patient-level data the user may see and edit (clinicians and leads)."""
    return _member_units(user, PATIENT_ROLES)


def led_units(user):
    """Units the user leads, with their subtrees."""
    return _member_units(user, LEAD_ROLES)


def leads_any_unit(user) -> bool:
    return bool(membership_paths(user, LEAD_ROLES))


def report_units(user):
    """Units whose aggregate reports the user may read."""
    if is_quality_analyst(user):
        return Unit.objects.all()
    return patient_units(user)


def can_see_patient_data(user) -> bool:
    return bool(membership_paths(user, PATIENT_ROLES))


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
