"""The rendered body of a unit's report, kept in the shared cache for a minute.

A unit report aggregates up to 24 months of contacts (two aggregate queries and a chart, about 70 ms at a
million contacts), yet it is the same for everyone who asks for the same unit, month, indicator and span with
the same view of small numbers (a lead sees exact counts, others "<5"; a protected body also depends on the
reader's own contacts, reports.disclosure rule 7, so it is kept per reader). So the part below the filter form is
rendered once and served from the cache (one round trip) to every worker; the page around it (menu, CSRF
token, messages) is still rendered per request.

Freshness: every cached body carries the reports' change generation (core/generations.py), which moves whenever
a contact, follow-up, target, frozen month, unit or membership is saved or deleted (reports/signals.py), and again
when the transaction that saved it commits, so such an edit shows on the next request and a request that ran
while it was uncommitted cannot keep its older figures under the new generation. Writes that send no signals
(`QuerySet.update()`) show within settings.REPORT_CACHE_SECONDS (default 60; 0 turns the cache off). The
generation is read before the figures are computed, so a body computed from older data is never stored under a
newer generation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from core.generations import Generation, fragment_key

KEY_PREFIX = "reports:body:"
GENERATION = Generation("reports:generation")


def cache_seconds() -> int:
    return getattr(settings, "REPORT_CACHE_SECONDS", 60)


def bump_generation(**kwargs) -> None:
    """Make every cached report body stale, now and at commit. A signal receiver: it ignores the signal's arguments."""
    GENERATION.bump()


def get_or_render(parts: dict, render: Callable[[], Any]) -> Any:
    """The cached body for `parts` (everything the body depends on), or `render()` stored for the next request.

    A body is usually rendered HTML; the home page keeps its headline figures (picklable values) the same way."""
    if not cache_seconds():
        return render()
    return GENERATION.get_or_render(fragment_key(KEY_PREFIX, parts, cache_seconds()), render, cache_seconds())
