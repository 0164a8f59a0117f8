"""Access to patient contacts: one helper per object type, 404 outside the user's units.

Soft-deleted contacts are 404 on every clinician screen, whoever asks: the deletion reason and
the deleted row stay in the database for the retention job and the access log, not for browsing.
"""

from django.shortcuts import get_object_or_404

from accounts.access import can_see_patient_data, covered_units, patient_units
from accounts.models import Unit
from referrals.models import FollowUp, PatientContact


def request_patient_units(request):
    """patient_units(request.user), computed once per request (the menu, the view and the home tag share it)."""
    cached = getattr(request, "_referrals_patient_units", None)
    if cached is None:
        cached = patient_units(request.user)
        request._referrals_patient_units = cached
    return cached


def request_patient_unit_ids(request) -> list[int]:
    """The ids of the user's patient units, once per request; lists filter on them so that indexes are used."""
    cached = getattr(request, "_referrals_patient_unit_ids", None)
    if cached is None:
        cached = [unit.pk for unit in covered_units(request.user)]
        request._referrals_patient_unit_ids = cached
    return cached


def request_has_patient_units(request) -> bool:
    return can_see_patient_data(request.user)


def contacts_for_user(user):
    """The current (not deleted) contacts of the units whose patient data the user may see."""
    return PatientContact.objects.current().filter(unit__in=patient_units(user))


def get_contact_for_user(user, pk: int) -> PatientContact:
    return get_object_or_404(contacts_for_user(user).for_detail(), pk=pk)


def get_follow_up_for_user(user, contact: PatientContact, pk: int) -> FollowUp:
    return get_object_or_404(FollowUp.objects.select_related("clinician"), contact=contact, pk=pk)


def recording_units(user, units=None):
    """Units the user may record contacts in: their patient units of kind "unit" (not clinics or trusts)."""
    units = patient_units(user) if units is None else units
    return Unit.objects.filter(pk__in=units.values("pk"), kind=Unit.Kind.UNIT).select_related("municipality")
