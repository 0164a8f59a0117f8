"""Login through the real view with django-axes, lockout after five failures, logout by POST only."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory, login

OSLO = datetime.timezone(datetime.timedelta(hours=1))


def _log_in(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_login_page_lists_demo_users_and_password_in_demo_mode(client, db, settings):
    settings.DEMO_MODE = True
    page = client.get(reverse("login")).content.decode()
    assert settings.DEMO_PASSWORD in page
    for username in ["kliniker", "kliniker2", "leder", "kurator", "analytiker", "administrator"]:
        assert f"<code>{username}</code>" in page


def test_login_page_shows_no_demo_users_or_password_outside_demo_mode(client, db, settings):
    settings.DEMO_MODE = False
    page = client.get(reverse("login")).content.decode()
    assert settings.DEMO_PASSWORD not in page
    assert "<code>kliniker</code>" not in page


def test_right_password_logs_in_and_lands_on_the_home_page(client, clinician_a):
    response = _log_in(client, clinician_a.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_login_sends_the_user_on_to_the_page_asked_for(client, clinician_a):
    response = client.post(
        reverse("login"), {"username": clinician_a.username, "password": PASSWORD, "next": "/accounts/password/change/"}
    )
    assert response["Location"] == "/accounts/password/change/"


def test_login_refuses_to_send_the_user_to_another_site(client, clinician_a):
    response = client.post(
        reverse("login"), {"username": clinician_a.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_wrong_password_shows_an_error_and_keeps_the_user_out(client, clinician_a):
    response = _log_in(client, clinician_a.username, "wrong-password-123")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_deactivated_user_cannot_log_in(client, db):
    UserFactory(username="former", is_active=False)
    response = _log_in(client, "former", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logged_in_user_opening_the_login_page_goes_home(client, clinician_a):
    login(client, clinician_a)
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(client, clinician_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, clinician_a.username, "wrong-password-123").status_code == 200

    response = _log_in(client, clinician_a.username, "wrong-password-123")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed log-in attempts" in page
    assert "blocked for 60 minutes" in page
    assert reverse("password_reset") in page


def test_locked_account_stays_locked_even_with_the_right_password(client, clinician_a):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, clinician_a.username, "wrong-password-123")

    response = _log_in(client, clinician_a.username, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_from_elsewhere_do_not_lock_the_real_user_out(client, clinician_a):
    """Issue 11, 10: five wrong passwords from anywhere used to lock the account for an hour."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, clinician_a.username, "wrong-password-123", REMOTE_ADDR="203.0.113.9")
    assert _log_in(client, clinician_a.username, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429

    response = _log_in(client, clinician_a.username, PASSWORD, REMOTE_ADDR="10.0.0.2")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(clinician_a.pk)


def test_a_brute_force_over_many_user_names_from_one_address_is_stopped(client, clinician_a, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 12
    for number in range(12):
        # Fewer than five tries per name: only the address's own limit can stop this.
        _log_in(client, f"guess{number // 3}", "wrong-password-123", REMOTE_ADDR="203.0.113.9")

    response = _log_in(client, clinician_a.username, PASSWORD, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert _log_in(client, clinician_a.username, PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 302


def test_the_address_limit_leaves_room_for_a_clinic_behind_one_address(client, clinician_a, settings):
    assert settings.AXES_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
    for number in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        _log_in(client, f"colleague{number}", "typo-password-123")
    assert _log_in(client, clinician_a.username, PASSWORD).status_code == 302


def test_lock_ends_after_the_cool_off_period(client, clinician_a):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=OSLO), tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _log_in(client, clinician_a.username, "wrong-password-123")
        traveller.shift(datetime.timedelta(minutes=61))

        response = _log_in(client, clinician_a.username, PASSWORD)

    assert response.status_code == 302


def test_a_locked_account_does_not_lock_a_colleague_on_the_same_pc(client, clinician_a, clinician_b):
    # Same address and browser: a clinic's PCs look alike to the server.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, clinician_a.username, "wrong-password-123")
    assert _log_in(client, clinician_a.username, PASSWORD).status_code == 429

    assert _log_in(client, clinician_b.username, PASSWORD).status_code == 302


def test_logout_refuses_get_and_keeps_the_user_logged_in(client, clinician_a):
    login(client, clinician_a)
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert client.get(reverse("home")).status_code == 200


def test_logout_by_post_ends_the_session_and_shows_the_login_page(client, clinician_a):
    login(client, clinician_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize("path", ["/", "/accounts/password/change/"])
def test_pages_that_need_login_send_anonymous_visitors_to_the_login_page(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"


def test_login_records_last_login(client, clinician_a):
    _log_in(client, clinician_a.username, PASSWORD)
    assert User.objects.get(pk=clinician_a.pk).last_login is not None


def test_over_long_user_name_is_refused_with_an_error_not_a_crash(client, clinician_a):
    response = _log_in(client, "A" * 5000, "A" * 5000)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_says_so_on_the_login_page(client, clinician_a):
    login(client, clinician_a)
    response = client.post(reverse("logout"), follow=True)
    assert "You are logged out." in response.content.decode()
