"""Authorization table of the accounts app and the project-level URLs (config/urls.py)."""

from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.authorization import entry, login_required, public, statuses
from tests.factories import UserFactory


def _reset_link(world):
    # Not a persona: logging a persona in changes its last_login, which voids its tokens.
    user = UserFactory(username="forgetful")
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)}


EXPECTED = {
    "home": entry(login_required()),
    "healthz": entry(public()),
    # Logged-in users are sent on to the home page.
    "login": entry(statuses(302, anonymous=200), query={"next": "/accounts/password/change/"}),
    # Logout answers POST only; after it everyone is sent to the login page.
    "logout": entry(public(302), method="post"),
    "password_change": entry(login_required()),
    "password_change_done": entry(login_required()),
    "password_reset": entry(public()),
    "password_reset_done": entry(public()),
    # A valid token redirects once to the same URL with the token hidden in the session.
    "password_reset_confirm": entry(public(302), kwargs_factory=_reset_link),
    "password_reset_complete": entry(public()),
    # Identity-provider login: no provider is configured in the matrix, so an unknown name is 404 for everyone
    # (logins through configured providers: tests/test_accounts_oidc_login.py).
    "oidc_login": entry(public(404), kwargs_factory=lambda world: {"name": "helseid"}, method="post"),
    "oidc_callback": entry(public(404), kwargs_factory=lambda world: {"name": "helseid"}),
    # Django's language switch (django.conf.urls.i18n): POST only, redirects back.
    "set_language": entry(public(302), method="post", data={"language": "en", "next": "/"}),
}
