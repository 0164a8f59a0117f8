"""Access to patient contacts: one helper per object type, 404 outside the user's units.

Soft-deleted contacts are 404 on every clinician screen, whoever asks: the deletion reason and
the deleted row stay in the database for the retention job and the access log, not for browsing.
"""

from functools import wraps

from django.shortcuts import get_object_or_404

from accounts.access import covered_units, patient_units
from accounts.models import Unit
from referrals import audit
from referrals.models import FollowUp, PatientContact


def contacts_for_user(user):
    """The current (not deleted) contacts of the units whose patient data the user may see."""
    return PatientContact.objects.current().filter(unit__in=patient_units(user))


def get_contact_for_user(user, pk: int) -> PatientContact:
    return get_object_or_404(contacts_for_user(user).for_detail(), pk=pk)


def shows_contact(detail: str = ""):
    """Decorator for the views of one contact: fetch it for the user (404 outside their units) and log every response
    that shows it.

    The view gets the contact instead of its pk. Every answer but a redirect shows the contact's data (a form shown
    again with its errors as much as the page itself), so each is logged as a view, valid form or not; a write adds
    its own entry. `detail` may name the view's other URL arguments, e.g. "follow-up #{follow_up_pk} form".
    """

    def decorate(view):
        @wraps(view)
        def wrapped(request, pk: int, **kwargs):
            contact = get_contact_for_user(request.user, pk)
            response = view(request, contact, **kwargs)
            if not response.status_code // 100 == 3:
                audit.log_access(
                    user=request.user,
                    action=audit.Action.VIEW,
                    request=request,
                    contact=contact,
                    detail=detail.format(**kwargs),
                )
            return response

        return wrapped

    return decorate


def get_follow_up_for_user(user, contact: PatientContact, pk: int) -> FollowUp:
    return get_object_or_404(FollowUp.objects.select_related("clinician"), contact=contact, pk=pk)


def recording_units(user, units=None):
    """Units the user may record contacts in: their patient units of kind "unit" (not clinics or trusts)."""
    units = patient_units(user) if units is None else units
    return Unit.objects.filter(pk__in=units.values("pk"), kind=Unit.Kind.UNIT).select_related("municipality")


def recording_unit_ids(user) -> list[int]:
    """The ids of `recording_units(user)`, from the units already loaded for this request (covered_units): no query,
    for the cache keys of pages that build the units' form only when they render."""
    return sorted(unit.pk for unit in covered_units(user) if unit.kind == Unit.Kind.UNIT)
