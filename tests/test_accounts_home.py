"""The home page shows each user what their roles and units let them do."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from tests.factories import MembershipFactory, UnitFactory, UserFactory, login


def _home(client, user):
    login(client, user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def test_clinician_sees_own_unit_and_role(client, clinician_a, unit_a):
    page = _home(client, clinician_a).content.decode()
    assert "Clinician · Rus poliklinikk" in page
    assert unit_a.code in page
    assert "has no role yet" not in page


def test_clinician_does_not_see_other_units(client, clinician_b, unit_a, unit_b):
    page = _home(client, clinician_b).content.decode()
    assert unit_b.code in page
    assert unit_a.code not in page


def test_unit_lead_of_a_clinic_covers_its_units(client, clinic, unit_a, unit_b):
    lead = MembershipFactory(unit=clinic, role=Membership.Role.LEAD).user
    response = _home(client, lead)
    assert {unit.code for unit in response.context["patient_units"]} == {clinic.code, unit_a.code, unit_b.code}
    assert "Unit lead · Klinikk for rus" in response.content.decode()


def test_curator_sees_curator_role_and_no_units(client, curator):
    response = _home(client, curator)
    assert response.context["is_curator"]
    assert response.context["patient_units"] == []
    page = response.content.decode()
    assert ">Curator<" in page
    assert "Your units" not in page


def test_quality_analyst_sees_analyst_role(client, analyst):
    response = _home(client, analyst)
    assert response.context["is_quality_analyst"]
    assert ">Quality analyst<" in response.content.decode()


def test_administrator_gets_links_to_user_and_unit_administration(client, administrator):
    page = _home(client, administrator).content.decode()
    assert reverse("admin:accounts_user_changelist") in page
    assert reverse("admin:accounts_unit_changelist") in page


@pytest.mark.parametrize("persona", ["clinician_a", "lead_a", "analyst", "curator"])
def test_only_administrators_get_administration_links(client, request, persona):
    page = _home(client, request.getfixturevalue(persona)).content.decode()
    assert reverse("admin:accounts_user_changelist") not in page


def test_user_without_any_role_gets_a_clear_explanation(client, db):
    page = _home(client, UserFactory(username="newcomer")).content.decode()
    assert "Your account has no role yet" in page
    assert "administrator" in page


@pytest.mark.parametrize("persona", ["clinician_a", "lead_a", "analyst", "curator", "administrator"])
def test_home_includes_each_apps_section(client, request, persona):
    response = _home(client, request.getfixturevalue(persona))
    used = {template.name for template in response.templates}
    assert {"referrals/_home.html", "reports/_home.html", "registry/_home.html"} <= used


@pytest.fixture
def without_app_sections(settings):
    """The home page with empty app partials: each app pins the queries of its own section."""
    engine = dict(settings.TEMPLATES[0])
    engine["APP_DIRS"] = False
    engine["OPTIONS"] = {
        **engine["OPTIONS"],
        "loaders": [
            ("django.template.loaders.locmem.Loader", {f"{app}/_home.html": "" for app in APP_SECTIONS}),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    }
    settings.TEMPLATES = [engine]


APP_SECTIONS = ["referrals", "reports", "registry"]


def _queries_of_home(client, user) -> int:
    login(client, user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.usefixtures("without_app_sections")
def test_home_query_count_does_not_grow_with_the_number_of_units(client, trust):
    few = UserFactory(username="few")
    MembershipFactory(user=few, unit=UnitFactory(parent=trust), role=Membership.Role.LEAD)
    many = UserFactory(username="many")
    for _ in range(15):
        MembershipFactory(user=many, unit=UnitFactory(parent=trust), role=Membership.Role.LEAD)

    assert _queries_of_home(client, many) == _queries_of_home(client, few)
