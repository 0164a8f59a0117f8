"""The signed-in person kept between requests (accounts/principals.py): no query for the user, the session's
authenticator or the units on a repeated request, and every change to them shows on the next one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import principals
from accounts.models import Membership, User
from accounts.services import user_deactivate
from tests.factories import authenticator_for, login

CONTACTS = reverse("referrals:contact_list")
# The user by id, the session's authenticator by id, the units the user covers (accounts.access.covered_units).
PRINCIPAL_QUERIES = (
    'FROM "accounts_user" WHERE "accounts_user"."id" = ',
    'FROM "otp_totp_totpdevice" WHERE',
    "lead_flag",
)


@pytest.fixture(autouse=True)
def two_factor_required(settings):
    settings.REQUIRE_2FA = True


def verified(client, user, device):
    """`client` logged in as `user`, its session verified with `device` (as django-otp's login leaves it)."""
    login(client, user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def principal_queries(client, path=CONTACTS) -> list[str]:
    """Which of PRINCIPAL_QUERIES a request of `path` made."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return [part for query in captured for part in PRINCIPAL_QUERIES if part in query["sql"]]


def sent_to(response, url_name: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse(url_name))


def test_a_repeated_request_reads_no_user_authenticator_or_units(client, clinician_a):
    verified(client, clinician_a, authenticator_for(clinician_a))

    assert sorted(principal_queries(client)) == sorted(PRINCIPAL_QUERIES)
    assert principal_queries(client) == []


def test_a_deactivated_account_is_logged_out_on_its_next_request(client, clinician_a):
    verified(client, clinician_a, authenticator_for(clinician_a))
    assert client.get(CONTACTS).status_code == 200

    user_deactivate(user=User.objects.get(pk=clinician_a.pk), actor=None, detail="left the unit")

    response = client.get(CONTACTS)
    assert sent_to(response, "login")


def test_a_removed_membership_takes_the_unit_away_on_the_next_request(client, clinician_a):
    verified(client, clinician_a, authenticator_for(clinician_a))
    assert client.get(CONTACTS).status_code == 200

    Membership.objects.get(user=clinician_a).delete()

    assert client.get(CONTACTS).status_code == 403


def test_a_removed_authenticator_unverifies_the_session_on_the_next_request(client, clinician_a):
    device = authenticator_for(clinician_a)
    verified(client, clinician_a, device)
    assert client.get(CONTACTS).status_code == 200

    device.delete()

    response = client.get(CONTACTS)
    assert sent_to(response, "privacy:two_factor_verify")


def test_one_session_s_authenticator_does_not_verify_another_session_of_the_same_person(client, clinician_a):
    from django.test import Client

    verified(client, clinician_a, authenticator_for(clinician_a))
    assert client.get(CONTACTS).status_code == 200
    other = login(Client(), clinician_a)  # logged in with the password only

    response = other.get(CONTACTS)

    assert sent_to(response, "privacy:two_factor_verify")
    assert client.get(CONTACTS).status_code == 200


def test_a_new_password_logs_out_the_other_sessions(client, clinician_a):
    verified(client, clinician_a, authenticator_for(clinician_a))
    assert client.get(CONTACTS).status_code == 200

    user = User.objects.get(pk=clinician_a.pk)
    user.set_password("a new and long passphrase")
    user.save()

    response = client.get(CONTACTS)
    assert sent_to(response, "login")


def test_a_change_written_without_a_signal_shows_within_the_keeping_time(client, clinician_a, monkeypatch):
    verified(client, clinician_a, authenticator_for(clinician_a))
    assert ">Curator<" not in client.get(reverse("home")).content.decode()

    User.objects.filter(pk=clinician_a.pk).update(is_curator=True)  # no signal: as SQL typed into the database
    later = principals.time.monotonic() + principals.KEEP_SECONDS
    monkeypatch.setattr(principals.time, "monotonic", lambda: later)

    assert ">Curator<" in client.get(reverse("home")).content.decode()
