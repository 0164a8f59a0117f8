"""Who may see what. Views call these helpers; hiding a link is never the check.

A membership gives access to its unit and every unit below it, so the lead of a
clinic covers the clinic's units. The site-wide roles (curator, quality analyst, administrator) are in
core/roles.py; they are named here too, so that a view asks one module.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts import principals
from accounts.models import Membership, Unit
from core.roles import is_administrator, is_curator, is_quality_analyst  # noqa: F401 - one module for views to ask

PATIENT_ROLES = (Membership.Role.CLINICIAN, Membership.Role.LEAD)
LEAD_ROLES = (Membership.Role.LEAD,)


# Every unit at or below a unit where the user is a clinician or lead (its path starts with that unit's path),
# once, with whether one of those memberships is a lead's. Plain SQL: the ORM spelling of the prefix join took
# longer to compile than the query takes to run, and this runs on every logged-in page.
COVERED_UNITS_SQL = """
    SELECT unit.*, MAX(CASE WHEN membership.role = %(lead)s THEN 1 ELSE 0 END) AS lead_flag
    FROM accounts_unit unit
    JOIN accounts_unit top ON substr(unit.path, 1, length(top.path)) = top.path
    JOIN accounts_membership membership ON membership.unit_id = top.id
    WHERE membership.user_id = %(user)s AND membership.role IN (%(clinician)s, %(lead)s)
    GROUP BY unit.id
    ORDER BY unit.path
"""


def covered_units(user) -> list[Unit]:
    """Every unit at or below one of the user's memberships, top of the tree first, marked `as_lead` where led.

    One query, made once per user object, that is once per request for `request.user` (the menu, the access
    check and the view all ask), and kept with the signed-in user for the next requests (accounts/principals.py).
    """
    if not (user.is_authenticated and user.is_active):
        return []
    units = getattr(user, "_covered_units", None)
    if units is None:
        units = principals.remembered(user, "units", None, lambda: _load_covered_units(user))
        user._covered_units = units
    return units


def _load_covered_units(user) -> list[Unit]:
    roles = {"user": user.pk, "clinician": Membership.Role.CLINICIAN.value, "lead": Membership.Role.LEAD.value}
    units = list(Unit.objects.raw(COVERED_UNITS_SQL, roles))
    for unit in units:
        unit.as_lead = bool(unit.lead_flag)
    return units


def _units(units: list[Unit]):
    return Unit.objects.filter(pk__in=[unit.pk for unit in units]) if units else Unit.objects.none()


def patient_units(user):
    """Units whose patient-level data the user may see and edit (clinicians and leads)."""
    return _units(covered_units(user))


def led_units(user):
    """Units the user leads, with their subtrees."""
    return _units([unit for unit in covered_units(user) if unit.as_lead])


def led_unit_list(user) -> list[Unit]:
    """The units of `led_units(user)` as loaded for this request, top of the tree first: no query of its own."""
    return [unit for unit in covered_units(user) if unit.as_lead]


def patient_unit_ids(user) -> list[int]:
    """The ids of `patient_units(user)`: lists filter on them so that the indexes on unit are used."""
    return [unit.pk for unit in covered_units(user)]


def leads_any_unit(user) -> bool:
    return any(unit.as_lead for unit in covered_units(user))


def can_see_patient_data(user) -> bool:
    return bool(covered_units(user))


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
