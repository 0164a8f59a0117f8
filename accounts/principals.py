"""Who is signed in, without three queries on every request.

Every logged-in page needs the user, the authenticator the session was verified with (privacy's OTP middleware) and
the units the user covers (accounts/access.py): three queries before the page does anything, a third of the cost of
a cached list page. Each worker process keeps what it loaded for a user here, under the accounts generation (one
token in the shared cache, core/generations.py): any save or delete of a user, membership, unit or authenticator,
from any process, replaces the token, and the next request loads afresh. A write that sends no signal (SQL typed
into the database) shows within KEEP_SECONDS.

What is kept is never handed out: each request gets copies, so nothing one request sets on its user (the verified
authenticator of its own session, the permission cache) reaches another request. The session itself is checked on
every request as Django checks it (its user, its backend and the hash of the password it was logged in with); only
a session Django would accept as it is gets the kept user, and anything else goes through Django's own
`auth.get_user`, which flushes a session whose password changed.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db.models.signals import post_delete, post_save
from django.utils.crypto import constant_time_compare

from core.generations import Generation

GENERATION = Generation("accounts:principals")
KEEP_SECONDS = 60
# Past this many users in one process, it starts again (a worker sees a unit's staff, not the country's).
MAX_KEPT = 2000


@dataclass
class _Kept:
    token: str
    backend: str
    user: Any  # never handed out; requests get copies
    kept_at: float
    values: dict = field(default_factory=dict)  # (name, key) → what `remembered` loaded for this user


_kept: dict[Any, _Kept] = {}
_lock = threading.Lock()


def get_user(request):
    """`django.contrib.auth.get_user(request)`, from this process's copy where the session and the token allow."""
    try:
        user_id = request.session[SESSION_KEY]
        backend = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        return auth.get_user(request)
    # Read before loading, so that nothing loaded from older data is ever kept under a newer token.
    token = GENERATION.current()
    kept = _kept.get(user_id)
    if (
        kept is not None
        and kept.token == token
        and kept.backend == backend
        and time.monotonic() - kept.kept_at < KEEP_SECONDS
        and constant_time_compare(request.session.get(HASH_SESSION_KEY) or "", kept.user.get_session_auth_hash())
    ):
        user = copy.copy(kept.user)
        user._principal = kept
        return user
    user = auth.get_user(request)
    if user.is_authenticated and request.session.get(SESSION_KEY) == user_id:
        kept = _Kept(token=token, backend=backend, user=copy.copy(user), kept_at=time.monotonic())
        with _lock:
            if len(_kept) >= MAX_KEPT:
                _kept.clear()
            _kept[user_id] = kept
        user._principal = kept
    return user


def remembered(user, name: str, key, load: Callable[[], Any]) -> Any:
    """`load()`, something of the signed-in `user` (its units, the authenticator of a session), kept with the user
    for the next request: a copy of what was kept (of each item, for a list), or what `load()` gives now."""
    kept = getattr(user, "_principal", None)
    if kept is None:
        return load()
    slot = (name, key)
    if slot not in kept.values:
        kept.values[slot] = load()
    return _copied(kept.values[slot])


def _copied(value):
    if isinstance(value, list):
        return [copy.copy(item) for item in value]
    return copy.copy(value)


def changed(sender=None, **kwargs) -> None:
    """A signal receiver: something a signed-in person is made of changed."""
    GENERATION.bump()


def watch(*models) -> None:
    """Replace the token on every save and delete of `models`."""
    for model in models:
        uid = f"accounts.principals.{model._meta.label}"
        post_save.connect(changed, sender=model, dispatch_uid=uid + ".save", weak=False)
        post_delete.connect(changed, sender=model, dispatch_uid=uid + ".delete", weak=False)


def forget() -> None:
    """Forget every kept user of this process (tests)."""
    with _lock:
        _kept.clear()
