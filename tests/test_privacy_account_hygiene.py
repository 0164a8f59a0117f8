"""Accounts that outlive their need: the deactivation command, and access that ends with the membership."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Membership
from privacy.models import SecurityEvent
from tests.factories import PatientContactFactory, UserFactory, login

NOW = datetime.datetime(2026, 11, 26, 3, 0, tzinfo=datetime.UTC)


def _days_ago(days: int) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


@pytest.fixture
def accounts(db):
    return {
        "recent": UserFactory(username="recent", last_login=_days_ago(10), date_joined=_days_ago(400)),
        "stale": UserFactory(username="stale", last_login=_days_ago(91), date_joined=_days_ago(400)),
        "never_new": UserFactory(username="never_new", last_login=None, date_joined=_days_ago(30)),
        "never_old": UserFactory(username="never_old", last_login=None, date_joined=_days_ago(200)),
        "already": UserFactory(username="already", last_login=_days_ago(300), is_active=False),
    }


def _run(*args) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("deactivate_inactive_accounts", *args, stdout=out)
    return out.getvalue()


def _active(accounts) -> set[str]:
    return {name for name, user in accounts.items() if type(user).objects.get(pk=user.pk).is_active}


def test_accounts_unused_for_ninety_days_are_deactivated_and_logged(accounts, settings):
    settings.ACCOUNT_INACTIVE_DAYS = 90
    output = _run()
    assert _active(accounts) == {"recent", "never_new"}
    assert "Deactivated stale (last log-in 2026-08-27)" in output
    assert "Deactivated never_old (created, never logged in 2026-05-10)" in output
    assert "Deactivated 2 account(s) not used for 90 days." in output
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED)
    assert sorted(events.values_list("username", flat=True)) == ["never_old", "stale"]
    assert {event.actor_name for event in events} == {"deactivate_inactive_accounts"}


def test_running_twice_changes_nothing_more(accounts):
    _run()
    output = _run()
    assert "Deactivated 0 account(s)" in output
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED).count() == 2


def test_dry_run_lists_without_changing(accounts):
    output = _run("--dry-run")
    assert "Would deactivate stale" in output and "DRY RUN" in output
    assert _active(accounts) == {"recent", "stale", "never_new", "never_old"}
    assert not SecurityEvent.objects.exists()


def test_days_option_overrides_the_setting(accounts):
    _run("--days", "5")
    assert _active(accounts) == set()


def test_days_below_one_is_refused(accounts):
    with pytest.raises(CommandError):
        _run("--days", "0")


def test_a_deactivated_account_loses_its_open_session_at_once(client, clinician_a):
    login(client, clinician_a)
    assert client.get(reverse("home")).status_code == 200
    type(clinician_a).objects.filter(pk=clinician_a.pk).update(last_login=_days_ago(100))
    _run()
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_leaving_a_unit_ends_access_to_its_patients_on_the_next_request(client, clinician_a, unit_a):
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a)
    login(client, clinician_a)
    url = reverse("referrals:contact_detail", args=[contact.pk])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=clinician_a, unit=unit_a).delete()
    # No unit left with patients: the patient screens are closed to them as a whole.
    assert client.get(url).status_code == 403
    assert client.get(reverse("referrals:contact_list")).status_code == 403


def test_administrators_see_last_login_and_role_in_the_user_list(client, administrator, clinician_a):
    last_login = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)
    type(clinician_a).objects.filter(pk=clinician_a.pk).update(last_login=last_login)
    login(client, administrator)
    response = client.get(reverse("admin:accounts_user_changelist"))
    html = response.content.decode()
    assert "column-last_login" in html
    assert "RUS-POL (clinician)" in html
