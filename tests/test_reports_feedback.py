"""Each clinician's own feedback page /reports/mine/ (issue 12, item 4)."""

import datetime

import pytest
from django.urls import reverse

from referrals.models import AccessLogEntry
from tests.factories import OSLO, PatientContactFactory, UserFactory, login
from tests.reports_helpers import NOW, OCTOBER, in_english, month_of_contacts

URL = reverse("reports:feedback")
NOVEMBER = datetime.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def frozen_now(time_machine, client):
    time_machine.move_to(NOW, tick=False)
    in_english(client)


def _row(response, month):
    return next(row for row in response.context["feedback"].months if row.month == month)


def test_a_clinician_sees_their_own_rate_beside_the_units_and_the_target(client, clinician_a, unit_a):
    colleague = UserFactory(username="kollega", first_name="Kari", last_name="Kollega")
    month_of_contacts(unit_a, patients=10, referred=4, clinician=clinician_a)
    month_of_contacts(unit_a, patients=15, referred=6, clinician=colleague, prefix=100)
    login(client, clinician_a)

    response = client.get(URL)

    october = _row(response, OCTOBER)
    assert (october.own.numerator, october.own.denominator, str(october.own.percent)) == ("4", "10", "40.0")
    assert (october.unit.numerator, october.unit.denominator, str(october.unit.percent)) == ("10", "25", "40.0")
    assert "Kari Kollega" not in response.content.decode()  # the per-clinician table stays the lead's


def test_the_units_counts_are_hidden_when_they_would_give_colleagues_small_numbers_back(client, clinician_a, unit_a):
    colleague = UserFactory(username="kollega")
    month_of_contacts(unit_a, patients=10, referred=4, clinician=clinician_a)
    month_of_contacts(unit_a, patients=10, referred=1, clinician=colleague, prefix=100)
    login(client, clinician_a)

    october = _row(client.get(URL), OCTOBER)

    # The unit's 5 referred minus the clinician's own 4 would be the colleague's 1.
    assert (october.unit.numerator, october.unit.percent) == ("hidden", None)


def test_this_months_patients_without_a_referral_are_listed_by_code_linked_and_logged(client, clinician_a, unit_a):
    colleague = UserFactory(username="kollega")

    def contact(pseudonym, intensity, clinician=clinician_a):
        return PatientContactFactory(
            unit=unit_a,
            clinician=clinician,
            patient_pseudonym=pseudonym,
            intensity=intensity,
            contacted_at=datetime.datetime(2026, 11, 10, 10, 0, tzinfo=OSLO),
        )

    open_contact = contact("a" * 64, 0)
    contact("b" * 64, 2)  # referred
    contact("c" * 64, 1)
    contact("c" * 64, 2, clinician=colleague)  # referred by a colleague this month: not open
    contact("d" * 64, 0, clinician=colleague)  # not this clinician's patient
    login(client, clinician_a)

    response = client.get(URL)
    content = response.content.decode()

    assert [patient.code for patient in response.context["feedback"].open_patients] == ["AAAAAAAA"]
    assert reverse("referrals:contact_detail", args=[open_contact.pk]) in content
    assert "BBBBBBBB" not in content and "CCCCCCCC" not in content and "DDDDDDDD" not in content
    entry = AccessLogEntry.objects.get(action=AccessLogEntry.Action.LIST, user=clinician_a)
    assert entry.contact_id == open_contact.pk


def test_someone_without_patient_data_has_no_feedback_page(client, analyst):
    login(client, analyst)

    assert client.get(URL).status_code == 403


def test_another_units_clinician_cannot_open_this_units_feedback(client, clinician_b, unit_a):
    login(client, clinician_b)

    assert client.get(URL, {"unit": unit_a.code}).status_code == 404
