"""At most four suggested meetings, as many as the one-page handout holds: form, service and import agree."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse

from accounts.models import Unit
from core.periods import OSLO
from referrals import importers
from referrals.forms import ContactForm
from referrals.handout import MAX_MEETINGS
from referrals.models import PatientContact
from referrals.pseudonyms import pseudonym_for
from referrals.services import MAX_SUGGESTED_MEETINGS, contact_update, validate_contact_data
from tests.factories import MeetingFactory, PatientContactFactory, login
from tests.referrals_helpers import NOW, contact_form_data


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def meetings(db):
    return [MeetingFactory(name=f"Meeting {number}") for number in range(5)]


def bound_form(unit, meetings):
    data = QueryDict(mutable=True)
    data.update(contact_form_data(unit))
    data.setlist("suggested_meetings", [str(meeting.pk) for meeting in meetings])
    return ContactForm(data, units=Unit.objects.filter(pk=unit.pk))


def test_the_limit_is_what_the_handout_prints():
    assert MAX_SUGGESTED_MEETINGS == MAX_MEETINGS == 4


def test_the_form_tells_the_limit_beside_the_meetings(client, clinician_a, unit_a):
    html = login(client, clinician_a).get(reverse("referrals:contact_create")).content.decode()
    assert "At most 4: the patient handout has room for 4 meetings." in html


def test_the_form_accepts_four_meetings(unit_a, meetings):
    form = bound_form(unit_a, meetings[:4])
    assert form.is_valid(), form.errors


def test_the_form_refuses_five_meetings_with_a_clear_message(unit_a, meetings):
    form = bound_form(unit_a, meetings)
    assert not form.is_valid()
    assert form.errors["suggested_meetings"] == [
        "Choose at most 4 meetings (you chose 5): the patient handout has room for 4."
    ]


def test_posting_five_meetings_records_nothing_and_shows_the_message(client, clinician_a, unit_a, meetings):
    data = contact_form_data(unit_a, suggested_meetings=[m.pk for m in meetings])
    response = login(client, clinician_a).post(reverse("referrals:contact_create"), data)
    assert response.status_code == 200
    assert "Choose at most 4 meetings" in response.content.decode()
    assert not PatientContact.objects.exists()


def test_the_service_refuses_five_meetings(unit_a, meetings):
    data = {"patient_reference": "EP-1", "contacted_at": NOW, "intensity": 2, "suggested_meetings": meetings}
    with pytest.raises(ValidationError) as error:
        validate_contact_data(unit=unit_a, data=data)
    assert "Choose at most 4 meetings" in error.value.message_dict["suggested_meetings"][0]
    validate_contact_data(unit=unit_a, data={**data, "suggested_meetings": meetings[:4]})


def test_a_contact_stored_with_more_meetings_keeps_them_but_cannot_change_to_another_five(
    unit_a, clinician_a, meetings
):
    contact = PatientContactFactory(unit=unit_a)
    contact.suggested_meetings.set(meetings)  # recorded before the limit
    updated = contact_update(
        contact=contact, data={"notes": "ringt", "suggested_meetings": meetings}, actor=clinician_a, expected_version=1
    )
    assert updated.notes == "ringt"
    with pytest.raises(ValidationError):
        contact_update(
            contact=updated,
            data={"suggested_meetings": [*meetings[1:], MeetingFactory()]},
            actor=clinician_a,
            expected_version=updated.version,
        )


def test_the_import_updates_a_contact_stored_with_more_meetings_than_the_limit(unit_a, meetings):
    contact = PatientContactFactory(
        unit=unit_a,
        patient_pseudonym=pseudonym_for("EP-5"),
        contacted_at=datetime.datetime(2026, 10, 1, 12, tzinfo=OSLO),
        intensity=2,
    )
    contact.suggested_meetings.set(meetings)
    data = (
        b"date,unit,patient_ref,setting,intensity,fellowships,response,clinician\n"
        b"2026-10-01,RUS-POL,EP-5,outpatient,3,,,\n"
    )
    assert importers.plan_import(data).errors == []
    result = importers.apply_import(data)
    assert result.updated == 1
    contact.refresh_from_db()
    assert contact.intensity == 3 and contact.suggested_meetings.count() == 5
