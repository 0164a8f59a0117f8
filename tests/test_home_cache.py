"""The home page's content is rendered once per user, units, roles, language and day and then served from the
shared cache (config/home.py): never to anyone else, stale as soon as what it shows changes, and every view of it
logged with the follow-ups it showed, rendered or cached alike."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Membership, User
from referrals.models import AccessLogEntry
from tests.factories import MembershipFactory, PatientContactFactory, TargetFactory, UnitFactory, login
from tests.referrals_helpers import NOW, OSLO, TODAY
from tests.reports_helpers import in_english

HOME = reverse("home")


@pytest.fixture(autouse=True)
def frozen_time(client):
    cache.clear()
    in_english(client)
    with time_machine.travel(NOW, tick=False):
        yield


def due(unit, clinician, planned=TODAY - datetime.timedelta(days=1)):
    return PatientContactFactory(
        unit=unit,
        clinician=clinician,
        contacted_at=datetime.datetime(2026, 9, 1, 10, tzinfo=OSLO),
        follow_up_planned_on=planned,
    )


def rendered(response) -> bool:
    """Whether this response rendered the content rather than taking it from the cache."""
    return any(template.name == "config/home_content.html" for template in response.templates)


def follow_up_link(contact) -> str:
    return reverse("referrals:follow_up_create", args=[contact.pk])


def test_the_second_view_comes_from_the_cache_and_is_logged_with_the_rows_it_shows(
    client, clinician_a, unit_a, django_assert_num_queries
):
    shown = [due(unit_a, clinician_a) for _ in range(3)]
    assert rendered(login(client, clinician_a).get(HOME))

    # The session and the access-log insert (the user and the user's units are kept from the first request,
    # accounts/principals.py): no memberships, follow-ups, counts or figures.
    with django_assert_num_queries(2):
        response = client.get(HOME)

    assert not rendered(response)
    assert all(follow_up_link(contact) in response.content.decode() for contact in shown)
    entries = AccessLogEntry.objects.filter(action="list", detail="home worklist").order_by("pk")
    assert [sorted(entry.contact_ids) for entry in entries] == [sorted(contact.pk for contact in shown)] * 2


def test_a_view_that_shows_no_follow_ups_writes_no_log_entry(client, clinician_a, django_assert_num_queries):
    login(client, clinician_a).get(HOME)

    with django_assert_num_queries(1):  # the session
        client.get(HOME)

    assert not AccessLogEntry.objects.exists()


def test_a_colleague_in_the_same_unit_gets_their_own_page(client, clinician_a, unit_a):
    colleague = MembershipFactory(unit=unit_a).user
    mine = due(unit_a, clinician_a)
    login(client, clinician_a).get(HOME)

    response = login(client, colleague).get(HOME)

    assert rendered(response)
    assert follow_up_link(mine) not in response.content.decode()
    assert colleague.display_name in response.content.decode()


def test_a_new_due_follow_up_shows_on_the_next_request(client, clinician_a, unit_a):
    login(client, clinician_a).get(HOME)

    new = due(unit_a, clinician_a)

    assert follow_up_link(new) in client.get(HOME).content.decode()


def test_a_new_membership_shows_on_the_next_request(client, clinician_a, unit_a):
    login(client, clinician_a).get(HOME)

    MembershipFactory(user=clinician_a, unit=UnitFactory(code="NY-ENHET", name="Ny enhet"), role=Membership.Role.LEAD)

    page = client.get(HOME).content.decode()
    assert "Unit lead · Ny enhet" in page and "NY-ENHET" in page


def test_a_new_target_shows_on_the_next_request(client, lead_a, unit_a):
    login(client, lead_a).get(HOME)

    TargetFactory(unit=unit_a, target_percent=35)

    assert "Target 35.0 %" in client.get(HOME).content.decode()


def test_a_role_given_to_the_user_shows_on_the_next_request(client, clinician_a):
    login(client, clinician_a).get(HOME)

    user = User.objects.get(pk=clinician_a.pk)
    user.is_curator = True
    user.save()

    assert ">Curator<" in client.get(HOME).content.decode()


def test_a_follow_up_planned_for_tomorrow_shows_after_midnight(client, clinician_a, unit_a, settings):
    # Cache spans of a day: only the date in the key can tell the two requests apart.
    settings.CONTACT_LIST_CACHE_SECONDS = settings.REPORT_CACHE_SECONDS = 24 * 3600
    tomorrow = due(unit_a, clinician_a, planned=TODAY + datetime.timedelta(days=1))
    before_midnight = datetime.datetime.combine(TODAY, datetime.time(23, 55), tzinfo=OSLO)
    with time_machine.travel(before_midnight, tick=False):
        assert follow_up_link(tomorrow) not in login(client, clinician_a).get(HOME).content.decode()

    with time_machine.travel(before_midnight + datetime.timedelta(minutes=10), tick=False):
        assert follow_up_link(tomorrow) in client.get(HOME).content.decode()


def test_each_language_gets_its_own_content(client, clinician_a, settings):
    assert "Your units" in login(client, clinician_a).get(HOME).content.decode()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"

    assert "Your units" not in client.get(HOME).content.decode()


def test_with_the_cache_off_every_view_renders(client, clinician_a, settings):
    settings.CONTACT_LIST_CACHE_SECONDS = 0
    login(client, clinician_a).get(HOME)

    assert rendered(client.get(HOME))
