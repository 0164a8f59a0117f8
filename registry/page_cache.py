"""Shared caches of the registry pages: whole pages for anonymous visitors, the search's body for everyone.

Anonymous pages are the same for everyone with the same address, language and minute, so one render can serve them
all once the address has been asked for twice in that minute (the first request only notes that it was asked, the
second keeps its page). Each cached page remembers the registry's change generation (registry/changes.py,
core/generations.py: bumped whenever a meeting, group, fellowship or type changes), so an edit shows on the next
request; otherwise a page lives for settings.REGISTRY_PAGE_CACHE_SECONDS (default 60 s, 0 turns the cache off),
which bounds how old a "next date" can be. The one per-visitor part of an anonymous page, the CSRF token of the
language switch, is swapped in on the way out. Logged-in users (their menu and quick searches differ) and visitors
with a session or pending messages get the page rendered around a shared part: the search form and its results are
the same for everyone with the same address and language, so `shared_fragment` keeps that part for them under the
same rules (and the filter choices and results are not rendered per request).

A search no address has asked before still shares most of its work: each result's card and map point
(`result_cards`) are the same in every search that lists the meeting on the same day, in the same language, with
the same next date, so they are rendered once and taken from the cache with the page's other cards in one round
trip, before the meeting itself is loaded (only the meetings whose card is missing are). Only the distance, which
depends on the search, is put in per request. A card is kept until its "verified ... ago" line could read
differently (`_card_until`), at most CARD_SECONDS: rendered again every minute, most cards of a large registry
were rendered again before a second search had listed them.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import re
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from core.generations import fragment_key
from core.memo import Kept
from registry import cards
from registry.changes import GENERATION
from registry.models import AttendanceMode

KEY_PREFIX = "registry:page:"
# The 3 is the form of a cached card (its pieces around the distance, and until when it holds): a new form needs a
# new number, so that workers of two versions sharing the cache never read each other's.
CARD_PREFIX = "registry:card:3:"
# The span of a card's key (core.generations.fragment_key), so the longest a card is kept: the registry's generation
# shows every change at once; this bounds how long a write that moved no generation could go unseen.
CARD_SECONDS = 3600
DAY = datetime.timedelta(days=1)
CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=")([^"]+)(")')
CSRF_PLACEHOLDER = "__registry_csrf_token__"
# The language switch's return address, the one other per-address part of the page around the search body.
NEXT_FIELD = re.compile(r'(name="next" type="hidden" value=")([^"]*)(")')
NEXT_PLACEHOLDER = "__registry_next__"
KEPT_HEADERS = ("Content-Type", "Content-Disposition")
# Appended to a page's key: the page was asked for once in this span (`cached_for_anonymous`).
ASKED = ":asked"


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

    The caller must make sure the part holds nothing of the visitor's own (no CSRF token, no user). In a view under
    `cached_for_anonymous`, a visitor whose whole page is cached gets the part rendered: keeping it a second time
    cost two more cache round trips and a second copy for every address nobody had asked for before."""
    if request.method not in ("GET", "HEAD") or not cache_seconds() or is_cacheable(request):
        return render()
    return GENERATION.get_or_render(page_key(request, part), render, cache_seconds())


def cached_for_anonymous(view):
    """Serve the view's 200 answers to anonymous visitors from the shared cache (see the module docstring).

    A page is kept from the second time its address is asked for within a span: the first time, only that it was
    asked is noted (`ASKED`), read in the same round trip as the page. Most searches are asked once (a postal code
    and a weekday of one person's own), and keeping each of their pages cost 0.4 ms of a 5.5 ms search (issue 15)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_cacheable(request):
            return view(request, *args, **kwargs)
        key = page_key(request)
        generation, (hit, asked) = GENERATION.lookup_many([key, key + ASKED])
        if hit is not None:
            body = hit["body"]
            if CSRF_PLACEHOLDER in body:
                body = body.replace(CSRF_PLACEHOLDER, get_token(request))
            response = HttpResponse(body)
            for name, value in hit["headers"].items():
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming or response.cookies:
            return response
        if asked is None:
            GENERATION.store(key + ASKED, generation, True, cache_seconds())
        else:
            body = CSRF_FIELD.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<3>", response.content.decode(response.charset))
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            GENERATION.store(key, generation, {"body": body, "headers": headers}, cache_seconds())
        return response

    return wrapped


# (template, language, path, minute) → the page around its body, rendered once per process (`render_around`).
_shells = Kept(64)


def render_around(request, template: str, body: str) -> HttpResponse:
    """`template` rendered with `body` (our own render, shared by `shared_fragment`) as its `search_body`.

    For a visitor whose whole page is cacheable, the page around the body holds nothing of their own but the language
    switch's CSRF token and return address: it is rendered once per language, path and page-cache span in each
    process, with those two put in per request. Rendering it took about 1 ms of an uncached search's 8 (issue 15)."""
    if not is_cacheable(request):
        return render(request, template, {"search_body": mark_safe(body)})  # noqa: S308 - our own render
    key = (template, get_language(), request.path, int(time.time() // cache_seconds()))
    before, after = _shells.get_or_make(key, lambda: _shell(request, template))
    before = before.replace(CSRF_PLACEHOLDER, get_token(request)).replace(
        NEXT_PLACEHOLDER, escape(request.get_full_path())
    )
    return HttpResponse(before + body + after)


def _shell(request, template: str) -> list[str]:
    """The page around the body, before and after it, with placeholders for the visitor's own parts."""
    return [
        NEXT_FIELD.sub(rf"\g<1>{NEXT_PLACEHOLDER}\g<3>", CSRF_FIELD.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<3>", piece))
        for piece in _frame(template, {}, ("search_body",), request=request)
    ]


# (template, language, the frame's context, the parts' names) → the template's markup around its parts (`render_frame`).
_frames = Kept(16)


def render_frame(template: str, context: dict, parts: dict[str, str]) -> str:
    """`template` rendered with `context` (values that stay the same while the process runs: settings) and each of
    `parts` (name → our own markup, rendered for this request) in its place.

    The template's own markup depends on nothing else but the language: it is rendered once per language in each
    process, with a placeholder where each part goes, and the parts are put in per request. The search body's frame
    (headings, buttons, the map's labels in a dozen translations) was a quarter of its render (issue 15)."""
    key = (template, get_language(), tuple(context.items()), tuple(parts))
    pieces = _frames.get_or_make(key, lambda: _frame(template, context, tuple(parts)))
    markup = [pieces[0]]
    for name, piece in zip(parts, pieces[1:], strict=True):
        markup += [parts[name], piece]
    return "".join(markup)


def _frame(template: str, context: dict, names: tuple[str, ...], request=None) -> list[str]:
    """The template's markup split where each part goes, in the order of `names`."""
    placeholders = {name: f"__registry_part_{name}__" for name in names}
    markup = render_to_string(template, {**context, **placeholders}, request=request)
    pieces = []
    for name in names:
        before, markup = markup.split(placeholders[name])
        pieces.append(before)
    return [*pieces, markup]


def _forget_shells(**kwargs) -> None:
    _shells.clear()
    _frames.clear()


# A shell or a frame holds what settings chose (the menu, the demo banner, the map's tiles): tests that change them
# get a new one.
setting_changed.connect(_forget_shells)


def result_cards(rows: list[tuple], load: Callable[[list[int]], list]) -> tuple[list[SafeString], list[dict]]:
    """The cards (registry/cards.py) and the map points of a page of search results, shared between searches.

    `rows` are the page's (id, distance in km or None, days until the next date) rows (views.Search.ordered_rows):
    enough for each card's key, so a card found in the cache costs no query. `load(ids)` gives the results
    (views.Result) of the meetings whose card is missing.
    """
    now = timezone.now()
    if cache_seconds():
        language, day = get_language(), timezone.localdate(now).isoformat()  # once for the page, not per card
        keys = [_card_key(row, language, day) for row in rows]
        moment = now.timestamp()
        entries = GENERATION.get_many_or_render(
            keys,
            lambda positions: _render_entries(load, [rows[i][0] for i in positions], now),
            CARD_SECONDS,
            usable=lambda entry: entry["until"] > moment,
        )
    else:
        entries = _render_entries(load, [row[0] for row in rows], now)
    shown, points = [], []
    for (_pk, km, _days), entry in zip(rows, entries, strict=True):
        if entry is None:  # deleted since the page's rows were read
            continue
        # Our own render, and the distance through format_html.
        distance = cards.distance_fact(None if entry["online"] else km)
        shown.append(mark_safe(entry["before"] + distance + entry["after"]))  # noqa: S308
        if entry["point"] is not None:
            points.append(entry["point"])
    return shown, points


def _card_key(row: tuple, language: str, day: str) -> str:
    """Everything a card shows is the meeting's (under the registry's generation), the language, the day ("today",
    "tomorrow"), the days until its next date, which with the meeting's schedule gives that date (the search's
    `days_until` counts a meeting that started today as next week's), and how long ago it was verified, which
    `_card_until` follows."""
    pk, _km, days_until = row
    parts = {"meeting": pk, "language": language, "day": day, "days_until": days_until}
    return fragment_key(CARD_PREFIX, parts, CARD_SECONDS)


def _card_until(last_verified_at: datetime.datetime | None, now: datetime.datetime) -> float:
    """Until when (a Unix time) a card rendered `now` reads right, within its key's span. Its only words that change
    with the clock are how long ago the meeting was verified ("5 minutes", "3 weeks", timesince to one unit) and the
    warning once that is over six months (core/freshness.py). Past a day's age, both change only a whole number of
    days after the verification; within it, by the minute, so such a card lives as long as a page."""
    if last_verified_at is None:
        return math.inf
    age = now - last_verified_at
    if age < DAY:
        return now.timestamp() + cache_seconds()
    return (last_verified_at + DAY * math.floor(age / DAY + 1)).timestamp()


def _render_entries(load, ids: list[int], now: datetime.datetime) -> list[dict | None]:
    """What the cache keeps of each meeting's card, in the order of `ids` (None for a meeting no longer there): the
    card's markup before and after the distance, which each search puts in, and until when it holds."""
    url = cards.detail_urls()
    entries = {}
    for result in load(ids):
        before, after = cards.card_pieces(result, url)
        entries[result.meeting.pk] = {
            "before": str(before),
            "after": str(after),
            "point": cards.map_point(result.meeting, url),
            "online": result.meeting.attendance_mode == AttendanceMode.ONLINE,
            "until": _card_until(result.meeting.last_verified_at, now),
        }
    return [entries.get(pk) for pk in ids]
