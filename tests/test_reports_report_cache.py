"""The unit report's rendered body is shared between requests (reports/report_cache.py), never across views
of small numbers or languages, and goes stale as soon as the data under it changes."""

import threading

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse

from reports import report_cache
from tests.factories import MembershipFactory, TargetFactory, login
from tests.reports_helpers import NOW, in_english, jit_switches, month_of_contacts

pytestmark = pytest.mark.usefixtures("frozen_now")
URL = reverse("reports:report")
# A cached body saves the report's five queries and the three JIT switches; the page around it stays: the session
# (the user and the units the user's memberships cover are kept from the first request: accounts/principals.py).
QUERIES_CACHED_LEAD_PAGE = 1


@pytest.fixture
def frozen_now(client):
    cache.clear()
    in_english(client)
    with time_machine.travel(NOW, tick=False):
        yield


def test_second_request_is_served_from_the_cache_with_fewer_queries(client, lead_a, unit_a, django_assert_num_queries):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)
    first = client.get(URL)

    with django_assert_num_queries(QUERIES_CACHED_LEAD_PAGE):
        second = client.get(URL)

    assert second.status_code == 200
    assert "3 of 12 patients" in second.content.decode()
    assert first.content.decode().count("25.0 %") == second.content.decode().count("25.0 %")


def test_a_new_contact_shows_on_the_next_request(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)
    assert "3 of 12 patients" in client.get(URL).content.decode()

    month_of_contacts(unit_a, patients=1, referred=1, prefix=100)

    assert "4 of 13 patients" in client.get(URL).content.decode()


def test_a_new_target_shows_on_the_next_request(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)
    client.get(URL)

    TargetFactory(unit=unit_a, target_percent=45)

    assert client.get(URL).context["target"].percent == 45


def test_a_lead_s_exact_counts_are_never_served_to_someone_who_does_not_lead_the_unit(
    client, lead_a, clinician_a, unit_a
):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)
    assert "3 of 12 patients" in client.get(URL).content.decode()

    login(client, clinician_a)
    shown_to_clinician = client.get(URL).content.decode()

    assert "3 of 12 patients" not in shown_to_clinician
    assert "Referred: &lt;5." in shown_to_clinician


def test_each_language_gets_its_own_body(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)
    english = client.get(URL).content.decode()

    client.cookies["django_language"] = "nb"
    norwegian = client.get(URL).content.decode()

    assert "3 of 12 patients" in english
    assert "3 of 12 patients" not in norwegian


def test_a_new_membership_makes_the_cached_bodies_stale(client, lead_a, unit_a, unit_b):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)
    client.get(URL)
    generation = cache.get(report_cache.GENERATION.key)

    MembershipFactory(user=lead_a, unit=unit_b)

    assert cache.get(report_cache.GENERATION.key) != generation


def test_with_the_cache_off_every_request_renders(client, lead_a, unit_a, settings, django_assert_num_queries):
    settings.REPORT_CACHE_SECONDS = 0
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)
    client.get(URL)

    with django_assert_num_queries(QUERIES_CACHED_LEAD_PAGE + 5 + jit_switches(3)):
        client.get(URL)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database locks a table another connection is writing: no concurrent reader",
)
@pytest.mark.django_db(transaction=True)
def test_a_request_during_an_uncommitted_save_cannot_keep_old_figures_after_the_commit(client, lead_a, unit_a):
    """A clinician's save moves the generation at once; a report requested before the save commits still reads the
    old figures (another connection) and stores them under that generation. The commit moves it again."""
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)
    assert "3 of 12 patients" in client.get(URL).content.decode()
    saved, may_commit = threading.Event(), threading.Event()

    def clinician_saves():
        try:
            with transaction.atomic():
                month_of_contacts(unit_a, patients=1, referred=1, prefix=100)
                saved.set()
                may_commit.wait(30)
        finally:
            connection.close()

    writer = threading.Thread(target=clinician_saves)
    writer.start()
    try:
        assert saved.wait(30)
        assert "3 of 12 patients" in client.get(URL).content.decode()  # not committed yet: the old figures
    finally:
        may_commit.set()
        writer.join(30)

    assert "4 of 13 patients" in client.get(URL).content.decode()
