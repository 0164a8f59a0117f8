"""Idle sessions: a logged-in session lives SESSION_COOKIE_AGE after the last request.

Django can save the session on every request (SESSION_SAVE_EVERY_REQUEST), but that is a database or
Redis write per page view. Here a logged-in session is saved again only when its last save is at least
SESSION_REFRESH_SECONDS old, so the idle limit holds to within that margin (30 minutes becomes 29–30).
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth import middleware as auth_middleware
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject

from accounts import principals

REFRESHED_KEY = "_refreshed_at"


class IdleSessionMiddleware:
    """Install right after django.contrib.sessions.middleware.SessionMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        # No cookie, no session to keep alive (and no read for anonymous visitors).
        if session.session_key and session.get(SESSION_KEY) is not None:
            now = int(time.time())
            if now - session.get(REFRESHED_KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_KEY] = now
        return self.get_response(request)


class PrivateResponseMiddleware:
    """Every response to a logged-in person is `Cache-Control: private, no-store`: no proxy, shared cache or
    browser history keeps a page with patient-level data, a report or a name on it.

    The one exception is a response that declares itself public (the meeting feed, the same for everyone).
    Install right after django.contrib.auth.middleware.AuthenticationMiddleware, so that its answer covers the
    redirects of the middleware below it too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "public" not in response.get("Cache-Control", ""):
            patch_cache_control(response, private=True, no_store=True)
        return response


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the user kept between requests by this process (accounts/principals.py)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user(request))


def _user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = principals.get_user(request)
    return request._cached_user
