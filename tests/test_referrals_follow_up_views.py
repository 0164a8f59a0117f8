"""Follow-up form: recorded once per form, takes the contact off the worklist, editable, logged."""

import datetime
import uuid

import pytest
import time_machine
from django.urls import reverse

from referrals.models import AccessLogEntry, FollowUp
from tests.factories import FollowUpFactory, PatientContactFactory, login
from tests.referrals_helpers import NOW, OSLO, TODAY


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def due_contact(unit_a):
    return PatientContactFactory(
        unit=unit_a,
        contacted_at=datetime.datetime(2026, 9, 15, 10, 0, tzinfo=OSLO),
        follow_up_planned_on=datetime.date(2026, 10, 13),
    )


def follow_up_data(**overrides):
    data = {
        "followed_up_on": TODAY.isoformat(),
        "attended": "yes",
        "meetings_last_30_days": "5",
        "has_sponsor": "on",
        "closure_reason": "continues",
        "notes": "",
        "submission_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_follow_up_form_defaults_to_today_and_logs_the_read(client, clinician_a, due_contact):
    html = login(client, clinician_a).get(reverse("referrals:follow_up_create", args=[due_contact.pk])).content.decode()
    assert f'value="{TODAY.isoformat()}"' in html
    assert AccessLogEntry.objects.filter(action="view", contact=due_contact, detail="follow-up form").exists()


def test_recording_a_follow_up_once_takes_the_contact_off_the_worklist(client, clinician_a, due_contact):
    login(client, clinician_a)
    assert [c.pk for c in client.get(reverse("referrals:worklist")).context["page"].items] == [due_contact.pk]
    url = reverse("referrals:follow_up_create", args=[due_contact.pk])
    data = follow_up_data()
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    follow_up = FollowUp.objects.get()
    assert (follow_up.attended, follow_up.meetings_last_30_days, follow_up.has_sponsor) == ("yes", 5, True)
    assert follow_up.clinician == clinician_a
    assert client.get(reverse("referrals:worklist")).context["page"].items == []


def test_contradicting_follow_up_is_refused_with_a_message(client, clinician_a, due_contact):
    url = reverse("referrals:follow_up_create", args=[due_contact.pk])
    response = login(client, clinician_a).post(url, follow_up_data(attended="no", meetings_last_30_days="3"))
    assert response.status_code == 200
    assert "no meetings in the last 30 days" in response.content.decode() or "attended no meeting" in (
        response.content.decode()
    )
    assert not FollowUp.objects.exists()


def test_follow_up_in_the_future_is_refused(client, clinician_a, due_contact):
    url = reverse("referrals:follow_up_create", args=[due_contact.pk])
    future = (TODAY + datetime.timedelta(days=3)).isoformat()
    assert login(client, clinician_a).post(url, follow_up_data(followed_up_on=future)).status_code == 200
    assert not FollowUp.objects.exists()


def test_editing_a_follow_up(client, clinician_a, due_contact):
    follow_up = FollowUpFactory(contact=due_contact, followed_up_on=datetime.date(2026, 10, 14), attended="unknown")
    url = reverse("referrals:follow_up_edit", args=[due_contact.pk, follow_up.pk])
    login(client, clinician_a)
    assert "Not known" in client.get(url).content.decode()
    data = follow_up_data(followed_up_on="2026-10-14", attended="yes", version="1")
    del data["submission_token"]
    assert client.post(url, data).status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.attended == "yes"
    assert AccessLogEntry.objects.filter(action="update", contact=due_contact).exists()


def test_follow_up_of_another_contact_is_404(client, clinician_a, unit_a, due_contact):
    other = FollowUpFactory(contact=PatientContactFactory(unit=unit_a))
    url = reverse("referrals:follow_up_edit", args=[due_contact.pk, other.pk])
    assert login(client, clinician_a).get(url).status_code == 404


def edit_data(**overrides):
    data = follow_up_data(followed_up_on="2026-10-14", **overrides)
    del data["submission_token"]
    return data


def test_second_editor_of_a_follow_up_is_told_and_shown_the_stored_version(client, clinician_a, lead_a, due_contact):
    follow_up = FollowUpFactory(contact=due_contact, followed_up_on=datetime.date(2026, 10, 14), attended="unknown")
    url = reverse("referrals:follow_up_edit", args=[due_contact.pk, follow_up.pk])
    # Both open version 1; the lead saves first.
    assert login(client, lead_a).post(url, edit_data(attended="yes", version="1")).status_code == 302
    response = login(client, clinician_a).post(url, edit_data(attended="no", meetings_last_30_days="", version="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else changed this follow-up while you were editing" in html
    assert "ledera saved it at" in html
    row = response.context["comparison"][1]
    assert (row["stored"], row["mine"], row["differs"]) == ("Yes", "No", True)
    assert 'name="version" value="2"' in html  # saving again is a deliberate choice against version 2
    follow_up.refresh_from_db()
    assert (follow_up.attended, follow_up.version) == ("yes", 2)
    assert AccessLogEntry.objects.filter(action="view", detail=f"follow-up #{follow_up.pk} edit conflict").exists()


def test_saving_again_after_a_follow_up_conflict_keeps_my_version(client, clinician_a, lead_a, due_contact):
    follow_up = FollowUpFactory(contact=due_contact, followed_up_on=datetime.date(2026, 10, 14), attended="unknown")
    url = reverse("referrals:follow_up_edit", args=[due_contact.pk, follow_up.pk])
    login(client, lead_a).post(url, edit_data(attended="yes", version="1"))
    login(client, clinician_a)
    client.post(url, edit_data(attended="no", meetings_last_30_days="", version="1"))
    assert client.post(url, edit_data(attended="no", meetings_last_30_days="", version="2")).status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.attended, follow_up.version) == ("no", 3)


def test_follow_up_edit_without_a_version_is_a_form_error(client, clinician_a, due_contact):
    follow_up = FollowUpFactory(contact=due_contact, followed_up_on=datetime.date(2026, 10, 14))
    url = reverse("referrals:follow_up_edit", args=[due_contact.pk, follow_up.pk])
    response = login(client, clinician_a).post(url, edit_data(attended="no", meetings_last_30_days=""))
    assert response.status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.attended == "yes"
