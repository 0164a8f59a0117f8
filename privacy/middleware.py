"""No page without the second factor: every view, the admin site included, sits behind this middleware.

With REQUIRE_2FA on, a logged-in person who has not yet given a one-time code in this session is sent to the
two-factor pages (enrolment if they have no authenticator yet). Only the pages needed to get through, log out,
change language, health checks and static files are reachable before that. With REQUIRE_2FA off, the same holds
for people who chose to set up a second factor (known from their session, so no query is made per request).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import middleware as otp_middleware

from accounts import principals
from accounts.oidc import SECOND_FACTOR_SESSION_KEY
from privacy.services import ENROLLED_SESSION_KEY, has_second_factor

# The two-factor settings page is deliberately not here: new recovery codes need the second factor.
EXEMPT_URL_NAMES = (
    "privacy:two_factor_setup",
    "privacy:two_factor_verify",
    "logout",
    "login",
    "set_language",
    "healthz",
    "admin:logout",
)


def _exempt_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in EXEMPT_URL_NAMES)


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's: `request.user.otp_device` is the authenticator this session was verified with, or None. The
    device is kept with the signed-in user between requests (accounts/principals.py; a save or delete of any
    authenticator replaces the token), and django-otp's own check that it is the user's and confirmed runs on
    every request."""

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = None
            if persistent_id:
                load = lambda: self._device_from_persistent_id(persistent_id)  # noqa: E731
                device = principals.remembered(user, "otp_device", persistent_id, load)
            user.otp_device = self._finalize_device(request, user, device)
        return user


class TwoFactorMiddleware:
    """Install after django_otp.middleware.OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt = None
        self._static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        response = self._check(request)
        return response if response is not None else self.get_response(request)

    def _check(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not (settings.REQUIRE_2FA or request.session.get(ENROLLED_SESSION_KEY)):
            return None
        # A login at an identity provider at or above its configured assurance (HelseID security level 4, Entra ID
        # with MFA) already was two factors; accounts marks it in the session at login.
        if request.session.get(SECOND_FACTOR_SESSION_KEY):
            return None
        if self._exempt is None:
            self._exempt = _exempt_paths()
        path = request.path
        if path in self._exempt or path.startswith(self._static_prefix) or user.is_verified():
            return None
        target = reverse("privacy:two_factor_verify" if has_second_factor(user) else "privacy:two_factor_setup")
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
