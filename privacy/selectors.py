"""Reads for the patient access report."""

from django.db.models import Q

from referrals.models import AccessLogEntry, PatientContact


def patient_access_entries(*, pseudonym: str):
    """Every access-log entry about one patient, oldest first.

    An entry belongs to the patient when it carries the pseudonym, or when it points at one of the patient's
    contacts (in case an entry was written without the pseudonym). Both conditions use an index; together they
    are a bitmap OR on PostgreSQL, not a scan of the whole log.
    """
    if not pseudonym:
        return AccessLogEntry.objects.none()
    contact_ids = PatientContact.objects.filter(patient_pseudonym=pseudonym).values("id")
    return (
        AccessLogEntry.objects.filter(Q(patient_pseudonym=pseudonym) | Q(contact_id__in=contact_ids))
        .select_related("user", "unit")
        .order_by("at", "id")
    )


def patient_contact_count(*, pseudonym: str) -> int:
    """How many contacts still carry the pseudonym (anonymised ones do not)."""
    if not pseudonym:
        return 0
    return PatientContact.objects.filter(patient_pseudonym=pseudonym).count()
