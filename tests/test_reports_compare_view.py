"""The unit comparison /reports/compare/: funnel plot around the target, table, suppression, queries."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import TargetFactory, UnitFactory, login
from tests.reports_helpers import NOW, in_english, jit_switches, month_of_contacts

URL = reverse("reports:compare")
# The session (1; the user and the units the user's memberships cover are kept from the first request:
# accounts/principals.py), the scope choices (1), the comparison (frozen month, figures, units, targets: 4), the
# reader's own figures in each unit (1, reports.disclosure rule 7); the session is saved at most once a minute, not
# here. On PostgreSQL each of the two aggregates first switches JIT off.
QUERIES_COMPARISON = 7 + jit_switches(2)


@pytest.fixture(autouse=True)
def frozen_now(client):
    in_english(client)
    with time_machine.travel(NOW, tick=False):
        yield


def test_analyst_sees_every_unit_in_a_funnel_around_the_shared_target(client, analyst, clinic, unit_a, unit_b):
    month_of_contacts(unit_a, patients=12, referred=3)
    month_of_contacts(unit_b, patients=200, referred=20, prefix=1000)  # 10 %: far below a 40 % target
    TargetFactory(unit=clinic, target_percent=40)
    login(client, analyst)

    response = client.get(URL)

    assert response.status_code == 200
    report = response.context["report"]
    assert report.centre == pytest.approx(0.40) and report.centre_is_target
    positions = {row["unit"].code: row["position"] for row in response.context["rows"]}
    assert positions == {unit_a.code: "within", unit_b.code: "below_998"}
    content = response.content.decode()
    assert 'role="img"' in content and "funnel-title" in content and "funnel-desc" in content
    assert "&lt;5" in content  # unit A's 3 referred patients


def test_without_a_target_the_funnel_is_centred_on_the_overall_rate_and_says_so(client, analyst, unit_a, unit_b):
    month_of_contacts(unit_a, patients=10, referred=5)
    month_of_contacts(unit_b, patients=30, referred=5, prefix=1000)
    login(client, analyst)

    response = client.get(URL)

    assert response.context["report"].centre == pytest.approx(10 / 40)
    assert not response.context["report"].centre_is_target
    assert "overall rate" in response.content.decode()


def test_units_with_too_few_patients_are_listed_but_not_drawn(client, analyst, unit_a, unit_b):
    month_of_contacts(unit_a, patients=4, referred=1)
    month_of_contacts(unit_b, patients=30, referred=5, prefix=1000)
    login(client, analyst)

    response = client.get(URL)

    rows = {row["unit"].code: row for row in response.context["rows"]}
    assert rows[unit_a.code]["rate"].too_few and not rows[unit_a.code]["plotted"]
    assert len(response.context["chart"].dots) == 1


def test_comparison_within_a_scope_leaves_other_units_out(client, administrator, trust, unit_a):
    other_clinic = UnitFactory(code="ANNEN-KLINIKK", parent=trust)
    other_unit = UnitFactory(code="ANNEN-POL", parent=other_clinic)
    month_of_contacts(unit_a, patients=12, referred=3)
    month_of_contacts(other_unit, patients=12, referred=3, prefix=1000)
    login(client, administrator)

    response = client.get(URL, {"scope": other_clinic.code})

    assert [row["unit"] for row in response.context["rows"]] == [other_unit]


def test_lead_cannot_compare_all_units(client, lead_a):
    login(client, lead_a)

    assert client.get(URL).status_code == 403


def test_bad_month_gives_a_clear_error(client, analyst):
    login(client, analyst)

    response = client.get(URL, {"month": "last"})

    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()


def test_comparison_query_count_does_not_grow_with_units_and_rows(client, analyst, clinic, django_assert_num_queries):
    login(client, analyst)
    units = [UnitFactory(code=f"U-{index}", parent=clinic) for index in range(3)]
    for unit in units:
        month_of_contacts(unit, patients=15, referred=4)
    client.get(URL)
    with django_assert_num_queries(QUERIES_COMPARISON):
        client.get(URL)

    more = [UnitFactory(code=f"V-{index}", parent=clinic) for index in range(12)]
    for index, unit in enumerate(units + more):
        month_of_contacts(unit, patients=40, referred=10, prefix=10_000 * (index + 1), repeat=2)
        month_of_contacts(unit, patients=10, referred=2, month=datetime.date(2026, 9, 1))
    client.get(URL)  # new units: the user's kept units are loaded again, once (accounts/principals.py)
    with django_assert_num_queries(QUERIES_COMPARISON):
        response = client.get(URL)
    assert len(response.context["rows"]) == 15


def test_a_month_without_contacts_shows_an_empty_comparison(client, analyst, unit_a):
    login(client, analyst)

    response = client.get(URL, {"month": "2026-01"})

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "No unit recorded contacts this month." in response.content.decode()
