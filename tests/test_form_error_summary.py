"""Long forms: an error summary linking every error to its field, focus on it, asterisks on required dates, and
Enter in a date field saving rather than checking the patient (issue 17: 11, 19)."""

import re

import pytest
import time_machine
from django.urls import reverse

from tests.factories import PatientContactFactory, login
from tests.referrals_helpers import NOW, contact_form_data

URL = reverse("referrals:contact_create")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def summary_links(content: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="ds-error-summary"(.*?)</div>', content, re.S).group(0)
    return re.findall(r'<a class="ds-link" href="#([^"]+)">([^<]+)</a>', summary)


def test_error_summary_lists_each_error_with_a_link_to_its_field(client, clinician_a, unit_a):
    data = contact_form_data(unit_a, contacted_on="", intensity="", patient_reference="")
    content = login(client, clinician_a).post(URL, data).content.decode()
    links = dict(summary_links(content))
    assert set(links) == {"id_contacted_on", "id_patient_reference", "id_intensity_0"}
    assert links["id_contacted_on"].startswith("Date of contact: ")
    for anchor in links:
        assert f'id="{anchor}"' in content  # every link lands on an input
    assert "Please correct the errors below." not in content


def test_error_summary_takes_focus_instead_of_the_patient_field(client, clinician_a, unit_a):
    login(client, clinician_a)
    assert " autofocus" in re.search(r'<input[^>]*name="patient_reference"[^>]*>', client.get(URL).content.decode())[0]
    content = client.post(URL, contact_form_data(unit_a, intensity="")).content.decode()
    assert " autofocus" not in re.search(r'<input[^>]*name="patient_reference"[^>]*>', content)[0]
    assert re.search(r'<div class="ds-error-summary" id="error-summary" tabindex="-1"[^>]* autofocus', content)


def test_service_errors_are_in_the_summary_too(client, clinician_a, unit_a):
    data = contact_form_data(unit_a, intensity="0")  # a response with intensity 0 contradicts it
    content = login(client, clinician_a).post(URL, data).content.decode()
    assert [anchor for anchor, _text in summary_links(content)] == ["id_intensity_0"]


def test_required_dates_carry_an_asterisk(client, clinician_a, unit_a):
    login(client, clinician_a)
    new_contact = client.get(URL).content.decode()
    follow_up = client.get(
        reverse("referrals:follow_up_create", args=[PatientContactFactory(unit=unit_a).pk])
    ).content.decode()
    asterisk = r'\s*<span class="required-mark" aria-hidden="true">\*</span></label>'
    assert re.search(r'for="id_contacted_on">Date of contact' + asterisk, new_contact)
    assert re.search(r'for="id_followed_up_on">Date of follow-up' + asterisk, follow_up)
    assert re.search(r'for="id_follow_up_planned_on">Planned follow-up</label>', new_contact)  # optional: none


def test_enter_in_a_date_field_saves_because_save_is_the_forms_first_button(client, clinician_a, unit_a):
    content = login(client, clinician_a).get(URL).content.decode()
    form = re.search(r'<form method="post" id="contact-form".*?</form>', content, re.S).group(0)
    first_submit = re.search(r'<button[^>]*type="submit"[^>]*>', form).group(0)
    assert "name=" not in first_submit  # no action: the view saves
    data = contact_form_data(unit_a)
    del data["action"]
    assert login(client, clinician_a).post(URL, data).status_code == 302
