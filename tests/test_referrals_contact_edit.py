"""Editing a contact: saved with the version it was opened at; a second editor is told and shown the stored version."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from referrals import audit
from referrals.models import AccessLogEntry
from referrals.services import contact_update
from tests.factories import PatientContactFactory, UserFactory, login
from tests.referrals_helpers import NOW, TODAY, contact_form_data


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def edit_url(contact):
    return reverse("referrals:contact_edit", args=[contact.pk])


def edit_data(contact, **overrides):
    data = contact_form_data(contact.unit, patient_reference="", version=str(contact.version), **overrides)
    del data["submission_token"], data["unit"]
    return data


def test_edit_form_is_prefilled_and_the_read_is_logged(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, intensity=3, response="undecided")
    html = login(client, clinician_a).get(edit_url(contact)).content.decode()
    assert 'value="3" class="ds-input" id="id_intensity_3" required checked' in html
    assert f"Leave empty to keep patient {contact.fingerprint}" in html
    assert AccessLogEntry.objects.filter(action="view", contact=contact, detail="edit form").exists()


def test_saving_an_edit_bumps_the_version_and_keeps_the_patient(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, intensity=1, contacted_at=NOW)
    response = login(client, clinician_a).post(edit_url(contact), edit_data(contact, intensity="2"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.intensity, contact.version) == (2, 2)
    assert contact.contacted_at == NOW  # the date did not change, so the time is kept
    assert AccessLogEntry.objects.filter(action="update", contact=contact).exists()


def test_second_editor_is_shown_the_stored_version_and_nothing_is_overwritten(client, clinician_a, lead_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, intensity=1, response="undecided", contacted_at=NOW)
    stale = edit_data(contact, intensity="2", response="declined")
    contact_update(contact=contact, data={"response": "positive"}, actor=lead_a, expected_version=1)

    response = login(client, clinician_a).post(edit_url(contact), stale)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this contact" in html and "ledera saved it" in html
    assert "Save my version" in html
    assert "Positive" in html and "Declined" in html
    assert 'name="version" value="2"' in html
    contact.refresh_from_db()
    assert (contact.response, contact.intensity, contact.version) == ("positive", 1, 2)

    # Having seen the stored version, the user may save theirs deliberately.
    stale["version"] = "2"
    assert client.post(edit_url(contact), stale).status_code == 302
    contact.refresh_from_db()
    assert (contact.response, contact.version) == ("declined", 3)


def test_the_conflict_names_who_changed_the_contact_not_who_changed_a_follow_up(client, clinician_a, lead_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, intensity=1, contacted_at=NOW)
    stale = edit_data(contact, intensity="2")
    contact_update(contact=contact, data={"response": "positive"}, actor=lead_a, expected_version=1)
    follow_up_editor = UserFactory(username="oppfolger")
    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        audit.log_access(user=follow_up_editor, action=audit.Action.UPDATE, contact=contact, detail="follow-up #1")

    html = login(client, clinician_a).post(edit_url(contact), stale).content.decode()

    assert "ledera saved it" in html and "oppfolger" not in html


def test_edit_of_another_units_contact_is_404(client, clinician_b, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    login(client, clinician_b)
    assert client.get(edit_url(contact)).status_code == 404
    assert client.post(edit_url(contact), edit_data(contact)).status_code == 404


def test_edit_without_version_is_refused(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, intensity=1)
    data = edit_data(contact, intensity="2")
    del data["version"]
    assert login(client, clinician_a).post(edit_url(contact), data).status_code == 200
    contact.refresh_from_db()
    assert contact.intensity == 1


def test_changing_the_date_is_saved_at_noon(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, contacted_at=NOW)
    earlier = TODAY.replace(day=2)
    login(client, clinician_a).post(
        edit_url(contact), edit_data(contact, contacted_on=earlier.isoformat(), follow_up_planned_on="")
    )
    contact.refresh_from_db()
    assert contact.contacted_at.astimezone(NOW.tzinfo).hour == 12 and contact.contact_month == TODAY.replace(day=1)
