"""Contact detail: what was recorded, the same patient's other contacts, logged reads, 404 outside the unit."""

import datetime

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse

from referrals.models import AccessLogEntry
from tests.factories import FellowshipFactory, FollowUpFactory, MeetingFactory, PatientContactFactory, login
from tests.referrals_helpers import NOW, OSLO


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def detail_url(contact):
    return reverse("referrals:contact_detail", args=[contact.pk])


def test_detail_shows_the_referral_meetings_and_follow_ups(client, clinician_a, unit_a):
    meeting = MeetingFactory(name="Kvadraturen AA")
    contact = PatientContactFactory(
        unit=unit_a, intensity=3, response="declined", reasons=["religion"], volunteer_contact_arranged=True
    )
    contact.fellowships.add(FellowshipFactory(code="AA"))
    contact.suggested_meetings.add(meeting)
    FollowUpFactory(contact=contact, attended="yes", meetings_last_30_days=6)
    html = login(client, clinician_a).get(detail_url(contact)).content.decode()
    for text in [contact.fingerprint, "Kvadraturen AA", "Does not want anything religious", "Declined", "6"]:
        assert text in html


def test_viewing_a_contact_is_logged_with_the_pseudonym(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    login(client, clinician_a).get(detail_url(contact), REMOTE_ADDR="10.1.2.3")
    entry = AccessLogEntry.objects.get(action="view")
    assert (entry.contact, entry.user, entry.unit, entry.client_address) == (contact, clinician_a, unit_a, "10.1.2.3")
    assert entry.patient_pseudonym == contact.patient_pseudonym


def test_the_same_patients_other_contacts_are_shown_and_logged(client, clinician_a, unit_a, unit_b):
    contact = PatientContactFactory(unit=unit_a, patient_pseudonym="a" * 64)
    earlier = PatientContactFactory(
        unit=unit_a, patient_pseudonym="a" * 64, contacted_at=datetime.datetime(2026, 3, 1, 9, tzinfo=OSLO)
    )
    other_unit = PatientContactFactory(unit=unit_b, patient_pseudonym="a" * 64)
    response = login(client, clinician_a).get(detail_url(contact))
    assert [c.pk for c in response.context["other_contacts"]] == [earlier.pk]
    assert detail_url(other_unit) not in response.content.decode()
    assert AccessLogEntry.objects.filter(action="list", contact=earlier).exists()


def test_clinician_of_another_unit_gets_404_and_nothing_is_logged(client, clinician_b, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    assert login(client, clinician_b).get(detail_url(contact)).status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_lead_of_the_clinic_sees_its_units_contacts(client, clinic, unit_a):
    from accounts.models import Membership
    from tests.factories import MembershipFactory

    lead = MembershipFactory(unit=clinic, role=Membership.Role.LEAD).user
    contact = PatientContactFactory(unit=unit_a)
    assert login(client, lead).get(detail_url(contact)).status_code == 200


def test_deleted_contact_is_404(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, deleted_at=NOW)
    assert login(client, clinician_a).get(detail_url(contact)).status_code == 404


def test_handout_link_appears_only_when_the_handout_exists_and_meetings_were_suggested(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    contact.suggested_meetings.add(MeetingFactory())
    html = login(client, clinician_a).get(detail_url(contact)).content.decode()
    try:
        handout_url = reverse("referrals:handout", args=[contact.pk])
    except NoReverseMatch:
        assert "Patient handout" not in html
    else:
        assert handout_url in html


def test_due_follow_up_is_the_main_action(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, follow_up_planned_on=datetime.date(2026, 10, 19))
    html = login(client, clinician_a).get(detail_url(contact)).content.decode()
    assert "is not recorded yet" in html
    follow_up_url = reverse("referrals:follow_up_create", args=[contact.pk])
    assert f'data-variant="primary" href="{follow_up_url}"' in html
