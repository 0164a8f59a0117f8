"""The unit's contact list: unit scope, filters, pages without COUNT(*), a fixed number of queries, logged rows."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from referrals.models import AccessLogEntry, FollowUp, PatientContact
from tests.factories import FellowshipFactory, FollowUpFactory, PatientContactFactory, UserFactory, login
from tests.referrals_helpers import NOW, OSLO

URL = reverse("referrals:contact_list")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def make_contacts(unit, count, *, clinician=None, start=datetime.datetime(2026, 9, 1, 9, 0, tzinfo=OSLO)):
    """`count` contacts with fellowships and follow-ups, so that any per-row query would show."""
    aa, na = FellowshipFactory(code="AA"), FellowshipFactory(code="NA")
    clinician = clinician or UserFactory()
    contacts = PatientContact.objects.bulk_create(
        [
            PatientContact(
                unit=unit,
                clinician=clinician,
                contacted_at=start + datetime.timedelta(hours=number),
                contact_month=datetime.date(2026, 9, 1),
                patient_pseudonym=f"{number:064x}",
                intensity=number % 5,
                follow_up_planned_on=datetime.date(2026, 10, 1),
            )
            for number in range(count)
        ]
    )
    through = PatientContact.fellowships.through
    through.objects.bulk_create(
        [through(patientcontact_id=c.pk, fellowship_id=f.pk) for c in contacts for f in (aa, na)]
    )
    FollowUp.objects.bulk_create(
        [FollowUp(contact=c, followed_up_on=datetime.date(2026, 10, 2)) for c in contacts[::2]]
    )
    return contacts


def shown_ids(response):
    return [c.pk for c in response.context["page"].items]


def test_list_shows_only_the_users_units_and_no_deleted_contacts(client, clinician_a, unit_a, unit_b):
    mine = PatientContactFactory(unit=unit_a)
    PatientContactFactory(unit=unit_b)
    PatientContactFactory(unit=unit_a, deleted_at=NOW)
    response = login(client, clinician_a).get(URL)
    assert shown_ids(response) == [mine.pk]


def test_list_is_newest_first_and_pages_without_counting(client, clinician_a, unit_a):
    contacts = make_contacts(unit_a, 120)
    login(client, clinician_a)
    first = client.get(URL)
    assert shown_ids(first) == [c.pk for c in reversed(contacts)][:50]
    assert first.context["page"].has_next and 'rel="next"' in first.content.decode()
    last = client.get(URL, {"page": 3})
    assert len(shown_ids(last)) == 20 and not last.context["page"].has_next


@pytest.mark.parametrize("rows", [3, 120])
def test_list_uses_a_fixed_number_of_queries(client, clinician_a, unit_a, rows, django_assert_num_queries):
    make_contacts(unit_a, rows)
    login(client, clinician_a)
    # Pinned for the whole page: session and user (2), the units the user's memberships cover (1, shared by the
    # access check, the menu and the view), the page's keys, rows, fellowships and follow-ups (4), the
    # access-log insert (1), the filter form's unit count and clinicians (2). The session is saved at most
    # once a minute (accounts/middleware.py), not here.
    with django_assert_num_queries(10) as captured:
        response = client.get(URL, {"month": "2026-09", "unit": ""})
    assert len(shown_ids(response)) == min(rows, 50)
    assert not any("COUNT(" in q["sql"].upper() and "referrals_patientcontact" in q["sql"] for q in captured)


def test_lead_of_several_units_gets_one_list_merged_newest_first(
    client, clinic, unit_a, unit_b, django_assert_num_queries
):
    from accounts.models import Membership
    from tests.factories import MembershipFactory

    lead = MembershipFactory(unit=clinic, role=Membership.Role.LEAD).user
    in_a = make_contacts(unit_a, 40, start=datetime.datetime(2026, 9, 1, 9, 0, tzinfo=OSLO))
    in_b = make_contacts(unit_b, 40, start=datetime.datetime(2026, 9, 1, 9, 30, tzinfo=OSLO))
    expected = [c.pk for c in sorted(in_a + in_b, key=lambda c: (c.contacted_at, c.pk), reverse=True)]
    login(client, lead)
    with django_assert_num_queries(11):  # one more than a single unit: the filter form shows the unit choice
        first = client.get(URL)
    second = client.get(URL, {"page": 2})
    assert shown_ids(first) + shown_ids(second) == expected
    assert shown_ids(client.get(URL, {"unit": unit_b.pk})) == [pk for pk in expected if pk in {c.pk for c in in_b}]


def test_a_page_view_is_one_log_entry_naming_every_shown_contact_and_patient(client, clinician_a, unit_a):
    make_contacts(unit_a, 60)
    response = login(client, clinician_a).get(URL)
    entry = AccessLogEntry.objects.get(action="list", user=clinician_a)
    shown = PatientContact.objects.in_bulk(shown_ids(response))
    assert entry.contact_ids == shown_ids(response) and len(entry.contact_ids) == 50
    assert entry.patient_pseudonyms == [shown[pk].patient_pseudonym for pk in entry.contact_ids]
    assert entry.unit == unit_a and entry.detail == "contact list"


def test_month_filter_uses_oslo_months(client, clinician_a, unit_a):
    late_september = PatientContactFactory(
        unit=unit_a, contacted_at=datetime.datetime(2026, 9, 30, 23, 30, tzinfo=OSLO)
    )
    PatientContactFactory(unit=unit_a, contacted_at=datetime.datetime(2026, 10, 1, 0, 30, tzinfo=OSLO))
    response = login(client, clinician_a).get(URL, {"month": "2026-09"})
    assert shown_ids(response) == [late_september.pk]


def test_clinician_and_intensity_filters(client, clinician_a, lead_a, unit_a):
    mine = PatientContactFactory(unit=unit_a, clinician=clinician_a, intensity=3)
    PatientContactFactory(unit=unit_a, clinician=lead_a, intensity=3)
    PatientContactFactory(unit=unit_a, clinician=clinician_a, intensity=1)
    not_recorded = PatientContactFactory(unit=unit_a, clinician=lead_a, intensity=None)
    login(client, clinician_a)
    assert shown_ids(client.get(URL, {"clinician": clinician_a.pk, "intensity": "3"})) == [mine.pk]
    assert shown_ids(client.get(URL, {"intensity": "none"})) == [not_recorded.pk]


def test_follow_up_due_filter(client, clinician_a, unit_a):
    due = PatientContactFactory(unit=unit_a, follow_up_planned_on=datetime.date(2026, 10, 20))
    PatientContactFactory(unit=unit_a, follow_up_planned_on=datetime.date(2026, 10, 21))
    done = PatientContactFactory(unit=unit_a, follow_up_planned_on=datetime.date(2026, 10, 1))
    FollowUpFactory(contact=done)
    response = login(client, clinician_a).get(URL, {"due": "on"})
    assert shown_ids(response) == [due.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"month": "2026-13"},
        {"month": "sept"},
        {"clinician": "abc"},
        {"intensity": "9"},
        {"page": "-1"},
        {"unit": "999"},
    ],
)
def test_bad_filters_are_reported_not_a_crash(client, clinician_a, unit_a, params):
    contact = PatientContactFactory(unit=unit_a)
    response = login(client, clinician_a).get(URL, params)
    assert response.status_code == 200
    assert "That filter was left out." in response.content.decode()
    assert shown_ids(response) == [contact.pk]


def test_other_units_clinician_is_not_a_valid_filter_value(client, clinician_a, clinician_b, unit_a):
    response = login(client, clinician_a).get(URL, {"clinician": clinician_b.pk})
    assert "That filter was left out." in response.content.decode()


def test_month_boundaries_are_oslo_midnights_across_daylight_saving():
    from core.periods import month_boundaries

    start, end = month_boundaries(datetime.date(2026, 3, 1))
    assert start == datetime.datetime(2026, 3, 1, 0, 0, tzinfo=OSLO)
    assert end == datetime.datetime(2026, 4, 1, 0, 0, tzinfo=OSLO)
    assert start.utcoffset() != end.utcoffset()  # CET in March 1st, CEST on April 1st
