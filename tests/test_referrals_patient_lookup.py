""" "Check patient" in the contact form: one click is one look-up and one access-log entry, with or without HTMX."""

import re

import pytest
import time_machine
from django.urls import reverse

from referrals.models import AccessLogEntry
from referrals.pseudonyms import pseudonym_for
from tests.factories import PatientContactFactory, login
from tests.referrals_helpers import NOW, contact_form_data


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def lookup_entries():
    return list(AccessLogEntry.objects.filter(action=AccessLogEntry.Action.LOOKUP))


def elements_posting_to_lookup(html: str) -> list[str]:
    url = reverse("referrals:patient_lookup")
    return [tag for tag in re.findall(r"<(?:input|button|select|form)\b[^>]*>", html) if f'hx-post="{url}"' in tag]


def test_the_new_contact_form_has_one_lookup_trigger_the_button(client, clinician_a, unit_a):
    # A trigger on the field as well ("change") fired when the click took the focus away: two look-ups.
    html = login(client, clinician_a).get(reverse("referrals:contact_create")).content.decode()
    triggers = elements_posting_to_lookup(html)
    assert len(triggers) == 1
    assert 'id="check-patient"' in triggers[0] and "hx-trigger" not in triggers[0]


def test_the_edit_form_has_the_same_single_lookup_button_for_the_contacts_unit(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    html = login(client, clinician_a).get(reverse("referrals:contact_edit", args=[contact.pk])).content.decode()
    triggers = elements_posting_to_lookup(html)
    assert len(triggers) == 1
    assert 'id="check-patient"' in triggers[0] and f"{unit_a.pk}" in triggers[0]


def test_htmx_check_of_a_new_patient_writes_one_lookup_entry(client, clinician_a, unit_a):
    login(client, clinician_a).post(
        reverse("referrals:patient_lookup"),
        {"unit": unit_a.pk, "patient_reference": "NEW-7"},
        HTTP_HX_REQUEST="true",
    )
    [entry] = lookup_entries()
    assert entry.patient_pseudonym == pseudonym_for("NEW-7") and entry.contact is None


def test_htmx_check_of_a_known_patient_writes_one_entry_for_the_one_contact_shown(client, clinician_a, unit_a):
    earlier = PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym_for("EP-8"))
    login(client, clinician_a).post(
        reverse("referrals:patient_lookup"), {"unit": unit_a.pk, "patient_reference": "EP-8"}, HTTP_HX_REQUEST="true"
    )
    assert [entry.contact for entry in lookup_entries()] == [earlier]


def test_check_patient_without_javascript_writes_one_lookup_entry(client, clinician_a, unit_a):
    response = login(client, clinician_a).post(
        reverse("referrals:contact_create"), contact_form_data(unit_a, patient_reference="NEW-9", action="lookup")
    )
    assert response.status_code == 200 and "no earlier contacts" in response.content.decode()
    [entry] = lookup_entries()
    assert entry.patient_pseudonym == pseudonym_for("NEW-9")


def test_check_patient_on_the_edit_page_without_javascript_looks_up_in_the_contacts_unit(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    other = PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym_for("EP-10"))
    data = contact_form_data(unit_a, patient_reference="EP-10", action="lookup", version=str(contact.version))
    response = login(client, clinician_a).post(reverse("referrals:contact_edit", args=[contact.pk]), data)
    assert response.status_code == 200
    assert reverse("referrals:contact_detail", args=[other.pk]) in response.content.decode()
    assert [entry.contact for entry in lookup_entries()] == [other]
