"""Reads for the patient access report."""

from django.db.models import Q

from referrals.models import AccessLogEntry, PatientContact


def patient_access_entries(*, pseudonym: str):
    """Every access-log entry about one patient, oldest first.

    An entry belongs to the patient when it carries the pseudonym, or when it points at one of the patient's
    contacts (in case an entry was written without the pseudonym). The contact ids are fetched first and passed as
    a list: PostgreSQL then ORs two index scans, where a subquery made it scan the whole log (bench/privacy_bench.py).
    """
    if not pseudonym:
        return AccessLogEntry.objects.none()
    condition = Q(patient_pseudonym=pseudonym)
    contact_ids = list(PatientContact.objects.filter(patient_pseudonym=pseudonym).values_list("id", flat=True))
    if contact_ids:
        condition |= Q(contact_id__in=contact_ids)
    return AccessLogEntry.objects.filter(condition).select_related("user", "unit").order_by("at", "id")


def patient_contact_count(*, pseudonym: str) -> int:
    """How many contacts still carry the pseudonym (anonymised ones do not)."""
    if not pseudonym:
        return 0
    return PatientContact.objects.filter(patient_pseudonym=pseudonym).count()
