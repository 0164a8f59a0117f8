"""The rendered body of a unit's report, kept in the shared cache for a minute.

A unit report aggregates up to 24 months of contacts (two aggregate queries and a chart, about 70 ms at a
million contacts), yet it is the same for everyone who asks for the same unit, month, indicator and span with
the same view of small numbers (a lead sees exact counts, others "<5"). So the part below the filter form is
rendered once and served from the cache (one round trip) to every worker; the page around it (menu, CSRF
token, messages) is still rendered per request.

Freshness: every cached body carries the reports generation, which changes whenever a contact, follow-up,
target, frozen month, unit or membership is saved or deleted (reports/signals.py), so such an edit shows on the
next request. Writes that send no signals (bulk imports, `QuerySet.update()`) show within
settings.REPORT_CACHE_SECONDS (default 60; 0 turns the cache off). The generation is read before the figures
are computed, so a body computed from older data can never be stored under a newer generation.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "reports:body:"
GENERATION_KEY = "reports:generation"


def cache_seconds() -> int:
    return getattr(settings, "REPORT_CACHE_SECONDS", 60)


def bump_generation(**kwargs) -> None:
    """Make every cached report body stale. A signal receiver, so it takes and ignores the signal's arguments."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def _key(parts: dict) -> str:
    bucket = int(time.time() // cache_seconds())
    text = "\n".join(f"{name}={parts[name]}" for name in sorted(parts)) + f"\nbucket={bucket}"
    return KEY_PREFIX + hashlib.sha256(text.encode()).hexdigest()


def get_or_render(parts: dict, render: Callable[[], Any]) -> Any:
    """The cached body for `parts` (everything the body depends on), or `render()` stored for the next request.

    A body is usually rendered HTML; the home page keeps its headline figures (picklable values) the same way."""
    if not cache_seconds():
        return render()
    key = _key(parts)
    found = cache.get_many([GENERATION_KEY, key])
    generation, hit = found.get(GENERATION_KEY), found.get(key)
    if generation is None:
        generation = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, generation, None):
            generation = cache.get(GENERATION_KEY) or generation
    elif hit is not None and hit["generation"] == generation:
        return hit["body"]
    body = render()
    cache.set(key, {"generation": generation, "body": body}, cache_seconds())
    return body
