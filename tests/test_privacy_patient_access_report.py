"""The patient's right to see who looked: every access-log entry for one reference, as a page and CSV."""

import csv
import io
import logging

import pytest
from django.urls import reverse

from referrals.audit import Action, log_access
from referrals.models import AccessLogEntry
from referrals.pseudonyms import pseudonym_for
from tests.factories import PatientContactFactory, UserFactory, login

URL = reverse("privacy:patient_access_report")
REFERENCE = "EP-2026-0042"
VALID_FNR = "01010012356"  # synthetic, valid check digits


@pytest.fixture(autouse=True)
def english(client):
    """The assertions read English texts; the site's default language is Norwegian."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def records(unit_a, unit_b, clinician_a, clinician_b):
    """Two contacts of the patient, one of somebody else, and log entries about each."""
    pseudonym = pseudonym_for(REFERENCE)
    mine = [
        PatientContactFactory(unit=unit_a, clinician=clinician_a, patient_pseudonym=pseudonym),
        PatientContactFactory(unit=unit_b, clinician=clinician_b, patient_pseudonym=pseudonym),
    ]
    other = PatientContactFactory(unit=unit_a, clinician=clinician_a, patient_pseudonym=pseudonym_for("EP-9"))
    expected = [
        log_access(user=clinician_a, action=Action.CREATE, contact=mine[0]),
        log_access(user=clinician_a, action=Action.VIEW, contact=mine[0]),
        log_access(user=clinician_b, action=Action.UPDATE, contact=mine[1]),
        log_access(user=clinician_b, action=Action.EXPORT, contact=mine[1], detail="CSV export"),
        # Written without the pseudonym: still the patient's record.
        AccessLogEntry.objects.create(
            user=clinician_b, username=clinician_b.username, unit=unit_b, contact=mine[1], action=Action.PRINT
        ),
    ]
    unrelated = [
        log_access(user=clinician_a, action=Action.VIEW, contact=other),
        log_access(user=clinician_a, action=Action.LIST, unit=unit_a),
    ]
    return {"pseudonym": pseudonym, "expected": expected, "unrelated": unrelated}


def test_only_administrators_may_open_it(client, clinician_a, lead_a, analyst, curator):
    for user in (clinician_a, lead_a, analyst, curator):
        login(client, user)
        assert client.get(URL).status_code == 403, user
    client.logout()
    assert client.get(URL)["Location"].startswith(reverse("login"))


def test_report_lists_exactly_the_entries_for_that_reference_and_this_lookup(client, administrator, records):
    login(client, administrator)
    response = client.post(URL, {"reference": "ep 2026 0042"})  # spacing and case do not matter
    assert response.status_code == 200
    entries = response.context["entries"]
    lookup = AccessLogEntry.objects.get(action=Action.LOOKUP)
    assert [entry.pk for entry in entries] == [entry.pk for entry in records["expected"]] + [lookup.pk]
    html = response.content.decode()
    assert records["pseudonym"][:8].upper() in html
    assert clinician_b_name(records) in html


def clinician_b_name(records) -> str:
    return records["expected"][2].user.get_full_name()


def test_the_lookup_is_logged_with_the_pseudonym_and_never_the_reference(client, administrator, records, caplog):
    login(client, administrator)
    with caplog.at_level(logging.DEBUG):
        client.post(URL, {"reference": REFERENCE})
    lookup = AccessLogEntry.objects.get(action=Action.LOOKUP)
    assert (lookup.user, lookup.patient_pseudonym, lookup.contact) == (administrator, records["pseudonym"], None)
    assert lookup.detail == "Patient access report"
    everything = " ".join(str(value) for row in AccessLogEntry.objects.values_list() for value in row) + caplog.text
    assert REFERENCE not in everything and "2026-0042" not in everything


def test_earlier_lookups_appear_in_the_next_report(client, administrator, records):
    login(client, administrator)
    client.post(URL, {"reference": REFERENCE})
    response = client.post(URL, {"reference": REFERENCE})
    actions = [entry.action for entry in response.context["entries"]]
    assert actions.count(Action.LOOKUP) == 2


def test_csv_download_has_the_same_entries(client, administrator, records):
    login(client, administrator)
    response = client.post(URL, {"reference": REFERENCE, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert REFERENCE not in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == len(records["expected"]) + 1
    assert [row["action"] for row in rows] == ["create", "view", "update", "export", "print", "lookup"]
    assert rows[2]["user_name"] == "klinikerb" and rows[2]["unit_code"] == "RUS-DOGN"
    assert AccessLogEntry.objects.get(action=Action.LOOKUP).detail == "Patient access report (CSV)"


def test_csv_cells_cannot_start_a_spreadsheet_formula(client, administrator, unit_a):
    pseudonym = pseudonym_for(REFERENCE)
    contact = PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym)
    log_access(user=UserFactory(username="=cmd"), action=Action.VIEW, contact=contact, detail="@SUM(A1)")
    login(client, administrator)
    content = client.post(URL, {"reference": REFERENCE, "format": "csv"}).content.decode("utf-8-sig")
    assert "'=cmd" in content and "'@SUM(A1)" in content


def test_national_identity_numbers_are_refused_with_the_usual_explanation(client, administrator, records):
    login(client, administrator)
    response = client.post(URL, {"reference": VALID_FNR})
    assert response.status_code == 200
    assert "national identity number" in response.content.decode()
    assert not AccessLogEntry.objects.filter(action=Action.LOOKUP).exists()


@pytest.mark.parametrize("reference", ["", "   ", "x" * 101, "A" * 70])
def test_bad_references_get_a_message_not_an_error(client, administrator, reference):
    login(client, administrator)
    response = client.post(URL, {"reference": reference})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not AccessLogEntry.objects.exists()


def test_the_reference_is_taken_only_from_a_post_and_the_page_is_not_cached(client, administrator, records):
    login(client, administrator)
    response = client.get(URL, {"reference": REFERENCE})
    assert "entries" not in response.context
    assert not AccessLogEntry.objects.filter(action=Action.LOOKUP).exists()
    assert 'method="post"' in response.content.decode()
    response = client.post(URL, {"reference": REFERENCE})
    # The results page links nowhere with the reference in it (the language switch returns to the bare page).
    assert f"?reference={REFERENCE}" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_page_is_printable(client, administrator, records):
    login(client, administrator)
    html = client.post(URL, {"reference": REFERENCE}).content.decode()
    assert "css/privacy.css" in html and "data-print" in html


def test_query_count_does_not_grow_with_the_number_of_entries(
    client, administrator, unit_a, clinician_a, django_assert_max_num_queries
):
    pseudonym = pseudonym_for(REFERENCE)
    contacts = [PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym) for _ in range(5)]
    users = [UserFactory() for _ in range(10)]
    for index in range(60):
        log_access(user=users[index % 10], action=Action.VIEW, contact=contacts[index % 5])
    login(client, administrator)
    client.get(reverse("healthz"))
    # Ten today: session, user, the look-up entry, the entries with users and units, the contact count, the menu,
    # the session save. An N+1 over 60 entries and 10 users would be far above the limit; the margin is for menus.
    with django_assert_max_num_queries(12):
        response = client.post(URL, {"reference": REFERENCE})
    assert len(response.context["entries"]) == 61


def test_page_names_records_in_plain_words_without_internal_log_text(client, administrator, records):
    login(client, administrator)
    page = client.post(URL, {"reference": REFERENCE}).content.decode()
    contact_id = records["expected"][0].contact_id
    assert f"Contact no. {contact_id}" in page
    assert "PatientContact #" not in page
    assert "CSV export" not in page
