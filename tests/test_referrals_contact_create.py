"""The one-page "New contact" form: defaults, saving once, national ID refusal, patient look-up, meeting search."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals.models import AccessLogEntry, PatientContact
from referrals.pseudonyms import pseudonym_for
from tests.factories import FellowshipFactory, MeetingFactory, MembershipFactory, PatientContactFactory, login
from tests.referrals_helpers import NOW, TODAY, VALID_FNR, contact_form_data

URL = reverse("referrals:contact_create")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_new_contact_page_preselects_the_only_unit_and_sensible_defaults(client, clinician_a, unit_a):
    response = login(client, clinician_a).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<input type="hidden" name="unit" value="{unit_a.pk}">' in html
    assert f'value="{TODAY.isoformat()}"' in html
    assert f'value="{(TODAY + datetime.timedelta(weeks=4)).isoformat()}"' in html
    assert 'name="submission_token"' in html
    assert "Actively recommended" in html and "Never write names" in html


def test_clinician_with_two_units_chooses_and_the_last_unit_is_remembered(client, clinician_a, unit_a, unit_b):
    MembershipFactory(user=clinician_a, unit=unit_b)
    login(client, clinician_a)
    assert '<select name="unit"' in client.get(URL).content.decode()
    client.post(URL, contact_form_data(unit_b))
    html = client.get(URL).content.decode()
    assert f'<option value="{unit_b.pk}" selected>' in html


def test_saving_records_the_contact_and_logs_it(client, clinician_a, unit_a):
    response = login(client, clinician_a).post(URL, contact_form_data(unit_a))
    contact = PatientContact.objects.get()
    assert response.status_code == 302 and response.url == reverse("referrals:contact_detail", args=[contact.pk])
    assert contact.clinician == clinician_a and contact.created_by == clinician_a
    assert contact.patient_pseudonym == pseudonym_for("EP-2026-0042")
    assert AccessLogEntry.objects.filter(action="create", contact=contact, user=clinician_a).count() == 1


def test_double_submit_creates_one_contact(client, clinician_a, unit_a):
    data = contact_form_data(unit_a)
    login(client, clinician_a)
    first = client.post(URL, data)
    second = client.post(URL, data, follow=True)
    assert PatientContact.objects.count() == 1
    assert second.redirect_chain[0][0] == first.url
    assert "already sent" in second.content.decode()


def test_national_identity_number_is_refused_with_the_explanation(client, clinician_a, unit_a):
    response = login(client, clinician_a).post(URL, contact_form_data(unit_a, patient_reference=VALID_FNR))
    assert response.status_code == 200
    assert "looks like a national identity number" in response.content.decode()
    assert not PatientContact.objects.exists()
    assert VALID_FNR not in response.content.decode()


def test_contradicting_answers_are_shown_beside_the_field(client, clinician_a, unit_a):
    meeting = MeetingFactory()
    data = contact_form_data(unit_a, intensity="0", response="", suggested_meetings=[str(meeting.pk)])
    response = login(client, clinician_a).post(URL, data)
    assert response.status_code == 200
    assert "choose intensity 1 or higher" in response.content.decode()
    assert not PatientContact.objects.exists()


def test_missing_required_fields_give_errors_not_a_crash(client, clinician_a, unit_a):
    response = login(client, clinician_a).post(URL, {"action": "save", "unit": "x", "contacted_on": "31.02"})
    assert response.status_code == 200
    assert not PatientContact.objects.exists()


def test_check_patient_without_javascript_finds_earlier_contacts_typed_differently(client, clinician_a, unit_a):
    earlier = PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym_for("EP-2026-0042"))
    data = contact_form_data(unit_a, patient_reference="ep 2026 0042", action="lookup")
    response = login(client, clinician_a).post(URL, data)
    html = response.content.decode()
    assert reverse("referrals:contact_detail", args=[earlier.pk]) in html
    assert earlier.fingerprint in html
    assert PatientContact.objects.count() == 1  # nothing saved
    assert AccessLogEntry.objects.filter(action="lookup", contact=earlier).count() == 1


def test_htmx_look_up_returns_the_fragment_and_logs_a_miss_with_the_pseudonym(client, clinician_a, unit_a):
    response = login(client, clinician_a).post(
        reverse("referrals:patient_lookup"), {"unit": unit_a.pk, "patient_reference": "NEW-1"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert '<div id="patient-lookup" class="patient-lookup">' in html and "no earlier contacts" in html
    # Screen readers hear a one-line summary in the page's stable status region, not the whole fragment.
    fingerprint = pseudonym_for("NEW-1")[:8].upper()
    status = f"Patient code {fingerprint}: 0 earlier contacts."
    assert f'<p id="patient-lookup-status" hx-swap-oob="innerHTML">{status}</p>' in html
    entry = AccessLogEntry.objects.get()
    assert entry.action == "lookup" and entry.patient_pseudonym == pseudonym_for("NEW-1") and entry.unit == unit_a


def test_look_up_does_not_reach_another_units_patients(client, clinician_b, unit_a):
    PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym_for("EP-1"))
    response = login(client, clinician_b).post(
        reverse("referrals:patient_lookup"), {"unit": unit_a.pk, "patient_reference": "EP-1"}
    )
    assert "earlier contact" not in response.content.decode()
    assert not AccessLogEntry.objects.exists()


def test_look_up_refuses_a_national_identity_number(client, clinician_a, unit_a):
    response = login(client, clinician_a).post(
        reverse("referrals:patient_lookup"), {"unit": unit_a.pk, "patient_reference": VALID_FNR}
    )
    assert "national identity number" in response.content.decode()


def test_search_without_javascript_keeps_ticked_meetings_and_filters_by_fellowship(client, clinician_a, unit_a):
    aa, na = FellowshipFactory(code="AA"), FellowshipFactory(code="NA")
    ticked = MeetingFactory(name="Ticked AA", group__fellowship=aa)
    other_aa = MeetingFactory(name="Other AA", group__fellowship=aa)
    na_meeting = MeetingFactory(name="Some NA", group__fellowship=na)
    data = contact_form_data(unit_a, action="search", suggested_meetings=[str(ticked.pk)], **{"ms-fellowship": "AA"})
    html = login(client, clinician_a).post(URL, data).content.decode()
    assert f'value="{ticked.pk}" id="meeting-{ticked.pk}" checked' in html
    assert f'value="{other_aa.pk}" id="meeting-{other_aa.pk}">' in html
    assert na_meeting.name not in html
    assert not PatientContact.objects.exists()


def test_htmx_meeting_search_finds_online_meetings(client, clinician_a):
    online = MeetingFactory(
        name="Zoom AA", attendance_mode="online", address="", municipality=None, conference_url="https://zoom.example"
    )
    local = MeetingFactory(name="Local AA")
    html = (
        login(client, clinician_a)
        .get(reverse("referrals:meeting_search"), {"ms-attendance": "online"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert online.name in html and local.name not in html


def test_saved_contact_keeps_the_two_suggested_meetings(client, clinician_a, unit_a):
    aa = FellowshipFactory(code="AA")
    first, second = MeetingFactory(group__fellowship=aa), MeetingFactory(group__fellowship=aa)
    data = contact_form_data(unit_a, fellowships=[str(aa.pk)], suggested_meetings=[str(first.pk), str(second.pk)])
    login(client, clinician_a).post(URL, data)
    contact = PatientContact.objects.get()
    assert set(contact.suggested_meetings.all()) == {first, second}
    assert list(contact.fellowships.all()) == [aa]


def test_inactive_meeting_cannot_be_suggested(client, clinician_a, unit_a):
    closed = MeetingFactory(status="inactive")
    response = login(client, clinician_a).post(URL, contact_form_data(unit_a, suggested_meetings=[str(closed.pk)]))
    assert response.status_code == 200
    assert not PatientContact.objects.exists()


def test_find_patient_page_never_echoes_an_identity_number(client, clinician_a, unit_a):
    response = login(client, clinician_a).post(
        reverse("referrals:find_patient"), {"unit": unit_a.pk, "patient_reference": VALID_FNR}
    )
    html = response.content.decode()
    assert "national identity number" in html and VALID_FNR not in html


def test_find_patient_page_lists_the_patients_contacts(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym_for("EP-7"))
    response = login(client, clinician_a).post(
        reverse("referrals:find_patient"), {"unit": unit_a.pk, "patient_reference": "ep7"}
    )
    assert reverse("referrals:contact_detail", args=[contact.pk]) in response.content.decode()


def test_the_form_reads_its_choices_without_server_side_cursors(client, clinician_a, unit_a, unit_b):
    # Django reads model choices through a cursor of their own on PostgreSQL: three round trips for each list.
    MembershipFactory(user=clinician_a, unit=unit_b)
    FellowshipFactory(code="AA")
    login(client, clinician_a)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL).content.decode()
    assert [query["sql"] for query in queries if query["sql"].startswith("DECLARE")] == []
    assert f'<option value="{unit_b.pk}"' in html and 'value="AA"' in html
