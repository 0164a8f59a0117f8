"""Contact list and worklist bodies are shared between people who see the same units with the same filters
(referrals/list_cache.py), never beyond them, go stale as soon as a contact changes, and every page view is
logged with the rows it showed, whether rendered or served from the cache."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from privacy.retention import retention_apply
from referrals import services
from referrals.models import AccessLogEntry, PatientContact
from referrals.signals import contacts_bulk_changed
from tests.factories import MembershipFactory, PatientContactFactory, login
from tests.referrals_helpers import NOW, OSLO, TODAY
from tests.reports_helpers import in_english

LIST_URL = reverse("referrals:contact_list")
WORKLIST_URL = reverse("referrals:worklist")


@pytest.fixture(autouse=True)
def frozen_time():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield


def contact(unit, **kwargs):
    return PatientContactFactory(
        unit=unit, contacted_at=datetime.datetime(2026, 9, 1, 10, tzinfo=OSLO), intensity=2, **kwargs
    )


def listed(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/contacts/(\d+)/"', response.content.decode())]


def rendered(response) -> bool:
    """Whether this response rendered the list body rather than taking it from the cache."""
    return any(template.name.endswith("_body.html") for template in response.templates)


def test_a_colleague_with_the_same_units_gets_the_cached_body_and_their_own_log_entry(
    client, clinician_a, lead_a, unit_a
):
    shown = [contact(unit_a, clinician=clinician_a).pk for _ in range(3)]
    first = login(client, clinician_a).get(LIST_URL)
    assert rendered(first)
    second = login(client, lead_a).get(LIST_URL)

    assert not rendered(second)
    assert sorted(listed(second)) == sorted(shown)
    entries = AccessLogEntry.objects.filter(action="list").order_by("pk")
    assert [entry.user for entry in entries] == [clinician_a, lead_a]
    assert [sorted(entry.contact_ids) for entry in entries] == [sorted(shown)] * 2


def test_someone_in_another_unit_never_gets_the_body(client, clinician_a, clinician_b, unit_a, unit_b):
    mine = contact(unit_a).pk
    theirs = contact(unit_b).pk
    login(client, clinician_a).get(LIST_URL)

    response = login(client, clinician_b).get(LIST_URL)

    assert rendered(response)
    assert listed(response) == [theirs] and mine not in listed(response)


def test_a_saved_contact_shows_on_the_next_request(client, clinician_a, unit_a):
    first = contact(unit_a).pk
    login(client, clinician_a).get(LIST_URL)

    second = contact(unit_a).pk

    assert sorted(listed(client.get(LIST_URL))) == sorted([first, second])


def test_a_deleted_contact_leaves_the_list_at_once(client, clinician_a, unit_a):
    kept, deleted = contact(unit_a), contact(unit_a)
    login(client, clinician_a).get(LIST_URL)

    services.contact_soft_delete(contact=deleted, actor=clinician_a, reason="Registrert på feil pasient")

    assert listed(client.get(LIST_URL)) == [kept.pk]


def test_a_bulk_change_announced_after_an_import_shows_on_the_next_request(client, clinician_a, unit_a):
    shown = contact(unit_a)
    login(client, clinician_a).get(LIST_URL)
    PatientContact.objects.filter(pk=shown.pk).update(intensity=4)  # as the import writes: no post_save

    contacts_bulk_changed.send(sender=PatientContact, created=0, replaced=1)

    assert "4 ·" in client.get(LIST_URL).content.decode()


def test_each_language_and_filter_gets_its_own_body(client, clinician_a, unit_a):
    contact(unit_a)
    login(client, clinician_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    assert "Filtrer kontakter" in client.get(LIST_URL).content.decode()
    in_english(client)

    assert rendered(client.get(LIST_URL))
    assert rendered(client.get(LIST_URL, {"intensity": "2"}))
    assert not rendered(client.get(LIST_URL, {"intensity": "2"}))


def test_only_mine_on_the_worklist_is_each_clinicians_own(client, clinician_a, unit_a):
    colleague = MembershipFactory(unit=unit_a).user
    mine = contact(unit_a, clinician=clinician_a, follow_up_planned_on=TODAY - datetime.timedelta(days=1))
    theirs = contact(unit_a, clinician=colleague, follow_up_planned_on=TODAY - datetime.timedelta(days=2))
    assert listed(login(client, clinician_a).get(WORKLIST_URL, {"mine": "1"})) == [mine.pk]

    response = login(client, colleague).get(WORKLIST_URL, {"mine": "1"})

    assert rendered(response)
    assert listed(response) == [theirs.pk]


def test_with_the_cache_off_every_request_renders(client, clinician_a, unit_a, settings):
    settings.CONTACT_LIST_CACHE_SECONDS = 0
    contact(unit_a)
    login(client, clinician_a)
    assert rendered(client.get(LIST_URL))
    assert rendered(client.get(LIST_URL))


def test_a_retention_run_shows_on_the_next_request(client, clinician_a, unit_a, django_capture_on_commit_callbacks):
    old = PatientContactFactory(
        unit=unit_a, contacted_at=datetime.datetime(2019, 1, 10, 10, tzinfo=OSLO), patient_pseudonym="ab" * 32
    )
    login(client, clinician_a)
    assert "ABABABAB" in client.get(LIST_URL).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        retention_apply(dry_run=False, run_by="test")

    page = client.get(LIST_URL).content.decode()
    assert PatientContact.objects.get(pk=old.pk).patient_pseudonym == ""
    assert "ABABABAB" not in page and f'href="/contacts/{old.pk}/"' in page


def test_a_contact_list_from_the_cache_reads_only_the_session(client, clinician_a, unit_a, django_assert_num_queries):
    contact(unit_a)
    login(client, clinician_a).get(LIST_URL)

    # The session and the access-log insert (the user and the user's units, which the access check, the menu and
    # the key ask, are kept from the first request: accounts/principals.py). The recording units themselves are
    # read only to render.
    with django_assert_num_queries(2):
        response = client.get(LIST_URL)

    assert not rendered(response)
