"""referrals.services: contacts and follow-ups are validated, written once, never silently overwritten, and logged."""

import datetime
import uuid
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from referrals.models import AccessLogEntry, FollowUp, PatientContact
from referrals.pseudonyms import pseudonym_for
from referrals.services import (
    ContactConflict,
    FollowUpConflict,
    contact_create,
    contact_soft_delete,
    contact_time_for_date,
    contact_update,
    follow_up_create,
    follow_up_update,
    validate_contact_data,
)
from tests.factories import FellowshipFactory, MeetingFactory, PatientContactFactory

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
NOW = datetime.datetime(2026, 10, 20, 14, 0, tzinfo=OSLO)
VALID_FNR = "01010012356"


def contact_data(**overrides):
    data = {
        "patient_reference": "EP-2026-0042",
        "contacted_at": NOW,
        "intensity": 2,
        "response": "positive",
        "follow_up_planned_on": datetime.date(2026, 11, 17),
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_create_stores_only_the_keyed_hash_and_logs_the_write(unit_a, clinician_a):
    contact, created = contact_create(unit=unit_a, data=contact_data(clinician=clinician_a), actor=clinician_a)
    assert created
    assert contact.patient_pseudonym == pseudonym_for("ep 2026 0042")
    assert contact.contact_month == datetime.date(2026, 10, 1)
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.contact, entry.user, entry.unit) == ("create", contact, clinician_a, unit_a)
    assert "EP-2026-0042" not in str(PatientContact.objects.filter(pk=contact.pk).values().get())


def test_submitting_the_same_form_twice_creates_one_contact(unit_a, clinician_a):
    token = uuid.uuid4()
    first, created_first = contact_create(unit=unit_a, data=contact_data(), actor=clinician_a, submission_token=token)
    second, created_second = contact_create(unit=unit_a, data=contact_data(), actor=clinician_a, submission_token=token)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert PatientContact.objects.count() == 1


def test_a_used_token_of_another_user_is_refused(unit_a, clinician_a, lead_a):
    token = uuid.uuid4()
    contact_create(unit=unit_a, data=contact_data(), actor=clinician_a, submission_token=token)
    with pytest.raises(ValidationError):
        contact_create(unit=unit_a, data=contact_data(), actor=lead_a, submission_token=token)


def test_national_identity_number_is_refused_with_explanation(unit_a, clinician_a):
    with pytest.raises(ValidationError) as error:
        contact_create(unit=unit_a, data=contact_data(patient_reference=VALID_FNR), actor=clinician_a)
    assert "national identity number" in " ".join(error.value.message_dict["patient_reference"])
    assert not PatientContact.objects.exists()
    assert not AccessLogEntry.objects.exists()


def test_national_identity_number_in_notes_is_refused(unit_a, clinician_a):
    with pytest.raises(ValidationError) as error:
        contact_create(unit=unit_a, data=contact_data(notes=f"fnr {VALID_FNR}"), actor=clinician_a)
    assert "notes" in error.value.message_dict


def test_meetings_with_intensity_not_discussed_contradict(unit_a, clinician_a):
    meeting = MeetingFactory()
    with pytest.raises(ValidationError) as error:
        contact_create(
            unit=unit_a, data=contact_data(intensity=0, response="", suggested_meetings=[meeting]), actor=clinician_a
        )
    assert "intensity" in error.value.message_dict


def test_volunteer_contact_needs_intensity_three(unit_a, clinician_a):
    with pytest.raises(ValidationError) as error:
        validate_contact_data(unit=unit_a, data=contact_data(volunteer_contact_arranged=True))
    assert "volunteer_contact_arranged" in error.value.message_dict
    valid = validate_contact_data(unit=unit_a, data=contact_data(intensity=3, volunteer_contact_arranged=True))
    assert valid.contact.pk is None


def test_future_contact_and_follow_up_before_contact_are_refused(unit_a, clinician_a):
    with pytest.raises(ValidationError) as error:
        validate_contact_data(
            unit=unit_a,
            data=contact_data(
                contacted_at=NOW + datetime.timedelta(days=2), follow_up_planned_on=datetime.date(2026, 10, 1)
            ),
        )
    assert {"contacted_at", "follow_up_planned_on"} <= set(error.value.message_dict)


def test_unknown_reason_code_is_refused(unit_a):
    with pytest.raises(ValidationError) as error:
        validate_contact_data(unit=unit_a, data=contact_data(reasons=["bogus"]))
    assert "reasons" in error.value.message_dict


def test_clinician_outside_the_unit_is_refused(unit_a, clinician_b):
    with pytest.raises(ValidationError) as error:
        validate_contact_data(unit=unit_a, data=contact_data(clinician=clinician_b))
    assert "clinician" in error.value.message_dict


def test_not_suitable_reason_sets_the_derived_flag(unit_a, clinician_a):
    contact, _ = contact_create(
        unit=unit_a, data=contact_data(response="declined", reasons=["not_suitable"]), actor=clinician_a
    )
    assert contact.not_suitable


def test_new_contact_takes_the_units_setting(unit_b, clinician_b):
    contact, _ = contact_create(unit=unit_b, data=contact_data(), actor=clinician_b)
    assert contact.setting == "inpatient"


def test_update_with_current_version_saves_and_logs_changed_field_names(unit_a, clinician_a):
    contact, _ = contact_create(unit=unit_a, data=contact_data(), actor=clinician_a)
    aa = FellowshipFactory(code="AA")
    updated = contact_update(
        contact=contact,
        data={"intensity": 3, "volunteer_contact_arranged": True, "fellowships": [aa]},
        actor=clinician_a,
        expected_version=1,
    )
    assert updated.version == 2
    assert list(updated.fellowships.all()) == [aa]
    entry = AccessLogEntry.objects.filter(action="update").get()
    assert entry.detail == "changed: intensity, volunteer_contact_arranged, fellowships"


def test_second_editor_gets_a_conflict_and_nothing_is_overwritten(unit_a, clinician_a, lead_a):
    contact, _ = contact_create(unit=unit_a, data=contact_data(), actor=clinician_a)
    contact_update(contact=contact, data={"response": "undecided"}, actor=lead_a, expected_version=1)
    with pytest.raises(ContactConflict) as conflict:
        contact_update(contact=contact, data={"response": "declined"}, actor=clinician_a, expected_version=1)
    assert conflict.value.current.response == "undecided"
    assert conflict.value.current.version == 2
    contact.refresh_from_db()
    assert contact.response == "undecided"


def test_update_without_changes_writes_nothing(unit_a, clinician_a):
    contact, _ = contact_create(unit=unit_a, data=contact_data(), actor=clinician_a)
    same = contact_update(contact=contact, data={"intensity": 2}, actor=clinician_a, expected_version=1)
    assert same.version == 1
    assert not AccessLogEntry.objects.filter(action="update").exists()


def test_empty_reference_on_update_keeps_the_patient(unit_a, clinician_a):
    contact, _ = contact_create(unit=unit_a, data=contact_data(), actor=clinician_a)
    updated = contact_update(
        contact=contact, data={"patient_reference": "", "intensity": 1}, actor=clinician_a, expected_version=1
    )
    assert updated.patient_pseudonym == contact.patient_pseudonym


def test_soft_delete_needs_a_reason_and_keeps_the_row(unit_a, clinician_a):
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a)
    with pytest.raises(ValidationError):
        contact_soft_delete(contact=contact, actor=clinician_a, reason=" ")
    contact_soft_delete(contact=contact, actor=clinician_a, reason="Wrong patient")
    contact.refresh_from_db()
    assert contact.deleted_at is not None and contact.deletion_reason == "Wrong patient"
    assert not PatientContact.objects.current().filter(pk=contact.pk).exists()
    assert AccessLogEntry.objects.filter(action="delete", contact=contact).exists()
    with pytest.raises(ValidationError):
        contact_soft_delete(contact=contact, actor=clinician_a, reason="Again")


def test_deleted_contact_cannot_be_updated(unit_a, clinician_a):
    contact = PatientContactFactory(unit=unit_a)
    contact_soft_delete(contact=contact, actor=clinician_a, reason="Duplicate")
    with pytest.raises(ValidationError):
        contact_update(contact=contact, data={"intensity": 1}, actor=clinician_a, expected_version=2)


def test_follow_up_is_created_once_per_form_and_logged(unit_a, clinician_a):
    contact = PatientContactFactory(unit=unit_a, contacted_at=NOW - datetime.timedelta(days=30))
    token = uuid.uuid4()
    data = {"followed_up_on": datetime.date(2026, 10, 20), "attended": "yes", "meetings_last_30_days": 4}
    first, created = follow_up_create(contact=contact, data=data, actor=clinician_a, submission_token=token)
    again, created_again = follow_up_create(contact=contact, data=data, actor=clinician_a, submission_token=token)
    assert (created, created_again) == (True, False) and first.pk == again.pk
    assert FollowUp.objects.count() == 1
    assert AccessLogEntry.objects.filter(action="create", contact=contact).count() == 1


def test_follow_up_contradictions_are_refused(unit_a, clinician_a):
    contact = PatientContactFactory(unit=unit_a, contacted_at=NOW - datetime.timedelta(days=30))
    with pytest.raises(ValidationError) as error:
        follow_up_create(
            contact=contact,
            data={"followed_up_on": datetime.date(2026, 10, 21), "attended": "no", "meetings_last_30_days": 2},
            actor=clinician_a,
        )
    assert {"followed_up_on", "meetings_last_30_days"} <= set(error.value.message_dict)


def test_follow_up_update_logs_an_update(unit_a, clinician_a):
    contact = PatientContactFactory(unit=unit_a, contacted_at=NOW - datetime.timedelta(days=30))
    follow_up, _ = follow_up_create(
        contact=contact, data={"followed_up_on": datetime.date(2026, 10, 19), "attended": "unknown"}, actor=clinician_a
    )
    follow_up_update(
        follow_up=follow_up, data={"attended": "yes", "has_sponsor": True}, actor=clinician_a, expected_version=1
    )
    follow_up.refresh_from_db()
    assert follow_up.attended == "yes" and follow_up.has_sponsor and follow_up.version == 2
    assert AccessLogEntry.objects.filter(action="update", detail=f"follow-up #{follow_up.pk}").exists()


def follow_up_of(unit, actor):
    contact = PatientContactFactory(unit=unit, contacted_at=NOW - datetime.timedelta(days=30))
    follow_up, _ = follow_up_create(
        contact=contact, data={"followed_up_on": datetime.date(2026, 10, 19), "attended": "unknown"}, actor=actor
    )
    return follow_up


def test_follow_up_update_from_an_older_version_is_refused_and_writes_nothing(unit_a, clinician_a, lead_a):
    follow_up = follow_up_of(unit_a, clinician_a)
    follow_up_update(follow_up=follow_up, data={"attended": "yes"}, actor=lead_a, expected_version=1)
    with pytest.raises(FollowUpConflict) as conflict:
        follow_up_update(follow_up=follow_up, data={"attended": "no"}, actor=clinician_a, expected_version=1)
    assert conflict.value.current.attended == "yes" and conflict.value.current.version == 2
    follow_up.refresh_from_db()
    assert (follow_up.attended, follow_up.version) == ("yes", 2)
    assert AccessLogEntry.objects.filter(action="update").count() == 1


def test_follow_up_update_without_changes_keeps_the_version_and_logs_nothing(unit_a, clinician_a):
    follow_up = follow_up_of(unit_a, clinician_a)
    follow_up_update(follow_up=follow_up, data={"attended": "unknown"}, actor=clinician_a, expected_version=1)
    follow_up.refresh_from_db()
    assert follow_up.version == 1
    assert not AccessLogEntry.objects.filter(action="update").exists()


def test_contact_time_for_a_past_date_is_noon_in_oslo_and_today_is_now():
    assert contact_time_for_date(datetime.date(2026, 10, 1)) == datetime.datetime(2026, 10, 1, 12, 0, tzinfo=OSLO)
    assert contact_time_for_date(datetime.date(2026, 10, 20)) == NOW
