"""The reports section of the home page and the reports menu entries."""

import io

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from reports import demo
from reports.models import Target
from tests.factories import TargetFactory, login
from tests.reports_helpers import NOW, in_english, month_of_contacts


@pytest.fixture(autouse=True)
def frozen_now(client):
    in_english(client)
    with time_machine.travel(NOW, tick=False):
        yield


def test_lead_sees_last_months_headline_on_the_home_page(client, lead_a, unit_a, clinic):
    month_of_contacts(unit_a, patients=12, referred=3)
    TargetFactory(unit=clinic, target_percent=40)
    login(client, lead_a)

    content = client.get(reverse("home")).content.decode()

    assert "25.0 %" in content
    assert "3 of 12 patients (95 % interval 8.9–53.2 %)" in content
    assert "Target 40.0 %" in content and "national baseline 15 %" in content
    assert f"{reverse('reports:report')}?unit={unit_a.code}" in content


def test_home_headline_is_shared_and_a_new_contact_shows_on_the_next_request(
    client, lead_a, unit_a, django_assert_num_queries
):
    cache.clear()
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)
    assert "3 of 12 patients" in client.get(reverse("home")).content.decode()

    # The session (the user and the user's units, for the menu and the cache key, are kept from the first request:
    # accounts/principals.py): the whole content, figures included, comes from the cache (config/home.py); one more
    # means something was rendered again.
    with django_assert_num_queries(1) as cached:
        client.get(reverse("home"))
    assert not any("group_scope" in query["sql"] for query in cached)  # the figures' aggregate is not run again

    month_of_contacts(unit_a, patients=1, referred=1, prefix=100)
    assert "4 of 13 patients" in client.get(reverse("home")).content.decode()


def test_analyst_gets_a_link_to_the_comparison(client, analyst, unit_a):
    login(client, analyst)

    content = client.get(reverse("home")).content.decode()

    assert reverse("reports:compare") in content


def test_curator_sees_no_reports_section(client, curator):
    login(client, curator)

    content = client.get(reverse("home")).content.decode()

    assert reverse("reports:report") not in content


@pytest.mark.parametrize(
    ("persona", "labels"),
    [("clinician_a", ["Reports"]), ("analyst", ["Reports", "Compare units"]), ("curator", [])],
)
def test_menu_shows_only_what_the_user_may_open(request, client, persona, labels, unit_a):
    login(client, request.getfixturevalue(persona))

    response = client.get(reverse("home"))

    shown = [str(item["label"]) for item in response.context["nav_items"]]
    assert [label for label in shown if label in ("Reports", "Compare units")] == labels


def test_demo_targets_are_seeded_once(db):
    from accounts import demo as accounts_demo

    accounts_demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    assert Target.objects.filter(unit__code="DEMO-KLINIKK-RUS", indicator="referral_rate").get().target_percent == 40
    assert Target.objects.count() == len(demo.DEMO_TARGETS)


def test_home_page_runs_as_many_queries_for_a_lead_of_three_units_as_for_one(
    client, clinic, unit_a, unit_b, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Membership
    from tests.factories import MembershipFactory, UnitFactory

    unit_c = UnitFactory(code="RUS-AMB", name="Rus ambulant", parent=clinic)
    for offset, unit in enumerate([unit_a, unit_b, unit_c]):
        month_of_contacts(unit, patients=20, referred=5 + offset, prefix=1000 * offset)
    lead_of_one = MembershipFactory(unit=unit_a, role=Membership.Role.LEAD).user
    lead_of_three = MembershipFactory(unit=unit_a, role=Membership.Role.LEAD).user
    MembershipFactory(user=lead_of_three, unit=unit_b, role=Membership.Role.LEAD)
    MembershipFactory(user=lead_of_three, unit=unit_c, role=Membership.Role.LEAD)
    login(client, lead_of_one)
    with CaptureQueriesContext(connection) as one_unit:
        assert client.get("/").status_code == 200
    login(client, lead_of_three)

    with django_assert_num_queries(len(one_unit.captured_queries)):
        content = client.get("/").content.decode()

    assert "5 of 20 patients" in content and "6 of 20 patients" in content and "7 of 20 patients" in content
