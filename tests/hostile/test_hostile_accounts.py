"""Login and password reset with hostile input: never a 500, never a login, errors shown, nothing unescaped."""

from django.contrib.auth import get_user_model
from django.core import mail
from hypothesis import given

from tests.hostile.forms import check_answer, post_raw, shows_an_error
from tests.hostile.payloads import HOSTILE_SETTINGS, hostile_value, key_examples


@HOSTILE_SETTINGS
@given(username=hostile_value, password=hostile_value)
@key_examples("username", "password")
def test_login_with_hostile_credentials_answers_with_an_error_and_logs_no_one_in(
    client, clinician_a, username, password
):
    users_before = get_user_model().objects.count()
    response = post_raw(client, "/accounts/login/", {"username": [username], "password": [password]})
    check_answer(response, context=f"login {username!r}/{password!r}")
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.count() == users_before
    if response.status_code == 200:
        assert shows_an_error(response.content)
    else:
        # django-axes locks the browser out after repeated failures.
        assert response.status_code in (403, 429), response.status_code


@HOSTILE_SETTINGS
@given(email=hostile_value)
@key_examples("email")
def test_password_reset_with_hostile_email_never_fails_and_sends_nothing(client, clinician_a, email):
    mail.outbox.clear()
    response = post_raw(client, "/accounts/password/reset/", {"email": [email]})
    check_answer(response, context=f"password reset {email!r}")
    if response.status_code == 200:
        assert shows_an_error(response.content)
    else:
        assert response.status_code == 302
    # Only the real address of a user gets a message.
    assert all(message.to == [clinician_a.email] for message in mail.outbox)
    if str(email).strip().lower() != clinician_a.email:
        assert not mail.outbox
