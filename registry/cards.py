"""A meeting's result card, as the search and the group page list it, and its point on the search's map.

The card is built in Python rather than a template: a search shows up to 20 of them and renders those its cache
does not have (page_cache.result_cards), and the template engine cost ten times as much per card. This is the
only place the card's markup lives. What a card shows is read as plain rows (`load`), not model instances, which
cost more to build than the card takes to render.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, NamedTuple

from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core import sql_templates
from core.lookups import AnyOf
from registry import selectors
from registry.models import SCHEDULE_FIELDS, AttendanceMode, Fellowship, Meeting, Status
from registry.templatetags.registry_tags import distance, friendly_date, hour_minute, schedule_text, verified_ago

if TYPE_CHECKING:
    import datetime

    from django.db.models import QuerySet

    from registry.views import Result

# A slug that needs no quoting in a URL (the model's own rule is narrower: lower case, digits, - and _).
PLAIN_SLUG = re.compile(r"[-a-z0-9_]+")


class Town(NamedTuple):
    """A meeting's municipality, as far as a card (its name) and the map (its centre) need it."""

    name: str
    latitude: float
    longitude: float


@dataclass(slots=True)
class CardMeeting:
    """What a card and its map point show of a meeting. The schedule's fields have the model's names, so the
    schedule helpers (registry/schedule.py, schedule_text) take it as they take a meeting."""

    pk: int
    slug: str
    name: str
    weekday: int
    start_time: datetime.time
    end_time: datetime.time | None
    recurrence: str
    anchor_date: datetime.date | None
    week_of_month: int | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    attendance_mode: str
    status: str
    venue: str
    address: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    last_verified_at: datetime.datetime | None
    fellowship: Fellowship
    municipality: Town | None


# The columns of a CardMeeting's row, in its fields' order up to the fellowship; then the fellowship's and the
# municipality's (`load` adds whether the meeting is open).
COLUMNS = (
    "pk",
    "slug",
    "name",
    *SCHEDULE_FIELDS,
    "attendance_mode",
    "status",
    "venue",
    "address",
    "postal_code",
    "latitude",
    "longitude",
    "last_verified_at",
    "group__fellowship__code",
    "group__fellowship__name",
    "municipality__name",
    "municipality__latitude",
    "municipality__longitude",
)


def load(meetings: QuerySet[Meeting]) -> list[tuple[CardMeeting, bool | None]]:
    """The meetings of `meetings`, in its order, with whether each is open (schedule.is_open). One query: a card
    needs only that of the meeting's types, and the database answers it on the meeting's row
    (selectors.is_open_sql) for less than a second query reading the type codes."""
    return _from_rows(meetings.values_list(*COLUMNS, selectors.is_open_sql()))


def load_ids(ids: list[int]) -> list[tuple[CardMeeting, bool | None]]:
    """`load` for the meetings with these ids, in no particular order: the search's cards not in its cache.

    On PostgreSQL the query is compiled once per process, with the ids as one array parameter (Django took about a
    millisecond to build and compile its 25 columns and joins for every search, four times what the database took to
    answer), and prepared once per database connection (planning it was half of the database's 0.8–1.0 ms a run;
    prepared, 0.3–0.4 ms). The rows are those `load` reads (a test compares them); elsewhere `load` itself runs."""
    if connection.vendor != "postgresql":
        return load(Meeting.objects.filter(pk__in=ids).order_by())
    sql, params, position = _rows_by_ids_query()
    params = list(params)
    params[position] = list(ids)
    return _from_rows(sql_templates.prepared_rows("registry_card_rows", lambda: sql, params))


@functools.cache
def _rows_by_ids_query() -> tuple[str, tuple, int]:
    """(SQL, parameters, the position of the ids among them) of `load`'s query for an array of ids (PostgreSQL).
    PostgreSQL returns these columns as Django would (no converters apply to them there)."""
    meetings = Meeting.objects.filter(AnyOf(F("pk"), [])).order_by()
    sql, params = meetings.values_list(*COLUMNS, selectors.is_open_sql()).query.sql_with_params()
    [position] = [index for index, value in enumerate(params) if isinstance(value, list)]
    return sql, tuple(params), position


def _from_rows(rows) -> list[tuple[CardMeeting, bool | None]]:
    # A page has a handful of fellowships: one (unsaved) instance each, for their labels.
    fellowships = {}
    loaded = []
    for row in rows:
        *fields, code, fellowship_name, town_name, town_latitude, town_longitude, is_open = row
        fellowship = fellowships.get(code)
        if fellowship is None:
            fellowship = fellowships[code] = Fellowship(code=code, name=fellowship_name)
        town = Town(town_name, town_latitude, town_longitude) if town_name is not None else None
        loaded.append((CardMeeting(*fields, fellowship=fellowship, municipality=town), is_open))
    return loaded


def detail_urls() -> Callable[[str], str]:
    """A meeting's page address from its slug: reversed once for a page of cards (reverse() per card was a tenth
    of a card's cost), falling back to reverse() for a slug that would need quoting."""
    placeholder = "card-slug"
    before, after = reverse("registry:meeting_detail", kwargs={"slug": placeholder}).split(placeholder)

    def url(slug: str) -> str:
        if PLAIN_SLUG.fullmatch(slug):
            return before + slug + after
        return reverse("registry:meeting_detail", kwargs={"slug": slug})

    return url


def card(result: Result, url: Callable[[str], str]) -> SafeString:
    """The card of `result` (views.Result) with its distance, if it has one."""
    before, after = card_pieces(result, url)
    return mark_safe(before + distance_fact(result.distance_km) + after)  # noqa: S308 - escaped as it was built


def card_pieces(result: Result, url: Callable[[str], str]) -> tuple[SafeString, SafeString]:
    """The card of `result` before and after its distance: the search's cache keeps the pieces, and each search
    puts its own distance between them.

    Built as plain strings, every value from the data escaped where it goes in by the standard library's escape,
    which Django's calls (format_html's checks for lazy and safe strings cost more than the escaping); the fixed
    words come from `_phrases`."""
    meeting = result.meeting
    phrases = _phrases(get_language())
    fellowship = meeting.fellowship
    tags = [_tag("accent", fellowship.short_label, title=fellowship.display_name)]
    if result.is_open is True:
        tags.append(phrases.open_tag)
    elif result.is_open is False:
        tags.append(phrases.closed_tag)
    tags.append(phrases.attendance_tags[meeting.attendance_mode])
    if meeting.status != Status.ACTIVE:
        tags.append(phrases.status_tags[meeting.status])
    tag_items = "\n    ".join(tags)
    before = (
        '<li class="ds-card registry-result">\n'
        '  <h3 class="ds-heading" data-size="xs">'
        f'<a class="ds-link" href="{escape(url(meeting.slug))}">{escape(meeting.name)}</a></h3>\n'
        f'  <ul class="registry-tags" aria-label="{phrases.about}">\n    {tag_items}\n  </ul>\n'
        '  <dl class="registry-facts">\n'
        f"    <dt>{phrases.when}</dt>\n    <dd>{escape(schedule_text(meeting))}</dd>\n"
        f"    <dt>{phrases.next}</dt>\n    <dd>{_next_date(result, phrases)}</dd>\n"
        f"    <dt>{phrases.where}</dt>\n    <dd>{_place(meeting, phrases)}</dd>\n"
    )
    after = (
        '  </dl>\n  <p class="ds-paragraph registry-freshness" data-size="sm">'
        f"{_freshness(result, phrases)}</p>\n</li>\n"
    )
    return mark_safe(before), mark_safe(after)  # noqa: S308 - escaped as it was built


def distance_fact(km: float | None) -> SafeString:
    """The distance's line of a card's facts ("1.5 km"); nothing without a distance."""
    if km is None:
        return mark_safe("")
    phrases = _phrases(get_language())
    return mark_safe(f"    <dt>{phrases.distance}</dt>\n    <dd>{escape(distance(km))}</dd>\n")  # noqa: S308 - escaped


def map_point(meeting: CardMeeting, url: Callable[[str], str]) -> dict | None:
    """A search result's point on the map: the meeting's own (from its source or a curator's pin), else its
    municipality's centre, marked approximate; None for an online-only meeting, which has no place on a map."""
    if meeting.attendance_mode == AttendanceMode.ONLINE:
        return None
    approximate = meeting.latitude is None or meeting.longitude is None
    point = meeting.municipality if approximate else meeting
    if point is None:
        return None
    return {
        "name": meeting.name,
        "url": url(meeting.slug),
        "when": schedule_text(meeting),
        "latitude": point.latitude,
        "longitude": point.longitude,
        "approximate": approximate,
    }


@dataclass(frozen=True, slots=True)
class Phrases:
    """A card's fixed words and tags in one language, escaped."""

    about: str
    when: str
    next: str
    where: str
    distance: str
    no_date: str
    online: str
    open_tag: str
    closed_tag: str
    attendance_tags: dict[str, str]
    status_tags: dict[str, str]
    not_verified: str
    stale: str
    verified: str  # "Verified %(ago)s ago", for an escaped "ago"


@functools.cache
def _phrases(language: str | None) -> Phrases:
    """The card's phrases in the active language, whose name `language` is (the key that keeps each language's
    apart). Made once per language and process: a card needed about thirteen translations, and each cost as much
    through Django's translation machinery as building the rest of the card's markup."""
    return Phrases(
        about=escape(_("About this meeting")),
        when=escape(_("When")),
        next=escape(_("Next")),
        where=escape(_("Where")),
        distance=escape(_("Distance")),
        no_date=escape(_("No date set")),
        online=escape(_("Online: link on the meeting page")),
        open_tag=_tag("success", _("Open")),
        closed_tag=_tag("neutral", _("Closed")),
        attendance_tags={mode: _tag("info", label) for mode, label in AttendanceMode.choices},
        status_tags={status: _tag("warning", label) for status, label in Status.choices},
        not_verified=_warning(_("Not verified yet")),
        stale=_warning(_("Not verified in over 6 months")),
        verified=escape(_("Verified %(ago)s ago")),
    )


def _tag(color: str, text: str, *, title: str | None = None) -> str:
    title_attribute = "" if title is None else f' title="{escape(title)}"'
    return f'<li><span class="ds-tag" data-color="{color}"{title_attribute}>{escape(text)}</span></li>'


def _warning(text: str) -> str:
    return f'<span class="ds-tag" data-color="warning">{escape(text)}</span>'


def _next_date(result: Result, phrases: Phrases) -> str:
    if result.next is None:
        return phrases.no_date
    start = timezone.localtime(result.next.start)
    return f'<time datetime="{start.isoformat()}">{escape(friendly_date(start))} {hour_minute(start)}</time>'


def _place(meeting: CardMeeting, phrases: Phrases) -> str:
    """Where it is held, escaped: the venue, address and municipality in person, a pointer to the link online."""
    parts = []
    if meeting.attendance_mode != AttendanceMode.ONLINE:
        address = [meeting.venue, meeting.address] if meeting.venue else [meeting.address]
        if meeting.municipality is not None:
            address.append(" ".join(filter(None, [meeting.postal_code, meeting.municipality.name])))
        parts.append(escape(", ".join(address)))
    if meeting.attendance_mode != AttendanceMode.IN_PERSON:
        parts.append(phrases.online)
    return " · ".join(parts)


def _freshness(result: Result, phrases: Phrases) -> str:
    last_verified_at = result.meeting.last_verified_at
    if last_verified_at is None:
        return phrases.not_verified
    if result.is_stale:
        return phrases.stale
    return phrases.verified % {"ago": escape(verified_ago(last_verified_at))}
