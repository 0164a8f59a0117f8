"""The follow-up worklist and the home page's section: due means planned on or before today with no follow-up."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from referrals.models import AccessLogEntry, FollowUp, PatientContact
from tests.factories import FollowUpFactory, PatientContactFactory, UserFactory, login
from tests.referrals_helpers import NOW, OSLO, TODAY

URL = reverse("referrals:worklist")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def due(unit, days_ago=1, **kwargs):
    return PatientContactFactory(
        unit=unit,
        contacted_at=datetime.datetime(2026, 9, 1, 10, tzinfo=OSLO),
        follow_up_planned_on=TODAY - datetime.timedelta(days=days_ago),
        **kwargs,
    )


def shown(response):
    return [c.pk for c in response.context["page"].items]


def test_worklist_has_due_contacts_oldest_first_and_nothing_else(client, clinician_a, unit_a, unit_b):
    today = due(unit_a, days_ago=0)
    older = due(unit_a, days_ago=20)
    due(unit_a, days_ago=-1)  # planned tomorrow
    FollowUpFactory(contact=due(unit_a, days_ago=5), followed_up_on=TODAY)
    due(unit_a, days_ago=3, deleted_at=NOW)
    due(unit_b, days_ago=3)
    PatientContactFactory(unit=unit_a, follow_up_planned_on=None)
    response = login(client, clinician_a).get(URL)
    assert shown(response) == [older.pk, today.pk]
    assert "20 days ago" in response.content.decode()


def test_home_count_of_due_follow_ups_leaves_out_what_the_worklist_leaves_out(client, clinician_a, unit_a, unit_b):
    due(unit_a, days_ago=0)
    due(unit_a, days_ago=20)
    due(unit_a, days_ago=-1)  # planned tomorrow
    FollowUpFactory(contact=due(unit_a, days_ago=5), followed_up_on=TODAY)
    due(unit_a, days_ago=3, deleted_at=NOW)
    due(unit_b, days_ago=3)
    PatientContactFactory(unit=unit_a, follow_up_planned_on=None)

    html = login(client, clinician_a).get(reverse("home")).content.decode()

    assert "Worklist: 2 follow-ups due in your units" in html
    assert PatientContact.objects.filter(unit=unit_a).count_follow_up_due(TODAY) == 2


def test_only_mine_filter(client, clinician_a, lead_a, unit_a):
    mine = due(unit_a, clinician=clinician_a)
    due(unit_a, clinician=lead_a)
    assert shown(login(client, clinician_a).get(URL, {"mine": "1"})) == [mine.pk]


def test_worklist_rows_are_logged(client, clinician_a, unit_a):
    contact = due(unit_a)
    login(client, clinician_a).get(URL)
    assert AccessLogEntry.objects.filter(action="list", contact=contact, detail="worklist").count() == 1


@pytest.mark.parametrize("rows", [2, 80])
def test_worklist_uses_a_fixed_number_of_queries(client, clinician_a, unit_a, rows, django_assert_num_queries):
    clinician = UserFactory()
    contacts = PatientContact.objects.bulk_create(
        [
            PatientContact(
                unit=unit_a,
                clinician=clinician,
                contacted_at=datetime.datetime(2026, 9, 1, 10, tzinfo=OSLO),
                contact_month=datetime.date(2026, 9, 1),
                patient_pseudonym=f"{n:064x}",
                follow_up_planned_on=TODAY - datetime.timedelta(days=n % 30),
            )
            for n in range(rows * 2)
        ]
    )
    FollowUp.objects.bulk_create([FollowUp(contact=c, followed_up_on=TODAY) for c in contacts[rows:]])
    login(client, clinician_a)
    # session and user (2), the units the user's memberships cover (1), the page's keys, rows,
    # fellowships and follow-ups (4), the log insert (1); no session save within a minute.
    with django_assert_num_queries(8):
        response = client.get(URL, {"page": "1"})
    assert len(shown(response)) == min(rows, 50)


def test_bad_page_number_falls_back_to_the_first_page(client, clinician_a, unit_a):
    contact = due(unit_a)
    assert shown(login(client, clinician_a).get(URL, {"page": "x"})) == [contact.pk]


def test_home_shows_my_due_follow_ups_and_the_units_count(client, clinician_a, lead_a, unit_a):
    mine = due(unit_a, clinician=clinician_a)
    due(unit_a, clinician=lead_a)
    html = login(client, clinician_a).get(reverse("home")).content.decode()
    assert reverse("referrals:follow_up_create", args=[mine.pk]) in html
    assert "Worklist: 2 follow-ups due in your units" in html
    assert reverse("referrals:contact_create") in html
    assert AccessLogEntry.objects.filter(action="list", contact=mine, detail="home worklist").exists()


def test_home_has_no_patient_section_for_an_analyst(client, analyst):
    html = login(client, analyst).get(reverse("home")).content.decode()
    assert "Your follow-ups due" not in html and reverse("referrals:contact_create") not in html


def test_menu_has_the_clinician_entries_for_patient_units_only(client, clinician_a, curator):
    html = login(client, clinician_a).get(reverse("home")).content.decode()
    assert f'href="{URL}"' in html and f'href="{reverse("referrals:contact_list")}"' in html
    html = login(client, curator).get(reverse("home")).content.decode()
    assert f'href="{URL}"' not in html


def test_days_overdue_sit_on_their_own_line_under_the_date(client, clinician_a, unit_a):
    # Inline, "2. april 2026 (for 238 dager siden)" pushed the follow-up button out of the table at 1280 px.
    due(unit_a, days_ago=238)
    html = login(client, clinician_a).get(reverse("referrals:worklist")).content.decode()
    assert '<span class="muted days-overdue">(238 days ago)</span>' in html
