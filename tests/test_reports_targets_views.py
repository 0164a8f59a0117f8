"""Target pages: leads set targets for their units, administrators for all; bad input never saves."""

import pytest
from django.urls import reverse

from reports.models import Target
from tests.factories import TargetFactory, login
from tests.reports_helpers import in_english

URL = reverse("reports:targets")
# The session (1; the user and the units the user's memberships cover are kept from the first request:
# accounts/principals.py), the targets with their units (1), the form's unit choices (1) and whether there is only
# one (1); the session is saved at most once a minute, not here.
QUERIES_TARGET_LIST = 4


@pytest.fixture(autouse=True)
def english(client):
    in_english(client)


def _form(unit, **changes):
    return {
        "unit": unit.pk,
        "indicator": "referral_rate",
        "target_percent": "40",
        "valid_from": "2026-01",
        "valid_to": "",
        "note": "Agreed in the quality meeting",
    } | changes


def test_lead_sets_a_target_for_their_unit(client, lead_a, unit_a):
    login(client, lead_a)

    response = client.post(URL, _form(unit_a))

    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.unit, target.target_percent, str(target.valid_from)) == (unit_a, 40, "2026-01-01")
    assert target.created_by == lead_a


def test_lead_cannot_choose_a_unit_they_do_not_lead(client, lead_a, unit_b):
    login(client, lead_a)

    response = client.post(URL, _form(unit_b))

    assert response.status_code == 400
    assert not Target.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_percent": "140"}, "target_percent"),
        ({"target_percent": "forty"}, "target_percent"),
        ({"valid_from": "2026-13"}, "valid_from"),
        ({"valid_from": ""}, "valid_from"),
        ({"valid_to": "2025-06"}, "valid_to"),
        ({"indicator": "made_up"}, "indicator"),
    ],
)
def test_bad_target_input_is_refused_with_a_message_and_nothing_saved(client, lead_a, unit_a, changes, field):
    login(client, lead_a)

    response = client.post(URL, _form(unit_a, **changes))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    assert not Target.objects.exists()


def test_overlapping_target_is_refused_with_a_message(client, lead_a, unit_a):
    TargetFactory(unit=unit_a, valid_from="2026-01-01")
    login(client, lead_a)

    response = client.post(URL, _form(unit_a, valid_from="2026-06"))

    assert response.status_code == 400
    assert "already has a target" in response.content.decode()
    assert Target.objects.count() == 1


def test_lead_lists_only_their_units_targets(client, lead_a, unit_a, unit_b):
    TargetFactory(unit=unit_a, note="own")
    TargetFactory(unit=unit_b, note="other")
    login(client, lead_a)

    response = client.get(URL)

    assert [target.note for target in response.context["targets"]] == ["own"]


def test_lead_changes_a_target(client, lead_a, unit_a):
    target = TargetFactory(unit=unit_a)
    login(client, lead_a)

    response = client.post(reverse("reports:target_edit", args=[target.pk]), _form(unit_a, target_percent="35.5"))

    assert response.status_code == 302
    assert str(Target.objects.get().target_percent) == "35.5"


def test_lead_cannot_open_another_units_target(client, lead_a, unit_b):
    target = TargetFactory(unit=unit_b)
    login(client, lead_a)

    assert client.get(reverse("reports:target_edit", args=[target.pk])).status_code == 404
    assert client.post(reverse("reports:target_delete", args=[target.pk])).status_code == 404
    assert Target.objects.exists()


def test_administrator_sets_a_target_for_the_health_trust(client, administrator, trust):
    login(client, administrator)

    client.post(URL, _form(trust))

    assert Target.objects.get().unit == trust


def test_delete_needs_post(client, lead_a, unit_a):
    target = TargetFactory(unit=unit_a)
    login(client, lead_a)

    assert client.get(reverse("reports:target_delete", args=[target.pk])).status_code == 405
    assert client.post(reverse("reports:target_delete", args=[target.pk])).status_code == 302
    assert not Target.objects.exists()


def test_target_list_query_count_is_fixed(client, administrator, trust, django_assert_num_queries):
    login(client, administrator)
    for year in range(2000, 2005):
        TargetFactory(unit=trust, valid_from=f"{year}-01-01", valid_to=f"{year}-12-01")
    client.get(URL)
    with django_assert_num_queries(QUERIES_TARGET_LIST):
        client.get(URL)
    for year in range(2005, 2030):
        TargetFactory(unit=trust, valid_from=f"{year}-01-01", valid_to=f"{year}-12-01")
    with django_assert_num_queries(QUERIES_TARGET_LIST):
        response = client.get(URL)
    assert len(response.context["targets"]) == 30


def test_lead_sees_targets_set_above_their_unit_without_editing_them(client, lead_a, clinic, unit_a):
    TargetFactory(unit=clinic, note="the clinic's")
    login(client, lead_a)

    response = client.get(URL)

    assert [target.note for target in response.context["inherited"]] == ["the clinic's"]
    assert response.context["targets"] == []
    assert response.context["form"].initial["unit"] == unit_a.pk  # the lead's only unit is preselected


def test_the_target_forms_unit_box_asks_for_a_unit_instead_of_dashes(client, administrator, unit_a, unit_b):
    login(client, administrator)

    content = client.get(reverse("reports:targets")).content.decode()

    assert "---------" not in content
    assert '<option value="" selected>Choose a unit</option>' in content
