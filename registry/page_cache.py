"""Shared caches of the registry pages: whole pages for anonymous visitors, the search's body for everyone.

Anonymous pages are the same for everyone with the same address, language and minute, so one render can serve
them all. Each cached page remembers the registry's change generation (registry/changes.py, core/generations.py:
bumped whenever a meeting, group, fellowship or type changes), so an edit shows on the next request; otherwise a
page lives for settings.REGISTRY_PAGE_CACHE_SECONDS (default 60 s, 0 turns the cache off), which bounds how old a
"next date" can be. The one per-visitor part of an anonymous page, the CSRF token of the language switch, is
swapped in on the way out. Logged-in users (their menu and quick searches differ) and visitors with a session or
pending messages get the page rendered around a shared part: the search form and its results are the same for
everyone with the same address and language, so `shared_fragment` keeps that part under the same rules (and the
filter choices and results are not rendered per request).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import get_token

from registry.changes import GENERATION

KEY_PREFIX = "registry:page:"
CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=")([^"]+)(")')
CSRF_PLACEHOLDER = "__registry_csrf_token__"
KEPT_HEADERS = ("Content-Type", "Content-Disposition")


def cache_seconds() -> int:
    return getattr(settings, "REGISTRY_PAGE_CACHE_SECONDS", 60)


def is_cacheable(request) -> bool:
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated or not cache_seconds():
        return False
    # A session may hold messages or a half-finished login; the messages cookie holds messages.
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and "messages" not in request.COOKIES


def page_key(request, part: str = "") -> str:
    bucket = int(time.time() // cache_seconds())
    parts = [
        request.build_absolute_uri(),
        getattr(request, "LANGUAGE_CODE", ""),
        "htmx" if getattr(request, "htmx", False) else "page",
        part,
        str(bucket),
    ]
    return KEY_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def shared_fragment(request, part: str, render: Callable[[], str]) -> str:
    """`render()`, a part of the page that depends only on the address and language, shared between requests.

    The caller must make sure the part holds nothing of the visitor's own (no CSRF token, no user)."""
    if request.method not in ("GET", "HEAD") or not cache_seconds():
        return render()
    return GENERATION.get_or_render(page_key(request, part), render, cache_seconds())


def cached_for_anonymous(view):
    """Serve the view's 200 answers to anonymous visitors from the shared cache (see the module docstring)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_cacheable(request):
            return view(request, *args, **kwargs)
        key = page_key(request)
        generation, hit = GENERATION.lookup(key)
        if hit is not None:
            body = hit["body"]
            if CSRF_PLACEHOLDER in body:
                body = body.replace(CSRF_PLACEHOLDER, get_token(request))
            response = HttpResponse(body)
            for name, value in hit["headers"].items():
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            body = CSRF_FIELD.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<3>", response.content.decode(response.charset))
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            GENERATION.store(key, generation, {"body": body, "headers": headers}, cache_seconds())
        return response

    return wrapped
