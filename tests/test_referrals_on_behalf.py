"""A unit lead records a contact for a clinician of the unit, through the service, logged as such (issue 17: 12, 14)."""

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from referrals import services
from referrals.models import AccessLogEntry, PatientContact
from tests.factories import PatientContactFactory, UserFactory, login
from tests.referrals_helpers import NOW, contact_form_data

URL = reverse("referrals:contact_create")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_lead_records_a_contact_for_a_clinician_and_the_log_says_so(client, lead_a, clinician_a, unit_a):
    login(client, lead_a)
    assert 'name="clinician"' in client.get(URL).content.decode()
    response = client.post(URL, contact_form_data(unit_a, clinician=clinician_a.pk))
    contact = PatientContact.objects.get()
    assert response.status_code == 302
    assert (contact.clinician, contact.created_by) == (clinician_a, lead_a)
    entry = AccessLogEntry.objects.get(action="create", contact=contact)
    assert (entry.user, entry.detail) == (lead_a, f"on behalf of {clinician_a.username}")


def test_lead_who_chooses_no_one_records_for_themself(client, lead_a, unit_a):
    login(client, lead_a).post(URL, contact_form_data(unit_a, clinician=""))
    contact = PatientContact.objects.get()
    assert contact.clinician == lead_a
    assert AccessLogEntry.objects.get(action="create", contact=contact).detail == ""


def test_clinician_gets_no_choice_and_cannot_record_for_a_colleague(client, clinician_a, lead_a, unit_a):
    login(client, clinician_a)
    assert 'name="clinician"' not in client.get(URL).content.decode()
    client.post(URL, contact_form_data(unit_a, clinician=lead_a.pk))
    assert PatientContact.objects.get().clinician == clinician_a
    with pytest.raises(ValidationError) as error:
        services.contact_create(unit=unit_a, data={**service_data(), "clinician": lead_a}, actor=clinician_a)
    assert "clinician" in error.value.message_dict


def test_lead_cannot_record_for_someone_outside_the_unit(client, lead_a, clinician_b, unit_a):
    response = login(client, lead_a).post(URL, contact_form_data(unit_a, clinician=clinician_b.pk))
    assert response.status_code == 200
    assert not PatientContact.objects.exists()


def service_data() -> dict:
    from django.utils import timezone

    return {"patient_reference": "EP-1", "contacted_at": timezone.now(), "setting": "outpatient"}


def test_contact_page_names_who_recorded_for_whom_and_who_changed_it(client, lead_a, clinician_a, unit_a):
    lead_a.first_name, lead_a.last_name = "Lene", "Leder"
    lead_a.save()
    clinician_a.first_name, clinician_a.last_name = "Kari", "Kliniker"
    clinician_a.save()
    editor = UserFactory(first_name="Eva", last_name="Endre")
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a, created_by=lead_a)
    services.contact_update(contact=contact, data={"notes": "Ny avtale"}, actor=editor, expected_version=1)
    content = login(client, clinician_a).get(reverse("referrals:contact_detail", args=[contact.pk])).content.decode()
    assert "by Lene Leder for Kari Kliniker" in content
    assert "version 2, changed" in content and "by Eva Endre" in content
