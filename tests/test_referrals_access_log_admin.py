"""The access log in the admin: administrators search it; nobody can add, change or delete entries."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from referrals import audit
from referrals.models import AccessLogEntry
from referrals.pseudonyms import pseudonym_for
from tests.factories import PatientContactFactory, login

CHANGELIST = reverse("admin:referrals_accesslogentry_changelist")
PATIENT_SEARCH = reverse("admin:referrals_accesslogentry_patient")


@pytest.fixture
def entry(unit_a, clinician_a):
    contact = PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym_for("EP-99"))
    return audit.log_access(user=clinician_a, action=audit.Action.VIEW, contact=contact)


def test_administrator_lists_and_filters_the_log(client, administrator, entry, clinician_b, unit_b):
    audit.log_access(user=clinician_b, action=audit.Action.LIST, unit=unit_b)
    login(client, administrator)
    response = client.get(CHANGELIST, {"action__exact": "view"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [entry]
    assert client.get(CHANGELIST, {"q": "klinikerb"}).context["cl"].result_list[0].username == "klinikerb"
    assert client.get(CHANGELIST, {"unit__id__exact": unit_b.pk}).context["cl"].result_count == 1
    assert client.get(CHANGELIST, {"user__id__exact": entry.user_id}).context["cl"].result_count == 1


def test_nobody_can_add_change_or_delete_entries_in_the_admin(client, administrator, entry):
    login(client, administrator)
    change = reverse("admin:referrals_accesslogentry_change", args=[entry.pk])
    delete = reverse("admin:referrals_accesslogentry_delete", args=[entry.pk])
    assert client.get(reverse("admin:referrals_accesslogentry_add")).status_code == 403
    assert client.post(change, {"username": "someone-else", "action": "delete"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert bulk.status_code == 200  # no delete action exists: the list is shown again
    entry.refresh_from_db()
    assert (entry.username, entry.action) == ("klinikera", "view")
    assert AccessLogEntry.objects.count() == 1


def test_administrator_can_read_one_entry(client, administrator, entry):
    response = login(client, administrator).get(reverse("admin:referrals_accesslogentry_change", args=[entry.pk]))
    assert response.status_code == 200 and "klinikera" in response.content.decode()


def test_curator_on_the_admin_site_cannot_see_the_log(client, curator, entry):
    login(client, curator)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(PATIENT_SEARCH).status_code == 403


def test_entries_cannot_be_changed_or_deleted_in_code_either(entry):
    entry.detail = "rewritten"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_patient_search_hashes_the_typed_reference_and_logs_the_search(client, administrator, entry, unit_a):
    other = audit.log_access(user=administrator, action=audit.Action.VIEW, contact=PatientContactFactory(unit=unit_a))
    response = login(client, administrator).post(PATIENT_SEARCH, {"patient_reference": "ep 99"})
    html = response.content.decode()
    assert list(response.context["entries"]) == [entry]
    assert other not in response.context["entries"]
    assert "EP-99" not in html and "ep 99" not in html
    search = AccessLogEntry.objects.get(action="lookup")
    assert search.user == administrator and search.patient_pseudonym == pseudonym_for("EP-99")


def test_patient_search_refuses_an_identity_number(client, administrator):
    response = login(client, administrator).post(PATIENT_SEARCH, {"patient_reference": "01010012356"})
    assert "national identity number" in response.content.decode()
    assert not AccessLogEntry.objects.exists()


def test_patient_contacts_are_not_in_the_admin(client, administrator):
    login(client, administrator)
    assert client.get("/admin/referrals/patientcontact/").status_code == 404
    assert client.get("/admin/referrals/followup/").status_code == 404


def test_patient_search_shows_times_in_the_interface_language(client, administrator, unit_a, settings):
    import datetime
    import zoneinfo

    settings.LANGUAGE_CODE = "nb"
    contact = PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym_for("EP-98"))
    AccessLogEntry.objects.create(
        username="klinikera",
        contact=contact,
        unit=unit_a,
        patient_pseudonym=contact.patient_pseudonym,
        action="view",
        at=datetime.datetime(2026, 10, 20, 9, 5, 7, tzinfo=zoneinfo.ZoneInfo("Europe/Oslo")),
    )
    html = login(client, administrator).post(PATIENT_SEARCH, {"patient_reference": "EP-98"}).content.decode()
    assert "20.10.2026 09:05:07" in html and "2026-10-20" not in html
