"""Reads for the patient access report."""

from referrals.models import AccessLogEntry, PatientContact


def patient_access_entries(*, pseudonym: str):
    """Every access-log entry about one patient, oldest first (AccessLogEntry.objects.about_patient)."""
    return AccessLogEntry.objects.about_patient(pseudonym).select_related("user", "unit").order_by("at", "id")


def patient_contact_count(*, pseudonym: str) -> int:
    """How many contacts still carry the pseudonym (anonymised ones do not)."""
    if not pseudonym:
        return 0
    return PatientContact.objects.filter(patient_pseudonym=pseudonym).count()
