"""Meeting search parameters, report parameters, targets, two-factor codes, the patient access look-up
and the admin's meeting form, with hostile input."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reports.models import Target
from tests.factories import login
from tests.hostile.forms import FormTarget, attack, check_answer, post_raw, shows_an_error
from tests.hostile.payloads import (
    FIELD_SWEEP_VALUES,
    HOSTILE_SETTINGS,
    KEY_VALUES,
    NATIONAL_IDS,
    SCRIPT,
    RawBytes,
    encode,
    hostile_value,
    key_examples,
)
from tests.main_pages import build_world, require_route

mutations = st.lists(st.tuples(st.integers(min_value=-1, max_value=200), hostile_value), min_size=1, max_size=4)

SEARCH_PARAMETERS = [
    "q",
    "postal_code",
    "county",
    "municipality",
    "fellowship",
    "weekday",
    "time_of_day",
    "openness",
    "attendance",
    "language",
    "wheelchair",
    "newcomers",
    "next_7_days",
    "sort",
    "page",
]
parameters = st.dictionaries(
    st.sampled_from(SEARCH_PARAMETERS), st.lists(hostile_value, min_size=1, max_size=3), max_size=5
)


@pytest.fixture
def world(unit_a, clinician_a):
    return build_world(unit=unit_a, clinician=clinician_a)


# --- Meeting search ---------------------------------------------------------------------------------------


@HOSTILE_SETTINGS
@given(params=parameters)
@example(params={"q": ["\x00"], "postal_code": ["\x00"]})
@example(params={"q": [SCRIPT], "sort": [SCRIPT]})
@example(params={"postal_code": ["9999"], "weekday": ["8", "-1", "1e309"]})
@example(params={"municipality": [KEY_VALUES[-1]], "county": ["'; DROP TABLE registry_meeting; --"]})
@example(params={"page": ["99999999"], "q": [RawBytes(b"\xff\xfe")]})
def test_meeting_search_with_hostile_parameters_never_fails(client, world, params):
    require_route("/meetings/")
    query = encode(params)
    for path, headers in (
        ("/meetings/", {}),
        ("/meetings/", {"HTTP_HX_REQUEST": "true"}),
        ("/meetings/calendar/results.ics", {}),
    ):
        response = client.get(f"{path}?{query}", **headers)
        check_answer(response, context=f"GET {path}?{query[:200]}")
        assert response.status_code in (200, 400, 404), response.status_code


def test_an_invalid_search_parameter_is_explained_to_the_user(client, world):
    response = client.get("/meetings/?postal_code=%00abc&weekday=9")
    assert response.status_code in (200, 400)
    assert shows_an_error(response.content)


# --- Reports ----------------------------------------------------------------------------------------------


@HOSTILE_SETTINGS
@given(
    params=st.dictionaries(
        st.sampled_from(["unit", "month", "indicator", "span", "scope"]), st.lists(hostile_value, max_size=2)
    )
)
@example(params={"month": ["2026-13"], "unit": [SCRIPT]})
@example(params={"month": ["\x00"], "indicator": ["\x00"]})
@example(params={"month": ["0000-00"], "span": [KEY_VALUES[-1]]})
def test_report_pages_and_exports_with_hostile_parameters_never_fail(client, world, lead_a, analyst, params):
    require_route("/reports/")
    query = encode(params)
    for user, paths in (
        (lead_a, ["/reports/", "/reports/export.csv"]),
        (analyst, ["/reports/compare/", "/reports/compare/export.csv"]),
    ):
        login(client, user)
        for path in paths:
            response = client.get(f"{path}?{query}")
            check_answer(response, context=f"GET {path}?{query[:200]}")
            assert response.status_code in (200, 302, 400, 404), f"{path}: {response.status_code}"


def _targets():
    return sorted(Target.objects.values_list("pk", "unit_id", "indicator", "target_percent", "valid_from", "valid_to"))


@pytest.fixture
def target_form(world, unit_a):
    require_route("/reports/targets/")
    return FormTarget(
        path="/reports/targets/",
        marker_field="target_percent",
        valid={"unit": [str(unit_a.pk)], "target_percent": ["40"], "valid_from": ["2026-01"], "valid_to": [""]},
        state=_targets,
        accepted=lambda before, after: len(after) == len(before) + 1,
    )


def test_a_valid_target_is_accepted_so_the_attack_can_see_writes(client, lead_a, target_form):
    login(client, lead_a)
    before = target_form.state()
    response = attack(client, target_form, [])
    assert response.status_code == 302, response.content.decode()[:2000]
    assert target_form.accepted(before, target_form.state())


def test_each_target_field_with_nul_script_or_broken_utf8_is_refused_cleanly(client, lead_a, target_form):
    login(client, lead_a)
    fields = target_form.open(client).editable()
    for value in FIELD_SWEEP_VALUES + ["-5", "100.01", "1e309", "NaN", "2026-02-30", "2027-01"]:
        for index in range(len(fields)):
            attack(client, target_form, [(index, value)])


def test_random_hostile_targets_are_refused_cleanly_or_stored_safely(client, lead_a, target_form):
    login(client, lead_a)

    @HOSTILE_SETTINGS
    @given(changes=mutations)
    def run(changes):
        attack(client, target_form, changes)

    run()


# --- Two-factor codes -------------------------------------------------------------------------------------


@HOSTILE_SETTINGS
@given(code=hostile_value)
@key_examples("code")
def test_two_factor_code_with_hostile_input_never_fails_and_never_verifies(client, clinician_a, settings, code):
    from tests.factories import authenticator_for

    require_route("/accounts/2fa/verify/")
    settings.REQUIRE_2FA = True
    if not clinician_a.totpdevice_set.exists():
        authenticator_for(clinician_a)
    client.logout()
    login(client, clinician_a)
    response = post_raw(client, "/accounts/2fa/verify/", {"code": [code]})
    check_answer(response, context=f"2FA code {code!r}")
    if response.status_code == 200:
        assert shows_an_error(response.content)
    # Whatever was typed, the held pages stay held.
    held = client.get("/contacts/")
    assert held.status_code == 302, "a hostile code let the user through"


def test_two_factor_enrolment_with_hostile_code_never_fails(client, clinician_b, settings):
    require_route("/accounts/2fa/setup/")
    settings.REQUIRE_2FA = True
    login(client, clinician_b)
    assert client.get("/accounts/2fa/setup/").status_code == 200

    @HOSTILE_SETTINGS
    @given(code=hostile_value)
    @key_examples("code")
    def run(code):
        response = post_raw(client, "/accounts/2fa/setup/", {"code": [code]})
        check_answer(response, context=f"2FA enrolment code {code!r}")
        assert not clinician_b.totpdevice_set.filter(confirmed=True).exists()

    run()


# --- Patient access look-up (administrators) ----------------------------------------------------------------


@HOSTILE_SETTINGS
@given(reference=hostile_value, output=st.sampled_from(["", "csv", SCRIPT]))
@key_examples("reference", output="")
def test_patient_access_lookup_with_hostile_reference_never_fails(client, world, administrator, reference, output):
    require_route("/privacy/patient-access/")
    login(client, administrator)
    response = post_raw(client, "/privacy/patient-access/", {"reference": [reference], "format": [output]})
    check_answer(response, context=f"patient access {reference!r}")
    assert response.status_code == 200
    content = response.content.decode("utf-8", "replace")
    if reference in NATIONAL_IDS:
        assert shows_an_error(response.content), "a national identity number must be refused"
    if isinstance(reference, str) and len(reference.strip()) >= 6 and "<" not in reference:
        # The typed reference is never echoed back into a page that lists access by others.
        assert f">{reference}<" not in content


# --- The admin's meeting form (curators) --------------------------------------------------------------------


def _meetings():
    from registry.models import Group, Meeting

    return (
        Meeting.objects.count(),
        Group.objects.count(),
        sorted(Meeting.objects.values_list("pk", "slug", "name", "status", "weekday", "start_time", "address")),
    )


@pytest.fixture
def admin_meeting_add(world):
    from django.contrib import admin

    from registry.models import Meeting

    if not admin.site.is_registered(Meeting):
        pytest.skip("Meeting is not in the admin yet")
    group = world.meetings[0].group
    return FormTarget(
        path="/admin/registry/meeting/add/",
        marker_field="slug",
        valid={
            "slug": ["hostile-admin"],
            "group": [str(group.pk)],
            "name": ["Admin-møtet"],
            "weekday": ["3"],
            "start_time": ["19:00"],
            "end_time": ["20:00"],
            "address": ["Gyldenløves gate 1"],
            "postal_code": ["4611"],
            "municipality": ["4204"],
            "attendance_mode": ["in_person"],
            "status": ["active"],
            "recurrence": ["weekly"],
            "languages": ["nb"],
            "_save": ["Save"],
        },
        state=_meetings,
        accepted=lambda before, after: after[0] == before[0] + 1 and after[1] == before[1],
    )


@pytest.fixture
def admin_meeting_change(world):
    from django.contrib import admin

    from registry.models import Meeting

    if not admin.site.is_registered(Meeting):
        pytest.skip("Meeting is not in the admin yet")
    return FormTarget(
        path=f"/admin/registry/meeting/{world.meetings[0].pk}/change/",
        marker_field="slug",
        valid={"_save": ["Save"]},
        state=_meetings,
        accepted=lambda before, after: after[0] == before[0] and after[1] == before[1],
    )


@pytest.mark.parametrize("target_name", ["admin_meeting_add", "admin_meeting_change"])
def test_admin_meeting_form_valid_submission_is_accepted(request, client, curator, target_name):
    target = request.getfixturevalue(target_name)
    login(client, curator)
    response = attack(client, target, [])
    assert response.status_code == 302, response.content.decode()[:3000]


@pytest.mark.parametrize("target_name", ["admin_meeting_add", "admin_meeting_change"])
def test_admin_meeting_form_fields_with_nul_script_or_broken_utf8_are_refused_cleanly(
    request, client, curator, target_name
):
    target = request.getfixturevalue(target_name)
    login(client, curator)
    fields = target.open(client).editable()
    for value in FIELD_SWEEP_VALUES:
        for index in range(len(fields)):
            attack(client, target, [(index, value)])


@pytest.mark.parametrize("target_name", ["admin_meeting_add", "admin_meeting_change"])
def test_admin_meeting_form_with_random_hostile_mixes(request, client, curator, target_name):
    target = request.getfixturevalue(target_name)
    login(client, curator)

    @HOSTILE_SETTINGS
    @given(changes=mutations)
    def run(changes):
        attack(client, target, changes)

    run()
