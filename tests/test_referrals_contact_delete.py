"""Soft delete: a reason is required, the contact disappears from the screens, the deletion is logged."""

import pytest
import time_machine
from django.urls import reverse

from referrals.models import AccessLogEntry, PatientContact
from tests.factories import PatientContactFactory, login
from tests.referrals_helpers import NOW, VALID_FNR


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def delete_url(contact):
    return reverse("referrals:contact_delete", args=[contact.pk])


def test_delete_needs_a_reason(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    response = login(client, clinician_a).post(delete_url(contact), {"reason": ""})
    assert response.status_code == 200
    assert PatientContact.objects.current().filter(pk=contact.pk).exists()


def test_reason_with_an_identity_number_is_refused(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    response = login(client, clinician_a).post(delete_url(contact), {"reason": f"wrong {VALID_FNR}"})
    assert "national identity number" in response.content.decode()
    assert PatientContact.objects.current().filter(pk=contact.pk).exists()


def test_deleted_contact_leaves_lists_and_is_404_afterwards(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    login(client, clinician_a)
    response = client.post(delete_url(contact), {"reason": "Registered on the wrong patient"})
    assert response.status_code == 302 and response.url == reverse("referrals:contact_list")
    contact.refresh_from_db()
    assert contact.deletion_reason == "Registered on the wrong patient" and contact.deleted_by == clinician_a
    assert client.get(reverse("referrals:contact_detail", args=[contact.pk])).status_code == 404
    assert client.get(reverse("referrals:contact_list")).context["page"].items == []
    assert AccessLogEntry.objects.filter(action="delete", contact=contact).count() == 1


def test_other_units_clinician_cannot_delete(client, clinician_b, unit_a):
    contact = PatientContactFactory(unit=unit_a)
    assert login(client, clinician_b).post(delete_url(contact), {"reason": "Because"}).status_code == 404
    contact.refresh_from_db()
    assert contact.deleted_at is None
