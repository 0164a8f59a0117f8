"""The Meeting Guide JSON feed of every active meeting, and its server-side cache.

The feed is built from two queries (the meetings with their joins as plain values, and the meeting-type links),
serialised once and stored in Django's cache, which every worker shares: the JSON bytes, a gzip-compressed copy, the
ETag and Last-Modified. The registry's change generation (registry/changes.py) says which build is current; any
change to a meeting, group, fellowship, meeting type or the geography replaces it, so the next request builds
afresh. Each process also keeps the last entry it served, so a warm request costs one small cache read.

Spec: github code4recovery/spec, README. Day 0 is Sunday; our `Weekday` is ISO (Monday = 1 … Sunday = 7).
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import threading
from dataclasses import dataclass, field

import orjson
from django.core.cache import cache
from django.db import connection, models
from django.urls import NoReverseMatch, reverse

from core.generations import is_private, token_time
from registry.changes import GENERATION
from registry.models import Meeting, Recurrence, Status

FEED_TIMEZONE = "Europe/Oslo"
FEED_COUNTRY = "NO"
FEED_COUNTRY_NAME = "Norway"
ENTRY_KEY_PREFIX = "registry:feed:entry:"
# The generation token outlives entries; entries are rebuilt within a second when evicted.
ENTRY_TIMEOUT_SECONDS = 24 * 60 * 60
COORDINATE_DECIMALS = 5

# Extension keys (not in the spec; consumers ignore unknown keys) carry what a weekly feed cannot say, so that an
# export → import round trip loses nothing: fellowship, languages and non-weekly recurrence.
MEETING_VALUES = (
    "id",
    "slug",
    "name",
    "weekday",
    "start_time",
    "end_time",
    "recurrence",
    "anchor_date",
    "week_of_month",
    "valid_from",
    "valid_to",
    "attendance_mode",
    "venue",
    "address",
    "postal_code",
    "latitude",
    "longitude",
    "location_notes",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "languages",
    "notes",
    "updated_at",
    "group__name",
    "group__fellowship__code",
    "municipality__name",
    "municipality__latitude",
    "municipality__longitude",
    "municipality__county__name",
)


def feed_day(weekday: int) -> int:
    """ISO weekday (Monday = 1 … Sunday = 7) → Meeting Guide day (Sunday = 0 … Saturday = 6)."""
    return weekday % 7


def iso_weekday(day: int) -> int:
    """Meeting Guide day (Sunday = 0) → ISO weekday (Sunday = 7)."""
    return day or 7


def hhmm(value: datetime.time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def default_end_time(start: datetime.time) -> datetime.time:
    """The spec's default: one hour after the start (across midnight if need be)."""
    minutes = (start.hour * 60 + start.minute + 60) % (24 * 60)
    return datetime.time(minutes // 60, minutes % 60)


def utc_timestamp(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def formatted_address(*, address: str, postal_code: str, city: str) -> str:
    place = " ".join(part for part in (postal_code, city) if part)
    return ", ".join(part for part in (address, place, FEED_COUNTRY_NAME) if part)


def detail_url_template(base_url: str) -> str:
    """An absolute detail URL with `{slug}` to fill in; reversed once per build, not once per meeting."""
    placeholder = "slug-placeholder-0"
    try:
        path = reverse("registry:meeting_detail", kwargs={"slug": placeholder})
    except NoReverseMatch:
        path = f"/meetings/{placeholder}/"
    return base_url.rstrip("/") + path.replace(placeholder, "{slug}")


class UtcText(models.Func):
    """A timestamp as "YYYY-MM-DD HH:MM:SS" in UTC, formatted by PostgreSQL: parsing 10,000 timestamps in Python is
    the slowest part of reading the rows."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    output_field = models.CharField()


def meeting_feed_records(*, base_url: str) -> list[dict]:
    """Every active meeting as a Meeting Guide record. Two queries, whatever the number of meetings.

    Rows come as tuples and are formatted with C-level helpers (isoformat), since this loop runs once per meeting.
    """
    meetings = Meeting.objects.active().order_by("slug")
    if connection.vendor == "postgresql":
        fields = [name if name != "updated_at" else "updated_text" for name in MEETING_VALUES]
        rows = meetings.annotate(updated_text=UtcText("updated_at")).values_list(*fields)
    else:
        rows = meetings.values_list(*MEETING_VALUES)
    types_by_meeting: dict[int, list[str]] = {}
    links = (
        Meeting.types.through.objects.filter(meeting__status=Status.ACTIVE)
        .order_by("meetingtype_id")
        .values_list("meeting_id", "meetingtype_id")
    )
    for meeting_id, code in links:
        codes = types_by_meeting.get(meeting_id)
        if codes is None:
            types_by_meeting[meeting_id] = [code]
        else:
            codes.append(code)
    for codes in types_by_meeting.values():
        if "C" in codes and "O" in codes:
            codes.remove("O")  # closed wins over open
    url_prefix, url_suffix = detail_url_template(base_url).split("{slug}")
    no_types: list[str] = []
    centres: dict[str, tuple[float, float]] = {}
    biweekly, monthly = Recurrence.BIWEEKLY.value, Recurrence.MONTHLY.value

    records = []
    append = records.append
    for (
        meeting_id,
        slug,
        name,
        weekday,
        start,
        end,
        recurrence,
        anchor_date,
        week_of_month,
        valid_from,
        valid_to,
        attendance_mode,
        venue,
        address,
        postal_code,
        latitude,
        longitude,
        location_notes,
        conference_url,
        conference_url_notes,
        conference_phone,
        conference_phone_notes,
        languages,
        notes,
        updated_at,
        group_name,
        fellowship_code,
        city,
        municipality_latitude,
        municipality_longitude,
        county,
    ) in rows:
        city = city or ""
        place = f"{postal_code} {city}" if postal_code and city else (postal_code or city)
        if address:
            formatted = f"{address}, {place}, {FEED_COUNTRY_NAME}" if place else f"{address}, {FEED_COUNTRY_NAME}"
        else:
            formatted = f"{place}, {FEED_COUNTRY_NAME}" if place else FEED_COUNTRY_NAME
        if not isinstance(updated_at, str):
            updated_at = utc_timestamp(updated_at)
        record = {
            "name": name,
            "slug": slug,
            "day": weekday % 7,
            "time": start.isoformat("minutes"),
            "end_time": (end or default_end_time(start)).isoformat("minutes"),
            "timezone": FEED_TIMEZONE,
            "types": types_by_meeting.get(meeting_id, no_types),
            "notes": notes,
            "updated": updated_at,
            "location": venue,
            "location_notes": location_notes,
            "address": address,
            "city": city,
            "postal_code": postal_code,
            "country": FEED_COUNTRY,
            "formatted_address": formatted,
            "regions": [county, city] if city else no_types,
            "conference_url": conference_url,
            "conference_url_notes": conference_url_notes,
            "conference_phone": conference_phone,
            "conference_phone_notes": conference_phone_notes,
            "attendance_option": attendance_mode,
            "group": group_name,
            "url": url_prefix + slug + url_suffix,
            "fellowship": fellowship_code,
            "languages": languages.split(",") if languages else no_types,
            "recurrence": recurrence,
        }
        if latitude is not None and longitude is not None:
            record["latitude"] = round(latitude, COORDINATE_DECIMALS)
            record["longitude"] = round(longitude, COORDINATE_DECIMALS)
            record["approximate"] = "no"
        elif municipality_latitude is not None:
            # The municipality's centre point is only an approximation of where the meeting is.
            centre = centres.get(city)
            if centre is None:
                centre = centres[city] = (
                    round(municipality_latitude, COORDINATE_DECIMALS),
                    round(municipality_longitude, COORDINATE_DECIMALS),
                )
            record["latitude"], record["longitude"] = centre
            record["approximate"] = "yes"
        if recurrence == biweekly and anchor_date:
            record["anchor_date"] = anchor_date.isoformat()
        elif recurrence == monthly and week_of_month:
            record["week_of_month"] = week_of_month
        if valid_from:
            record["valid_from"] = valid_from.isoformat()
        if valid_to:
            record["valid_to"] = valid_to.isoformat()
        append(record)
    return records


@dataclass
class FeedEntry:
    """One build of the feed. The shared cache holds it once, gzip-compressed (0.6 MB for 10,000 meetings rather
    than 7 MB of JSON, which a database cache would take seconds to write); a process that serves a client without
    gzip decompresses it once and keeps both forms."""

    generation: str
    gzip_body: bytes
    etag: str
    last_modified: float  # Unix time of the change that made this generation current
    meeting_count: int
    _body: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = gzip.decompress(self.gzip_body)
        return self._body

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_body": None}


def build_feed_entry(*, base_url: str, generation: str) -> FeedEntry:
    records = meeting_feed_records(base_url=base_url)
    # orjson: the same compact UTF-8 JSON as json.dumps(ensure_ascii=False), some fifteen times faster.
    body = orjson.dumps(records)
    digest = hashlib.sha256(body).hexdigest()[:32]
    return FeedEntry(
        generation=generation,
        _body=body,
        # mtime=0 keeps the compressed bytes a function of the body alone.
        gzip_body=gzip.compress(body, compresslevel=6, mtime=0),
        # Weak: the identity and gzip bodies are the same representation for If-None-Match.
        etag=f'W/"{digest}"',
        last_modified=token_time(generation),
        meeting_count=len(records),
    )


_process_entries: dict[str, FeedEntry] = {}
_process_lock = threading.Lock()


def get_feed_entry(*, base_url: str) -> FeedEntry:
    """The current feed for this site address: from this process, else the shared cache, else built and stored."""
    generation = GENERATION.seen()
    pending = is_private(generation)
    entry = _process_entries.get(base_url)
    if entry is not None and entry.generation == generation:
        return entry
    key = ENTRY_KEY_PREFIX + hashlib.sha256(base_url.encode()).hexdigest()[:16]
    entry = None if pending else cache.get(key)
    if not isinstance(entry, FeedEntry) or entry.generation != generation:
        entry = build_feed_entry(base_url=base_url, generation=generation)
        if not pending:
            cache.set(key, entry, timeout=ENTRY_TIMEOUT_SECONDS)
    with _process_lock:
        _process_entries[base_url] = entry
    return entry


def clear_process_cache() -> None:
    """Forget this process's copy (tests and benchmarks)."""
    with _process_lock:
        _process_entries.clear()
