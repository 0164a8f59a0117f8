"""A national identity number typed or imported anywhere is never stored, logged or shown again.

Hypothesis embeds generated valid numbers, split by random separators, in random text and sends them through
every free-text field of the clinician screens, the patient access report and the contact import. After each
example no table, no log record and no page holds the number (nor its pseudonym), and the page explains why.
"""

import datetime
import hashlib
import hmac
import logging
import uuid

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.national_id import contains_national_id
from privacy.models import SecurityEvent
from referrals.models import AccessLogEntry, FollowUp, PatientContact
from referrals.pseudonyms import normalise_reference
from tests.factories import FollowUpFactory, PatientContactFactory, login
from tests.referrals_helpers import NOW, TODAY, contact_form_data
from tests.test_core_national_id import split_numbers

SETTINGS = hypothesis_settings(
    max_examples=15, deadline=None, database=None, suppress_health_check=list(__import__("hypothesis").HealthCheck)
)
# Around the number: words, and digits or separators that touch it (neighbouring digits are part of the attack).
around = st.text(alphabet="abc æøå 0123456789-./_\n", max_size=12)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def places(unit_a, clinician_a, lead_a, administrator):
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a)
    follow_up = FollowUpFactory(contact=contact, followed_up_on=TODAY)
    return {
        "unit": unit_a,
        "contact": contact,
        "follow_up": follow_up,
        "clinician": clinician_a,
        "lead": lead_a,
        "admin": administrator,
    }


def _contact_form(places, field, text):
    return contact_form_data(places["unit"], **{field: text})


def _edit_form(places, field, text):
    data = contact_form_data(places["unit"], **{field: text}, version=str(places["contact"].version))
    data.pop("submission_token")
    return data


def _follow_up_form(field, text, **extra):
    return {"followed_up_on": TODAY.isoformat(), "attended": "yes", "meetings_last_30_days": "2", field: text, **extra}


def _csv(text):
    row = f"{TODAY - datetime.timedelta(days=1)},RUS-POL,{' '.join(text.replace(',', ' ').split())},outpatient,2,,,"
    header = "date,unit,patient_ref,setting,intensity,fellowships,response,clinician"
    return {"action": "upload", "file": SimpleUploadedFile("x.csv", f"{header}\n{row}\n".encode(), "text/csv")}


# (name, who posts, url, the form data for a text)
TARGETS = {
    "new contact: reference": (
        "clinician",
        lambda p: "/contacts/new/",
        lambda p, t: _contact_form(p, "patient_reference", t),
    ),
    "new contact: notes": ("clinician", lambda p: "/contacts/new/", lambda p, t: _contact_form(p, "notes", t)),
    "new contact: check patient": (
        "clinician",
        lambda p: "/contacts/new/",
        lambda p, t: {**_contact_form(p, "patient_reference", t), "action": "lookup"},
    ),
    "edit: reference": (
        "clinician",
        lambda p: f"/contacts/{p['contact'].pk}/edit/",
        lambda p, t: _edit_form(p, "patient_reference", t),
    ),
    "edit: notes": (
        "clinician",
        lambda p: f"/contacts/{p['contact'].pk}/edit/",
        lambda p, t: _edit_form(p, "notes", t),
    ),
    "follow-up: notes": (
        "clinician",
        lambda p: f"/contacts/{p['contact'].pk}/follow-up/",
        lambda p, t: _follow_up_form("notes", t, submission_token=str(uuid.uuid4())),
    ),
    "follow-up edit: notes": (
        "clinician",
        lambda p: f"/contacts/{p['contact'].pk}/follow-up/{p['follow_up'].pk}/",
        lambda p, t: _follow_up_form("notes", t, version=str(p["follow_up"].version)),
    ),
    "delete: reason": ("clinician", lambda p: f"/contacts/{p['contact'].pk}/delete/", lambda p, t: {"reason": t}),
    "find patient": (
        "clinician",
        lambda p: "/contacts/find/",
        lambda p, t: {"unit": p["unit"].pk, "patient_reference": t},
    ),
    "look-up (HTMX)": (
        "clinician",
        lambda p: "/contacts/lookup/",
        lambda p, t: {"unit": p["unit"].pk, "patient_reference": t},
    ),
    "patient access report": ("admin", lambda p: "/privacy/patient-access/", lambda p, t: {"reference": t}),
    "contact import": ("lead", lambda p: "/contacts/import/", lambda p, t: _csv(t)),
}


def _stored_texts():
    yield from PatientContact.objects.values_list("notes", "deletion_reason")
    yield from FollowUp.objects.values_list("notes")
    yield from AccessLogEntry.objects.values_list("detail", "object_description", "username")
    yield from SecurityEvent.objects.values_list("detail")


def _hash(reference: str) -> str:
    """The pseudonym the reference would have had (pseudonym_for refuses to compute it)."""
    key = settings.PSEUDONYM_KEY.encode()
    return hmac.new(key, normalise_reference(reference).encode(), hashlib.sha256).hexdigest()


def _pseudonyms():
    return set(PatientContact.objects.values_list("patient_pseudonym", flat=True)) | set(
        AccessLogEntry.objects.values_list("patient_pseudonym", flat=True)
    )


@pytest.mark.parametrize("target", TARGETS)
def test_a_national_identity_number_in_any_free_text_is_never_stored_logged_or_shown(target, client, places, caplog):
    who, url_of, data_of = TARGETS[target]
    login(client, places[who])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    caplog.set_level(logging.DEBUG)

    @SETTINGS
    @given(split=split_numbers(), before=around, after=around)
    def attempt(split, before, after):
        number, written = split
        text = f"{before} {written} {after}".strip()
        assert contains_national_id(text)
        caplog.clear()
        contacts_before, follow_ups_before = PatientContact.objects.count(), FollowUp.objects.count()
        response = client.post(url_of(places), data_of(places, text))

        assert response.status_code == 200  # the form (or the import preview) again, with the explanation
        page = response.content.decode()
        assert number not in page and written.strip() not in page
        assert "national identity number" in page
        assert (PatientContact.objects.count(), FollowUp.objects.count()) == (contacts_before, follow_ups_before)
        for row in _stored_texts():
            assert not any(contains_national_id(value) for value in row), row
        assert _hash(number) not in _pseudonyms() and _hash(written) not in _pseudonyms()
        for record in caplog.records:
            assert number not in record.getMessage()

    attempt()


def test_the_access_log_never_takes_a_national_identity_number_whoever_passes_it(unit_a, clinician_a):
    """The last guard: the log is append-only, so even a caller's mistake must not put a number in it."""
    from referrals.audit import Action, log_access, log_many

    contact = PatientContactFactory(unit=unit_a)
    log_access(user=clinician_a, action=Action.DELETE, contact=contact, detail="wrong patient 150385 10271")
    log_many(user=clinician_a, action=Action.LIST, contacts=[contact], detail="fnr 15038510271-1")
    details = list(AccessLogEntry.objects.values_list("detail", flat=True).order_by("id"))
    assert details == ["wrong patient ***", "fnr ***"]
