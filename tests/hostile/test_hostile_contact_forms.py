"""New contact, edit and follow-up forms, and the contact list filters, with hostile input.

Each form is first submitted valid (so the tests can see a write), then once per field with each
key value, then with random mixes drawn by hypothesis. Refused: nothing changed and an error is
shown. Accepted: only the one expected write, and the resulting page escapes everything.
"""

import datetime

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from referrals.models import FollowUp, PatientContact
from tests.factories import login
from tests.hostile.forms import FormTarget, attack, check_answer, post_raw, shows_an_error
from tests.hostile.payloads import FIELD_SWEEP_VALUES, HOSTILE_SETTINGS, KEY_VALUES, NATIONAL_IDS, encode, hostile_value
from tests.main_pages import build_world, require_route

mutations = st.lists(st.tuples(st.integers(min_value=-1, max_value=200), hostile_value), min_size=1, max_size=4)


def _today() -> str:
    return timezone.localdate().isoformat()


def _counts():
    return (
        PatientContact.objects.count(),
        FollowUp.objects.count(),
        PatientContact.fellowships.through.objects.count(),
        PatientContact.suggested_meetings.through.objects.count(),
    )


@pytest.fixture
def world(unit_a, clinician_a):
    return build_world(unit=unit_a, clinician=clinician_a)


@pytest.fixture
def clinician_client(client, clinician_a, world):
    return login(client, clinician_a)


@pytest.fixture
def new_contact(world):
    require_route("/contacts/new/")
    return FormTarget(
        path="/contacts/new/",
        marker_field="patient_reference",
        valid={"patient_reference": ["P-1234"], "intensity": ["2"], "contacted_on": [_today()]},
        state=_counts,
        accepted=lambda before, after: after[0] == before[0] + 1 and after[1] == before[1],
        drop=("action",),
    )


def _contact_state(contact):
    def state():
        row = PatientContact.objects.filter(pk=contact.pk).values().get()
        row.pop("updated_at")
        return (
            row,
            sorted(contact.fellowships.values_list("pk", flat=True)),
            sorted(contact.suggested_meetings.values_list("pk", flat=True)),
            _counts(),
        )

    return state


@pytest.fixture
def edit_contact(world):
    path = f"/contacts/{world.contact.pk}/edit/"
    require_route(path)
    return FormTarget(
        path=path,
        marker_field="version",
        valid={"patient_reference": ["P-1234"]},
        state=_contact_state(world.contact),
        accepted=lambda before, after: after[0]["version"] == before[0]["version"] + 1 and after[3] == before[3],
    )


@pytest.fixture
def follow_up(world):
    path = f"/contacts/{world.contact.pk}/follow-up/"
    require_route(path)
    return FormTarget(
        path=path,
        marker_field="followed_up_on",
        valid={"followed_up_on": [_today()], "attended": ["yes"]},
        state=_counts,
        accepted=lambda before, after: after[1] == before[1] + 1 and after[0] == before[0],
    )


TARGETS = ["new_contact", "edit_contact", "follow_up"]


@pytest.mark.parametrize("target_name", TARGETS)
def test_valid_submission_is_accepted_so_the_attack_can_see_writes(request, clinician_client, target_name):
    target = request.getfixturevalue(target_name)
    before = target.state()
    response = attack(clinician_client, target, [])
    assert response.status_code == 302, response.content.decode()[:2000]
    assert target.accepted(before, target.state())


@pytest.mark.parametrize("target_name", TARGETS)
def test_each_field_with_nul_script_or_broken_utf8_is_refused_cleanly_or_stored_safely(
    request, clinician_client, target_name
):
    target = request.getfixturevalue(target_name)
    fields = target.open(clinician_client).editable()
    for value in FIELD_SWEEP_VALUES:
        for index in range(len(fields)):
            attack(clinician_client, target, [(index, value)])


@pytest.mark.parametrize("target_name", TARGETS)
def test_every_field_at_once_with_each_key_hostile_value_is_refused_cleanly(request, clinician_client, target_name):
    target = request.getfixturevalue(target_name)
    for value in KEY_VALUES:
        attack(clinician_client, target, [(-1, value)])


@pytest.mark.parametrize("target_name", TARGETS)
def test_random_hostile_mixes_are_refused_cleanly_or_stored_safely(request, clinician_client, target_name):
    target = request.getfixturevalue(target_name)

    @HOSTILE_SETTINGS
    @given(changes=mutations)
    def run(changes):
        attack(clinician_client, target, changes)

    run()


@HOSTILE_SETTINGS
@given(
    params=st.dictionaries(st.sampled_from(["unit", "month", "clinician", "intensity", "due", "page"]), hostile_value)
)
def test_contact_list_filters_with_hostile_values_never_fail(clinician_client, params):
    require_route("/contacts/")
    for path in ("/contacts/", "/contacts/worklist/"):
        response = clinician_client.get(f"{path}?{encode({key: [value] for key, value in params.items()})}")
        check_answer(response, context=f"GET {path} {params!r}")
        assert response.status_code in (200, 400)


@HOSTILE_SETTINGS
@given(reference=hostile_value, unit=hostile_value)
def test_patient_lookup_with_hostile_reference_never_fails_or_echoes_a_national_id(
    clinician_client, unit_a, reference, unit
):
    require_route("/contacts/lookup/")
    for data in (
        {"unit": [str(unit_a.pk)], "patient_reference": [reference]},
        {"unit": [unit], "patient_reference": [reference]},
    ):
        response = post_raw(clinician_client, "/contacts/lookup/", data, HTTP_HX_REQUEST="true")
        check_answer(response, context=f"lookup {data!r}")
        assert response.status_code in (200, 400)


def test_a_national_identity_number_as_reference_is_refused_with_an_explanation(clinician_client, new_contact):
    for national_id in NATIONAL_IDS:
        before = new_contact.state()
        new_contact.form = None
        form = new_contact.open(clinician_client)
        data = new_contact.baseline(form)
        data["patient_reference"] = [national_id]
        response = post_raw(clinician_client, new_contact.path, data)
        assert response.status_code == 200
        assert new_contact.state() == before
        assert shows_an_error(response.content)
        assert "national identity number" in response.content.decode() or "fødselsnummer" in response.content.decode()


def test_an_impossible_contact_date_is_refused(clinician_client, new_contact):
    for day in ("2026-02-30", "2026-13-01", (timezone.localdate() + datetime.timedelta(days=400)).isoformat()):
        new_contact.form = None
        form = new_contact.open(clinician_client)
        data = new_contact.baseline(form)
        data["contacted_on"] = [day]
        before = new_contact.state()
        response = post_raw(clinician_client, new_contact.path, data)
        check_answer(response, context=f"contacted_on={day}")
        assert response.status_code == 200, f"contacted_on={day} was accepted"
        assert new_contact.state() == before
