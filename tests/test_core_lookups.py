"""core.lookups: conditions on many values sent as one parameter (PostgreSQL)."""

import pytest
from django.db import connection
from django.db.models import F

from core.lookups import AnyOfText
from referrals.models import PatientContact
from tests.factories import PatientContactFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="string_to_array is PostgreSQL's")


@pytest.mark.django_db
def test_any_of_text_finds_the_rows_that_in_finds():
    contacts = [PatientContactFactory(patient_pseudonym=f"{number:064x}") for number in range(5)]
    wanted = [contacts[0].patient_pseudonym, contacts[3].patient_pseudonym, "f" * 64]

    found = PatientContact.objects.filter(AnyOfText(F("patient_pseudonym"), wanted))

    assert sorted(found.values_list("pk", flat=True)) == sorted(
        PatientContact.objects.filter(patient_pseudonym__in=wanted).values_list("pk", flat=True)
    )
    assert found.count() == 2


@pytest.mark.django_db
def test_any_of_text_refuses_a_value_with_the_separator():
    with pytest.raises(ValueError, match="without a comma"):
        list(PatientContact.objects.filter(AnyOfText(F("patient_pseudonym"), ["a,b"])))
