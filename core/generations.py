"""Change generations: one token in the shared cache per kind of data, and whatever is cached from that data.

Anything computed from the data (the meeting feed, a registry page, a unit's report) is stored with the token it
was computed under, and is used only while that token is still current. A change replaces the token, so every
worker shows the change on its next request, however many entries were cached; old entries simply expire.
djangoproject.com's dashboard does the same with one generation key for its metrics.

Bump on commit. What a transaction writes is visible to other connections only when it commits. Were the token
moved only at the change, a concurrent request could read the new token and still the old data, and store old
figures under the new token until they expire. So inside a transaction the token moves at the change (this
thread's own next read must not be served from before it) and once more when the transaction commits
(`transaction.on_commit`, once per transaction, however many rows it writes); a rollback drops the second move.

A generation is one of two kinds, by how a writing thread sees its own uncommitted changes:
- private (`private_until_commit=True`, the registry): the shared token moves at the first change of a transaction
  and at its commit, nothing in between (seeding 300 meetings is two cache writes, not 1,800). Meanwhile `seen()`
  gives the writing thread a private token (the shared one, "+", and a count of its changes), so its own requests
  never see a build from before them; nothing is stored under a private token, so nobody else sees them either.
- shared (the reports): the token moves at every change and at commit. Cheaper to reason about where writes are
  few, and what a writer renders inside its own transaction is still replaced at the commit.

What is computed from several kinds of data is kept under all of their tokens at once (`Generations`).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection, transaction

PRIVATE_MARK = "+"


def new_token() -> str:
    """A fresh token; it starts with the time of the change, so a cached build knows when its data last changed."""
    return f"{time.time():.6f}:{uuid.uuid4().hex[:12]}"


def token_time(token: str) -> float:
    """The Unix time at which `token` was made current (now, for a token of another shape)."""
    try:
        return float(token.split(PRIVATE_MARK, 1)[0].split(":", 1)[0])
    except ValueError:
        return time.time()


def is_private(token: str) -> bool:
    """Whether `token` reflects uncommitted changes of this thread: nothing may be stored under it."""
    return PRIVATE_MARK in token


# The shared tokens this thread has read during the request it is serving (`Generation.read_in_this_request`); None
# outside a request, where nothing is remembered.
_request = threading.local()


def _request_starts(**kwargs) -> None:
    _request.tokens = {}


def _request_ends(**kwargs) -> None:
    _request.tokens = None


request_started.connect(_request_starts)
request_finished.connect(_request_ends)


class _CachedValues:
    """Values kept in the shared cache with the token they were computed under (`_token_keys`, `_token_of`)."""

    def _token_keys(self) -> list[str]:
        raise NotImplementedError

    def _token_of(self, found: dict) -> str:
        """The token as this thread sees it, from what `cache.get_many(self._token_keys())` found."""
        raise NotImplementedError

    def lookup(self, key: str) -> tuple[str, Any | None]:
        """(the token as this thread sees it, the value cached under `key` if it is of that token): one round trip.

        Read the token before computing what will be stored under it, so that nothing computed from older data
        is ever stored under a newer token."""
        token, [value] = self.lookup_many([key])
        return token, value

    def lookup_many(self, keys: list[str]) -> tuple[str, list[Any | None]]:
        """`lookup` for several keys in the same round trip: the values in the order of `keys`, None where missing."""
        token_keys = self._token_keys()
        found = cache.get_many([*token_keys, *keys])
        read = getattr(_request, "tokens", None)
        if read is not None:
            read.update((key, found[key]) for key in token_keys if key in found)
        token = self._token_of(found)
        hits = (found.get(key) for key in keys)
        return token, [
            hit["value"] if isinstance(hit, dict) and hit.get("generation") == token else None for hit in hits
        ]

    def store(self, key: str, token: str, value: Any, timeout: int) -> None:
        """Keep `value`, computed under `token` (from `lookup`), for `timeout` seconds, unless the token is private.
        One SET: `store_many` for one key would wrap it in a transaction (MULTI, SET, EXEC)."""
        if not is_private(token):
            cache.set(key, {"generation": token, "value": value}, timeout)

    def store_many(self, values: dict[str, Any], token: str, timeout: int) -> None:
        """`store` for several keys in one round trip."""
        if not is_private(token):
            cache.set_many({key: {"generation": token, "value": value} for key, value in values.items()}, timeout)

    def get_many_or_render(
        self,
        keys: list[str],
        render: Callable[[list[int]], list[Any]],
        timeout: int,
        usable: Callable[[Any], bool] | None = None,
    ) -> list:
        """The values cached under `keys` for the current token, one round trip for all; `render(positions)` gives
        the missing ones (in the order of `positions`), stored in one more round trip for the next request. A value
        for which `usable(value)` is false (one that has gone out of date within its timeout) counts as missing."""
        token, values = self.lookup_many(keys)
        missing = [
            position
            for position, value in enumerate(values)
            if value is None or (usable is not None and not usable(value))
        ]
        if missing:
            for position, value in zip(missing, render(missing), strict=True):
                values[position] = value
            self.store_many({keys[position]: values[position] for position in missing}, token, timeout)
        return values

    def get_or_render(self, key: str, render: Callable[[], Any], timeout: int) -> Any:
        """The value cached under `key` for the current token, or `render()`, stored for the next request."""
        if not timeout:
            return render()
        token, value = self.lookup(key)
        if value is not None:
            return value
        value = render()
        self.store(key, token, value, timeout)
        return value


class Generation(_CachedValues):
    """The change generation of one kind of data, kept in the shared cache under `key` (see the module docstring)."""

    def __init__(self, key: str, *, private_until_commit: bool = False):
        self.key = key
        self.private_until_commit = private_until_commit
        # This thread's transaction that changed the data and has not committed yet (only its connection sees it).
        self._uncommitted = threading.local()

    def __repr__(self) -> str:
        return f"Generation({self.key!r})"

    # Reading --------------------------------------------------------------------------------------------------

    def current(self) -> str:
        """The shared token, made if there is none yet (two workers making one at once agree on the first)."""
        token = cache.get(self.key)
        if token is None:
            cache.add(self.key, new_token(), timeout=None)
            token = cache.get(self.key) or new_token()
        return token

    def read_in_this_request(self) -> str | None:
        """The token as this thread must see it, if the request it is serving has read it already (with a value it
        looked up), else None. What is computed after that read may be kept under it: a request's first cache round
        trip (a page, its body) reads the token, and what the same request renders later needs no second read."""
        shared = (getattr(_request, "tokens", None) or {}).get(self.key)
        return None if shared is None else self.seen(shared)

    def seen(self, token: str | None = None) -> str:
        """The token as this thread must see it: the shared one (`token`, if already read), with this thread's
        uncommitted changes appended for a private generation."""
        token = token or self.current()
        if not self._episode_is_open():
            return token
        return f"{token}{PRIVATE_MARK}{self._uncommitted.id}.{self._uncommitted.changes}"

    # Writing --------------------------------------------------------------------------------------------------

    def bump(self) -> None:
        """The data changed: make everything cached from it stale, now and again when the transaction commits."""
        if not connection.in_atomic_block:
            self._replace()
            return
        if not self.private_until_commit:
            self._replace()
            if not self._commit_bump_is_queued():
                transaction.on_commit(self._after_commit)
            return
        if self._episode_is_open():
            self._uncommitted.changes += 1
            return
        self._uncommitted.id = uuid.uuid4().hex[:8]
        self._uncommitted.changes = 1
        self._uncommitted.queued = True
        self._replace()
        transaction.on_commit(self._after_commit)

    def bump_receiver(self, sender=None, **kwargs) -> None:
        """`bump` as a signal receiver (it takes and ignores the signal's arguments)."""
        self.bump()

    def _replace(self) -> None:
        cache.set(self.key, new_token(), timeout=None)

    def _after_commit(self) -> None:
        self._uncommitted.queued = False
        self._uncommitted.changes = 0
        self._replace()

    def _commit_bump_is_queued(self) -> bool:
        # A rollback of the transaction, or of the savepoint that queued the callback, discards it.
        return any(callback[1] == self._after_commit for callback in connection.run_on_commit)

    def _episode_is_open(self) -> bool:
        """Whether this connection has uncommitted changes to a private generation."""
        if not connection.in_atomic_block or not getattr(self._uncommitted, "queued", False):
            return False
        if self._commit_bump_is_queued():
            return True
        self._uncommitted.queued = False
        return False

    def _token_keys(self) -> list[str]:
        return [self.key]

    def _token_of(self, found: dict) -> str:
        return self.seen(found.get(self.key))


class Generations(_CachedValues):
    """Several generations as one, for what is computed from several kinds of data (the home page shows follow-ups,
    report figures and registry counts): a value is current while every one of their tokens is, and all of them
    are read in the same round trip as the value. Nothing is stored while any of them is private."""

    def __init__(self, *generations: Generation):
        self.generations = generations

    def __repr__(self) -> str:
        return f"Generations{self.generations!r}"

    def _token_keys(self) -> list[str]:
        return [generation.key for generation in self.generations]

    def _token_of(self, found: dict) -> str:
        return " ".join(generation.seen(found.get(generation.key)) for generation in self.generations)


def fragment_key(prefix: str, parts: dict, seconds: int) -> str:
    """The cache key of a value computed from `parts` (everything it depends on, by name) in the current span of
    `seconds`: a fragment is never kept past its span, so writes that move no generation show within it."""
    bucket = int(time.time() // seconds)
    text = "\n".join(f"{name}={parts[name]}" for name in sorted(parts)) + f"\nbucket={bucket}"
    return prefix + hashlib.sha256(text.encode()).hexdigest()
