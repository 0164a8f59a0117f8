"""core.bulk_copy.ChecksAside: the deferred constraint checks run early, beside the caller, with the same outcome."""

import pytest
from django.db import IntegrityError, connection, transaction

from core.bulk_copy import ChecksAside
from referrals.models import PatientContact
from tests.factories import PatientContactFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite checks foreign keys at the commit only"),
]


def point_at_a_missing_clinician(contact: PatientContact) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE referrals_patientcontact SET clinician_id = 987654 WHERE id = %s", [contact.pk])


def test_a_broken_reference_written_before_start_is_raised_by_wait_as_djangos_error():
    contact = PatientContactFactory()
    with pytest.raises(IntegrityError), transaction.atomic(), ChecksAside() as checks:
        point_at_a_missing_clinician(contact)
        checks.start()
        checks.wait()


def test_references_written_after_the_checks_are_deferred_again():
    contact = PatientContactFactory()
    with transaction.atomic():
        with ChecksAside() as checks:
            checks.start()
            checks.wait()
        point_at_a_missing_clinician(contact)  # not checked until the end of the transaction
        with pytest.raises(IntegrityError):
            connection.check_constraints()
        transaction.set_rollback(True)
