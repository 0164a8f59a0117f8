"""Sessions end after 30 idle minutes and when the browser closes; an expired session saves nothing."""

import datetime

import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _log_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_session_cookie_is_dropped_when_the_browser_closes(client, clinician_a):
    response = _log_in(client, clinician_a)
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == ""
    assert cookie["max-age"] == ""


def test_session_expires_after_thirty_idle_minutes(client, clinician_a):
    with time_machine.travel(START, tick=False) as traveller:
        _log_in(client, clinician_a)
        traveller.shift(datetime.timedelta(minutes=31))

        response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_activity_keeps_the_session_alive(client, clinician_a):
    with time_machine.travel(START, tick=False) as traveller:
        _log_in(client, clinician_a)
        for _ in range(3):
            traveller.shift(datetime.timedelta(minutes=20))
            assert client.get(reverse("home")).status_code == 200


def test_activity_within_the_refresh_margin_keeps_the_session_alive(client, clinician_a):
    # Saved again at most once a minute: a request 30 seconds after the last save does not extend the session,
    # so the idle limit is measured from the last save, never more than a minute before the last request.
    with time_machine.travel(START, tick=False) as traveller:
        _log_in(client, clinician_a)
        assert client.get(reverse("home")).status_code == 200  # saved at 0:00
        traveller.shift(datetime.timedelta(seconds=30))
        assert client.get(reverse("home")).status_code == 200  # not saved
        traveller.shift(datetime.timedelta(minutes=29, seconds=20))
        assert client.get(reverse("home")).status_code == 200  # 29:50 after the save: still alive, saved
        traveller.shift(datetime.timedelta(minutes=29, seconds=59))
        assert client.get(reverse("home")).status_code == 200

        traveller.shift(datetime.timedelta(minutes=30, seconds=1))
        response = client.get(reverse("home"))

    assert response.status_code == 302


def test_a_session_is_saved_at_most_once_a_minute(client, clinician_a):
    with time_machine.travel(START, tick=False) as traveller:
        _log_in(client, clinician_a)
        client.get(reverse("home"))
        expiry = Session.objects.get().expire_date
        traveller.shift(datetime.timedelta(seconds=59))
        client.get(reverse("home"))
        assert Session.objects.get().expire_date == expiry
        traveller.shift(datetime.timedelta(seconds=1))
        client.get(reverse("home"))
        assert Session.objects.get().expire_date == expiry + datetime.timedelta(minutes=1)


def test_post_with_an_expired_session_saves_nothing_and_asks_for_login(client, clinician_a):
    with time_machine.travel(START, tick=False) as traveller:
        _log_in(client, clinician_a)
        traveller.shift(datetime.timedelta(minutes=31))

        response = client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "a-brand-new-passphrase",
                "new_password2": "a-brand-new-passphrase",
            },
        )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert User.objects.get(pk=clinician_a.pk).check_password(PASSWORD)
