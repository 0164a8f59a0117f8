"""Access to patient contacts: one helper per object type, 404 outside the user's units.

Soft-deleted contacts are 404 on every clinician screen, whoever asks: the deletion reason and
the deleted row stay in the database for the retention job and the access log, not for browsing.
"""

from django.shortcuts import get_object_or_404

from accounts.access import patient_units
from accounts.models import Unit
from referrals.models import FollowUp, PatientContact


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
