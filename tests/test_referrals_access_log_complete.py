"""The access log is complete and permanent.

(a) Every answer that shows a contact is logged, a form shown again with its errors as much as the page itself.
(b) Nothing done elsewhere changes an entry: a unit, user or contact named in the log cannot be deleted.
(c) A list page is one entry naming every contact shown, and the patient access report still finds it.
"""

import pytest
import time_machine
from django.db.models import ProtectedError
from django.urls import reverse

from accounts.models import Unit
from privacy.selectors import patient_access_entries
from referrals.audit import Action, log_access
from referrals.models import AccessLogEntry, PatientContact
from referrals.pseudonyms import pseudonym_for
from tests.factories import FollowUpFactory, PatientContactFactory, UnitFactory, UserFactory, login
from tests.referrals_helpers import NOW, TODAY, contact_form_data


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def contact(unit_a, clinician_a):
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a, patient_pseudonym=pseudonym_for("EP-7"))
    contact.follow_up = FollowUpFactory(contact=contact, followed_up_on=TODAY)
    return contact


def _edit(contact, **changes):
    data = contact_form_data(contact.unit, version=str(contact.version), **changes)
    data.pop("submission_token")
    return data


# (name, method, URL, data): each answer shows the contact; none writes anything.
SHOWN = {
    "contact page": ("get", "contact_detail", None),
    "edit form": ("get", "contact_edit", None),
    "edit: search meetings": ("post", "contact_edit", lambda c: _edit(c, action="search")),
    "edit: invalid intensity": ("post", "contact_edit", lambda c: _edit(c, intensity="9")),
    "delete form": ("get", "contact_delete", None),
    "delete: empty reason": ("post", "contact_delete", lambda c: {"reason": ""}),
    "follow-up form": ("get", "follow_up_create", None),
    "follow-up: invalid date": (
        "post",
        "follow_up_create",
        lambda c: {"followed_up_on": "2026-02-30", "attended": "yes", "submission_token": "1" * 32},
    ),
    "follow-up edit form": ("get", "follow_up_edit", None),
    "follow-up edit: invalid date": (
        "post",
        "follow_up_edit",
        lambda c: {"followed_up_on": "not a date", "attended": "yes", "version": "1"},
    ),
}


@pytest.mark.parametrize("name", SHOWN)
def test_every_answer_that_shows_a_contact_is_logged_valid_form_or_not(name, client, clinician_a, contact):
    method, url_name, data = SHOWN[name]
    arguments = [contact.pk, contact.follow_up.pk] if url_name == "follow_up_edit" else [contact.pk]
    url = reverse(f"referrals:{url_name}", args=arguments)
    before = PatientContact.objects.values().get(pk=contact.pk)
    login(client, clinician_a)
    response = client.get(url) if method == "get" else client.post(url, data(contact))
    assert response.status_code == 200
    assert PatientContact.objects.values().get(pk=contact.pk) == before  # nothing was written
    entry = AccessLogEntry.objects.get(contact=contact)
    assert (entry.action, entry.user, entry.patient_pseudonym) == (Action.VIEW, clinician_a, contact.patient_pseudonym)


def test_a_refused_delete_is_logged_as_a_view_and_a_done_one_as_a_delete(client, clinician_a, contact):
    url = reverse("referrals:contact_delete", args=[contact.pk])
    login(client, clinician_a)
    client.post(url, {"reason": ""})
    client.post(url, {"reason": "Registered on the wrong patient"})
    actions = list(AccessLogEntry.objects.filter(contact=contact).order_by("id").values_list("action", flat=True))
    assert actions == [Action.VIEW, Action.DELETE]


def test_deleting_a_unit_named_in_the_log_is_refused_and_the_entry_stays_as_it_was(client, clinic, administrator):
    unit = UnitFactory(code="TOM", parent=clinic)
    entry = log_access(user=administrator, action=Action.LOOKUP, unit=unit, detail="no earlier contacts")
    before = AccessLogEntry.objects.values().get(pk=entry.pk)
    login(client, administrator)
    response = client.post(reverse("admin:accounts_unit_delete", args=[unit.pk]), {"post": "yes"})
    assert response.status_code == 200  # Django's "cannot delete: protected objects" page
    assert Unit.objects.filter(pk=unit.pk).exists()
    assert AccessLogEntry.objects.values().get(pk=entry.pk) == before
    with pytest.raises(ProtectedError):
        unit.delete()


def test_deleting_a_user_or_a_contact_named_in_the_log_is_refused(unit_a, contact):
    user = UserFactory(username="gone")
    entry = log_access(user=user, action=Action.VIEW, contact=contact)
    with pytest.raises(ProtectedError):
        user.delete()
    with pytest.raises(ProtectedError):
        PatientContact.objects.filter(pk=contact.pk).delete()
    entry.refresh_from_db()
    assert (entry.user_id, entry.unit_id, entry.contact_id) == (user.pk, unit_a.pk, contact.pk)


def test_a_unit_the_log_never_names_can_still_be_deleted(clinic):
    unit = UnitFactory(code="UBRUKT", parent=clinic)
    unit.delete()
    assert not Unit.objects.filter(code="UBRUKT").exists()


def test_the_patient_access_report_finds_every_list_that_showed_the_patient(client, clinician_a, lead_a, unit_a):
    """One entry per list page, and still every view of the patient is found, on PostgreSQL (jsonb) and SQLite."""
    pseudonym = pseudonym_for("EP-7")
    theirs = PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym)
    for number in range(30):
        PatientContactFactory(unit=unit_a, patient_pseudonym=pseudonym_for(f"OTHER-{number}"))
    login(client, clinician_a).get(reverse("referrals:contact_list"))
    login(client, lead_a).get(reverse("referrals:contact_list"))
    other_list = PatientContact.objects.exclude(pk=theirs.pk)[:5]
    from referrals.audit import log_shown

    log_shown(user=lead_a, action=Action.LIST, contacts=other_list, detail="a list without the patient")
    found = list(patient_access_entries(pseudonym=pseudonym))
    assert [(entry.username, entry.detail) for entry in found] == [
        ("klinikera", "contact list"),
        ("ledera", "contact list"),
    ]
    assert all(theirs.pk in entry.contact_ids for entry in found)
    assert AccessLogEntry.objects.filter(action=Action.LIST).count() == 3
