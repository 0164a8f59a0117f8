"""Dates on the contact pages follow the interface language: "15. oktober 2026" in Norwegian, never "15 Oct 2026"."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from referrals.models import AccessLogEntry, FollowUp, PatientContact
from referrals.presentation import contact_comparison
from tests.factories import FollowUpFactory, PatientContactFactory, login
from tests.referrals_helpers import NOW, OSLO

# The factory's contact is on 15 October 2026; the follow-up planned on 1 October is due on NOW (20 October).
NORWEGIAN = {"long": "15. oktober 2026", "planned": "1. oktober 2026", "day_month": "1. oktober"}
ENGLISH = {"long": "Oct. 15, 2026", "planned": "Oct. 1, 2026", "day_month": "October 1"}
UNLOCALISED = ["15 Oct 2026", "15 October 2026", "1 Oct 2026", "2026-10-15"]


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(params=["nb", "en"])
def language(request, settings):
    settings.LANGUAGE_CODE = request.param
    return NORWEGIAN if request.param == "nb" else ENGLISH


@pytest.fixture
def contact(unit_a):
    return PatientContactFactory(unit=unit_a, follow_up_planned_on=datetime.date(2026, 10, 1))


def page(client, user, url):
    response = login(client, user).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for text in UNLOCALISED:
        assert text not in html
    return html


def test_contact_detail_dates_are_localised(client, clinician_a, contact, language):
    html = page(client, clinician_a, reverse("referrals:contact_detail", args=[contact.pk]))
    assert language["long"] in html
    assert language["planned"] in html


def test_follow_up_table_on_the_detail_page_is_localised(client, clinician_a, contact, language):
    FollowUpFactory(contact=contact, followed_up_on=datetime.date(2026, 10, 15))
    html = page(client, clinician_a, reverse("referrals:contact_detail", args=[contact.pk]))
    assert html.count(language["long"]) >= 3  # heading, follow-up row, its screen-reader link text


def test_contact_list_dates_are_localised(client, clinician_a, contact, language):
    html = page(client, clinician_a, reverse("referrals:contact_list"))
    assert language["long"] in html
    assert language["day_month"] in html  # "Due 1 October" tag


def test_worklist_and_home_dates_are_localised(client, clinician_a, contact, language):
    html = page(client, clinician_a, reverse("referrals:worklist"))
    assert language["long"] in html and language["planned"] in html
    contact.clinician = clinician_a
    contact.save()
    html = page(client, clinician_a, reverse("home"))
    assert language["long"] in html and language["planned"] in html


def test_follow_up_and_delete_pages_name_the_contact_date_localised(client, clinician_a, contact, language):
    for name in ("referrals:follow_up_create", "referrals:contact_delete"):
        assert language["long"] in page(client, clinician_a, reverse(name, args=[contact.pk]))


def test_patient_lookup_lists_earlier_contacts_with_localised_dates(client, clinician_a, unit_a, language):
    from referrals.pseudonyms import pseudonym_for

    PatientContactFactory(
        unit=unit_a, patient_pseudonym=pseudonym_for("EP-1"), follow_up_planned_on=datetime.date(2026, 10, 1)
    )
    response = login(client, clinician_a).post(
        reverse("referrals:patient_lookup"), {"unit": unit_a.pk, "patient_reference": "EP-1"}
    )
    html = response.content.decode()
    assert language["long"] in html and language["day_month"] in html


def test_edit_conflict_comparison_shows_localised_dates(contact, settings):
    settings.LANGUAGE_CODE = "nb"
    with translation.override("nb"):
        rows = contact_comparison(contact, {"contacted_on": datetime.date(2026, 10, 14), "follow_up_planned_on": None})
    by_label = {row["label"]: row for row in rows}
    assert by_label["Dato for kontakten"]["stored"] == "15. oktober 2026"
    assert by_label["Dato for kontakten"]["mine"] == "14. oktober 2026"
    assert by_label["Planlagt oppfølging"]["stored"] == "1. oktober 2026"


def test_admin_names_of_contacts_and_log_entries_are_localised(contact, clinician_a):
    follow_up = FollowUpFactory(contact=contact, followed_up_on=datetime.date(2026, 10, 16))
    entry = AccessLogEntry.objects.create(
        user=clinician_a, username="klinikera", action="view", at=datetime.datetime(2026, 10, 20, 9, 5, tzinfo=OSLO)
    )
    contact = PatientContact.objects.get(pk=contact.pk)
    with translation.override("nb"):
        assert "15.10.2026" in str(contact)
        assert "16.10.2026" in str(FollowUp.objects.get(pk=follow_up.pk))
        assert str(entry).startswith("20.10.2026 09:05")
