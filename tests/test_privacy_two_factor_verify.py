"""The second factor at each log-in: authenticator codes, one-time recovery codes, and lockout."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse

from privacy.models import SecurityEvent
from tests.factories import PASSWORD, authenticator_for, login, totp_now

VERIFY = reverse("privacy:two_factor_verify")
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def english(client):
    """The assertions read English texts; the site's default language is Norwegian."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def two_factor_required(settings):
    settings.REQUIRE_2FA = True


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def enrolled(clinician_a):
    return authenticator_for(clinician_a)


def _password_login(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def _wrong(device) -> str:
    return f"{(int(totp_now(device)) + 500000) % 1000000:06d}"


def test_after_the_password_every_page_asks_for_the_one_time_code(client, clinician_a, enrolled):
    response = _password_login(client, clinician_a)
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2F"


def test_code_from_the_app_lets_the_person_in_and_goes_to_next(client, clinician_a, enrolled, clock):
    login(client, clinician_a)
    response = client.post(VERIFY, {"code": totp_now(enrolled), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get(reverse("home")).status_code == 200


def test_next_pointing_to_another_site_is_ignored(client, clinician_a, enrolled, clock):
    login(client, clinician_a)
    response = client.post(VERIFY, {"code": totp_now(enrolled), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_the_same_app_code_cannot_be_used_twice(client, clinician_a, enrolled, clock):
    login(client, clinician_a)
    code = totp_now(enrolled)
    assert client.post(VERIFY, {"code": code})["Location"] == reverse("home")
    client.logout()
    login(client, clinician_a)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert client.get(reverse("home")).status_code == 302


def test_each_recovery_code_works_once(client, clinician_a, enrolled, clock):
    login(client, clinician_a)
    response = client.post(VERIFY, {"code": "ABCDE-23456"}, follow=True)
    assert response.status_code == 200 and response.request["PATH_INFO"] == reverse("home")
    assert "1 codes are left" in response.content.decode() or "codes are left" in response.content.decode()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.RECOVERY_CODE_USED)
    assert event.user == clinician_a and event.detail == "1 left"
    client.logout()

    clock.shift(datetime.timedelta(seconds=5))
    login(client, clinician_a)
    response = client.post(VERIFY, {"code": "abcde23456"})
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    clock.shift(datetime.timedelta(seconds=5))
    assert client.post(VERIFY, {"code": "fghjk34567"})["Location"] == reverse("home")


def test_wrong_code_is_logged_and_counted_as_a_failed_login(client, clinician_a, enrolled, clock):
    login(client, clinician_a)
    response = client.post(VERIFY, {"code": _wrong(enrolled)})
    assert response.status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED, user=clinician_a).count() == 1
    attempt = AccessAttempt.objects.get(username=clinician_a.username)
    assert attempt.failures_since_start == 1
    assert _wrong(enrolled) not in attempt.post_data  # codes are masked in axes' record


def test_five_wrong_codes_lock_the_account_like_wrong_passwords(client, clinician_a, enrolled, clock):
    _password_login(client, clinician_a)
    for attempt in range(4):
        clock.shift(datetime.timedelta(seconds=60))  # past the authenticator's own back-off
        response = client.post(VERIFY, {"code": _wrong(enrolled)})
        assert response.status_code == 200, attempt
    clock.shift(datetime.timedelta(seconds=60))
    response = client.post(VERIFY, {"code": _wrong(enrolled)})
    assert response.status_code == 429
    # Logged out, and the password no longer works either while the block lasts.
    assert "_auth_user_id" not in client.session
    response = _password_login(client, clinician_a)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(client, clinician_a, enrolled, clock):
    for _round in range(2):
        _password_login(client, clinician_a)
        for _attempt in range(2):
            clock.shift(datetime.timedelta(seconds=60))
            client.post(VERIFY, {"code": _wrong(enrolled)})
        client.logout()
    assert AccessAttempt.objects.get(username=clinician_a.username).failures_since_start == 4
    _password_login(client, clinician_a)
    clock.shift(datetime.timedelta(seconds=60))
    assert client.post(VERIFY, {"code": _wrong(enrolled)}).status_code == 429


def test_a_complete_login_forgets_earlier_failures(client, clinician_a, enrolled, clock):
    login(client, clinician_a)
    clock.shift(datetime.timedelta(seconds=60))
    client.post(VERIFY, {"code": _wrong(enrolled)})
    clock.shift(datetime.timedelta(seconds=60))
    assert client.post(VERIFY, {"code": totp_now(enrolled)}).status_code == 302
    assert not AccessAttempt.objects.filter(username=clinician_a.username).exists()


def test_codes_typed_too_fast_after_a_wrong_one_are_not_checked(client, clinician_a, enrolled, clock):
    login(client, clinician_a)
    client.post(VERIFY, {"code": _wrong(enrolled)})
    response = client.post(VERIFY, {"code": totp_now(enrolled)})
    assert response.status_code == 200
    assert "wait a few seconds" in response.content.decode()
    assert AccessAttempt.objects.get(username=clinician_a.username).failures_since_start == 1


def test_verify_page_sends_a_person_without_authenticator_to_enrolment(client, clinician_a):
    login(client, clinician_a)
    response = client.get(VERIFY)
    assert response["Location"].startswith(reverse("privacy:two_factor_setup"))


def test_voluntary_second_factor_is_asked_for_even_when_not_required(client, settings, clinician_a, enrolled):
    settings.REQUIRE_2FA = False
    login(client, clinician_a)
    assert client.get(reverse("home"))["Location"].startswith(VERIFY)


def test_without_requirement_and_without_authenticator_login_is_simple(client, settings, clinician_a):
    settings.REQUIRE_2FA = False
    response = _password_login(client, clinician_a)
    assert client.get(response["Location"]).status_code == 200
