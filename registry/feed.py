"""The Meeting Guide JSON feed of every active meeting, and its server-side cache.

The feed is built from the meetings with their joins as plain values and their type codes (on PostgreSQL one query,
registry/feed_sql.py, which also gives each meeting's row version), serialised once and stored in Django's cache,
which every worker shares: the JSON bytes, a gzip-compressed copy, the ETag and Last-Modified. The registry's change
generation (registry/changes.py) says which build is current; any change to a meeting, group, fellowship, meeting
type or the geography replaces it, so the next request builds afresh. Each
process also keeps the last entry it served, so a warm request costs one small cache read.

A build after a change is incremental on PostgreSQL: one query gives each listed meeting's row version (the
transaction ids, `xmin`, of its row and of every row its record reads, and its type codes), and only meetings whose
version differs from the previous build's are read and serialised again; the others' records are copied from the
previous body. PostgreSQL gives every new row version a new `xmin`, whatever wrote it (a service, a bulk update, the
shell), so no write path can leave a stale record behind.

Spec: github code4recovery/spec, README. Day 0 is Sunday; our `Weekday` is ISO (Monday = 1 … Sunday = 7).
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import hashlib
import itertools
import re
import threading
import zlib
import zoneinfo
from array import array
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import orjson
import psycopg
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from isal import isal_zlib

from core.generations import is_private, token_time
from core.snapshots import snapshot
from registry import feed_sql
from registry.changes import GENERATION
from registry.models import SCHEDULE_FIELDS, AttendanceMode, Meeting, Recurrence

FEED_TIMEZONE = "Europe/Oslo"
FEED_COUNTRY = "NO"
FEED_COUNTRY_NAME = "Norway"
ENTRY_KEY_PREFIX = "registry:feed:entry:"
# The generation token outlives entries; entries are rebuilt within a second when evicted.
ENTRY_TIMEOUT_SECONDS = 24 * 60 * 60
COORDINATE_DECIMALS = 5
ROWS_PER_FETCH = 2000
# Records joined into one piece of the body (about 0.4 MB of JSON): each is handed to the compressing thread.
RECORDS_PER_PIECE = 500
# zlib level 6 took 0.53 s for 92,000 meetings (70 MB of JSON), level 1 0.22 s for a third more bytes (8 MB instead
# of 6): most of a rebuild's time after a change (issue 15: at most 1 s at 100,000 meetings). ISA-L's level 1 (isal)
# writes a gzip stream of the same JSON in a fifth of zlib's level 1 time and 4% smaller: 0.055 s and 7.7 MB where
# zlib took 0.26 s and 8.0 MB; on two cores those 0.2 s of CPU were taken from the query and the records.
GZIP_LEVEL = 1
# Characters the spec allows in conference_phone: digits, "+" for international dialling, ",", "*" and "#".
PHONE_NOISE = re.compile(r"[^0-9+,*#]")

# Extension keys (not in the spec; consumers ignore unknown keys) carry what a weekly feed cannot say, so that an
# export → import round trip loses nothing: fellowship, languages, non-weekly recurrence, validity dates and the
# municipality centre where a meeting has no point of its own.
MEETING_VALUES = (
    "id",
    "slug",
    "name",
    *SCHEDULE_FIELDS,
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
    "group__notes",
    "group__website",
    "group__contact",
    "group__fellowship__code",
    "municipality__name",
    "municipality__latitude",
    "municipality__longitude",
    "municipality__county__name",
)

# Non-weekly meetings. The Meeting Guide spec knows weekly meetings only, and neither the Meeting Guide app, TSML UI
# nor the 12 Step Meeting List plugin has a field for anything else (code4recovery/tsml-ui#257 and
# 12-step-meeting-list#145 advise saying it in the notes). So a non-weekly meeting stays one record with a plain
# `day`, and says its rhythm where every consumer shows it: at the end of the name and on the first line of the
# notes, in Norwegian, the feed's language. The importer removes exactly these texts again (`schedule_texts`).
ORDINALS_NB = {1: "1.", 2: "2.", 3: "3.", 4: "4.", -1: "siste"}
WEEKDAYS_NB = {1: "mandag", 2: "tirsdag", 3: "onsdag", 4: "torsdag", 5: "fredag", 6: "lørdag", 7: "søndag"}
MONTHS_NB = ("januar februar mars april mai juni juli august september oktober november desember").split()


def schedule_texts(
    *, recurrence: str, weekday: int, anchor_date: datetime.date | None, week_of_month: int | None
) -> tuple[str, str]:
    """(name suffix, first line of the notes) that say a non-weekly meeting's rhythm; ("", "") for weekly ones."""
    if recurrence == Recurrence.BIWEEKLY and anchor_date:
        date = f"{anchor_date.day}. {MONTHS_NB[anchor_date.month - 1]} {anchor_date.year}"
        return " (annenhver uke)", f"Annenhver uke, i takt med {date}."
    if recurrence == Recurrence.MONTHLY and week_of_month in ORDINALS_NB:
        rhythm = f"{ORDINALS_NB[week_of_month]} {WEEKDAYS_NB[weekday]} i måneden"
        return f" ({rhythm})", f"Bare {rhythm}."
    return "", ""


def iso_weekday(day: int) -> int:
    """Meeting Guide day (Sunday = 0) → ISO weekday (Sunday = 7)."""
    return day or 7


def default_end_time(start: datetime.time) -> datetime.time:
    """The spec's default: one hour after the start (across midnight if need be)."""
    minutes = (start.hour * 60 + start.minute + 60) % (24 * 60)
    return datetime.time(minutes // 60, minutes % 60)


def utc_timestamp(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def formatted_address(*, address: str, postal_code: str, city: str) -> str:
    """ "Storgata 1, 9008 Tromsø, Norway": street, postal code and place, country, as geocoders and TSML UI read
    it; "" when there is no place at all (never a bare "Norway", which a map would put in the middle of the
    country). Written out, not joined from a filtered list: it runs once per meeting."""
    place = f"{postal_code} {city}" if postal_code and city else postal_code or city
    if address and place:
        return f"{address}, {place}, {FEED_COUNTRY_NAME}"
    if address or place:
        return f"{address or place}, {FEED_COUNTRY_NAME}"
    return ""


def conference_phone_digits(value: str) -> str:
    """The number as the spec wants it: digits and "+,*#" only (spaces and dashes dropped)."""
    return PHONE_NOISE.sub("", value)


def detail_url_template(base_url: str) -> str:
    """An absolute detail URL with `{slug}` to fill in; reversed once per build, not once per meeting."""
    placeholder = "slug-placeholder-0"
    try:
        path = reverse("registry:meeting_detail", kwargs={"slug": placeholder})
    except NoReverseMatch:
        path = f"/meetings/{placeholder}/"
    return base_url.rstrip("/") + path.replace(placeholder, "{slug}")


def feed_meetings(today: datetime.date):
    """Active meetings whose validity covers `today`: the same meetings our own search lists."""
    return Meeting.objects.active().filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today), Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )


def _conditions(meetings) -> tuple[str, list]:
    """The meetings' WHERE clause (on the meeting's own columns) as the feed's queries name the table, `m`. A query
    of their ids matched with `m.id IN (…)` cost PostgreSQL a lookup of every meeting by its id again: a sixth of
    the rows query's work."""
    query = meetings.query
    where = query.where.relabeled_clone({Meeting._meta.db_table: "m"})
    return query.get_compiler(connection=connection).compile(where)


def _rows(meetings) -> Iterator[tuple]:
    """Each meeting's MEETING_VALUES (its times as text, feed_sql.AS_TEXT), type codes (sorted) and row version, in
    feed order, read in chunks, so that a build of 100,000 meetings never holds them all as rows at once.

    On PostgreSQL one query (registry/feed_sql.py), streamed: PostgreSQL sends the rows as it makes them, in
    chunks of ROWS_PER_FETCH, and makes the next ones on the other core while this thread turns the last into
    records. (A server-side cursor makes rows only when they are fetched, so the two took turns: 1.5-1.9 s to read
    and build 92,000 records where streaming took 0.9-1.2.) Elsewhere the type links and the rows, and no row
    versions."""
    if connection.vendor == "postgresql":
        conditions, params = _conditions(meetings)
        sql = feed_sql.rows_sql(conditions, MEETING_VALUES)
        with connection.cursor() as cursor:
            # The query's cost estimate (a lookup of type links per meeting) is high enough for PostgreSQL to
            # compile it first, which took 0.4 s at 100,000 meetings and kept back the first row as long. Sorted
            # by slug after the joins, the rows came only once all were joined and sorted (0.3-0.4 s at 100,000
            # meetings, a sort that spilled to disk); read along the slug index, the first comes at once. A
            # parallel worker would only hand the rows on to this backend, on the core this process needs.
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('enable_sort', 'off', true), "
                "set_config('max_parallel_workers_per_gather', '0', true), set_config('DateStyle', 'ISO', true)"
            )
            # psycopg's own stream(): Django's cursor has none. Logged as Django logs its queries when it does
            # (tests count them), and with Django's exceptions. The values come in PostgreSQL's binary form, which
            # a cursor that sends its parameters apart from the query can ask for (Django's sends them inside):
            # read 35% faster than as text (0.18-0.25 s instead of 0.30-0.37 for 92,000 rows, busy machine).
            logged = cursor.debug_sql(sql, params) if connection.queries_logged else contextlib.nullcontext()
            with connection.wrap_database_errors, logged, psycopg.Cursor(connection.connection) as binary:
                yield from binary.stream(sql, params, size=ROWS_PER_FETCH, binary=True)
        return
    types_by_meeting: dict[int, list[str]] = {}
    links = Meeting.types.through.objects.filter(meeting__in=meetings.values("pk")).order_by("meetingtype_id")
    for meeting_id, code in links.values_list("meeting_id", "meetingtype_id"):
        types_by_meeting.setdefault(meeting_id, []).append(code)
    for row in meetings.order_by("slug").values_list(*MEETING_VALUES).iterator(chunk_size=ROWS_PER_FETCH):
        yield (*_as_text(row), types_by_meeting.get(row[0]), None)


_START, _END, _UPDATED = (MEETING_VALUES.index(name) for name in ("start_time", "end_time", "updated_at"))


def _as_text(row: tuple) -> list:
    """The row with its times as PostgreSQL formats them (feed_sql.AS_TEXT)."""
    row = list(row)
    start, end = row[_START], row[_END]
    row[_START] = start.isoformat("minutes")
    row[_END] = (end if end is not None else default_end_time(start)).isoformat("minutes")
    row[_UPDATED] = utc_timestamp(row[_UPDATED])
    return row


def meeting_feed_records(*, base_url: str, today: datetime.date | None = None) -> list[dict]:
    """Every listed meeting as a Meeting Guide record, as the feed has it."""
    with snapshot():
        return [
            orjson.loads(record) for _, _, record in _built(feed_meetings(today or feed_today()), base_url=base_url)
        ]


def _built(meetings, *, base_url: str, skip=frozenset()) -> Iterator[tuple[int, int | None, bytes]]:
    """(id, row version, record JSON) of each of `meetings` but those in `skip`, in feed order.

    orjson: the same JSON as json.dumps(ensure_ascii=False), some fifteen times faster."""
    url_prefix, url_suffix = detail_url_template(base_url).split("{slug}")
    dumps = orjson.dumps
    for row in _rows(meetings):
        if row[0] not in skip:
            yield row[0], row[-1], dumps(_record(row, url_prefix, url_suffix))


def _row_versions(meetings) -> tuple[array, array]:
    """(ids, row versions) of the listed meetings in feed order (PostgreSQL only)."""
    conditions, params = _conditions(meetings)
    with connection.cursor() as cursor:
        cursor.execute(feed_sql.row_versions_sql(conditions), params)
        rows = cursor.fetchall()
    return array("q", [row[0] for row in rows]), array("q", [row[1] for row in rows])


@dataclass
class RecordIndex:
    """Which meeting's record lies where in a feed body, and from which row version it was built."""

    ids: array
    versions: array
    ends: array  # the end of each record in the body; the next one starts after its comma

    def unchanged(self, ids: array, versions: array) -> dict[int, tuple[int, int]]:
        """(start, end) in this build's body of each of `ids` whose row version is still the one built from."""
        where = {meeting_id: position for position, meeting_id in enumerate(self.ids)}
        spans = {}
        for meeting_id, version in zip(ids, versions, strict=True):
            position = where.get(meeting_id)
            if position is not None and self.versions[position] == version:
                spans[meeting_id] = (self.ends[position - 1] + 1 if position else 1, self.ends[position])
        return spans


def feed_records(
    *, base_url: str, today: datetime.date, previous: FeedEntry | None = None, indexed: bool = True
) -> tuple[Iterable, RecordIndex | None]:
    """Each listed meeting's record as compact UTF-8 JSON, in feed order, and where each will lie in the body if
    `indexed` (filled in as the records are taken; PostgreSQL only).

    Records whose row version is the same as in `previous` are copied from its body; the rest are built now. Without a
    previous build, one query gives every record with its row version."""
    meetings = feed_meetings(today)
    if not indexed or connection.vendor != "postgresql":
        return (record for _, _, record in _built(meetings, base_url=base_url)), None
    if previous is None or previous.index is None:
        index = RecordIndex(ids=array("q"), versions=array("q"), ends=array("q"))
        return _built_indexed(meetings, base_url=base_url, index=index), index
    ids, versions = _row_versions(meetings)
    kept = previous.index.unchanged(ids, versions)
    changed = [meeting_id for meeting_id in ids if meeting_id not in kept]
    if kept and len(changed) * 4 < len(ids):
        # A few changed meetings are read by id; a list of most of them would cost more than reading them all.
        meetings = meetings.filter(pk__in=changed)
    built = _built(meetings, base_url=base_url, skip=kept.keys()) if changed else ()
    fresh = {meeting_id: _serialised(record) for meeting_id, _, record in built}
    index = RecordIndex(ids=ids, versions=versions, ends=array("q"))
    body = _PlainSpans(previous) if kept else None
    return _in_order(ids, kept, fresh, body, index.ends), index


def _built_indexed(meetings, *, base_url: str, index: RecordIndex) -> Iterator[bytes]:
    """`_built` and the index of its records in one loop: a cold build's, once per meeting, where each generator
    between the rows and the body cost some 0.03 s of 100,000 meetings."""
    url_prefix, url_suffix = detail_url_template(base_url).split("{slug}")
    dumps = orjson.dumps
    ids, versions, ends = index.ids, index.versions, index.ends
    end = 0
    for row in _rows(meetings):
        record = _serialised(dumps(_record(row, url_prefix, url_suffix)))
        end += len(record) + 1
        ids.append(row[0])
        versions.append(row[-1])
        ends.append(end)
        yield record


def _in_order(ids: array, kept: dict, fresh: dict, body: _PlainSpans | None, ends: array) -> Iterator:
    end = 0
    for meeting_id in ids:
        span = kept.get(meeting_id)
        record = body.take(*span) if span else fresh[meeting_id]
        end += len(record) + 1
        ends.append(end)
        yield record


class _PlainSpans:
    """Spans of a build's JSON, decompressed from its gzip copy only as far as the span asked for, and let go of
    once taken. Decompressing the whole body (70 MB at 100,000 meetings, more while zlib grew its buffer) took a
    worker that rebuilt the feed after a change to 350 MB (issue 15: under 300).

    The spans of the records a rebuild keeps come in ascending order: both builds list meetings by slug, and a kept
    meeting's slug is the one it had. Should one come before the last (a new collation, say), decompression starts
    again from the beginning: slower, never wrong."""

    def __init__(self, entry: FeedEntry) -> None:
        self.entry = entry
        self.restart()

    def restart(self) -> None:
        self.chunks = self.entry.plain_chunks()
        self.pending = b""
        self.offset = 0  # of `pending` in the body

    def take(self, start: int, end: int) -> bytes:
        if start < self.offset:
            self.restart()
        while self.offset + len(self.pending) < end:
            passed = min(start - self.offset, len(self.pending))  # no later span reaches back before `start`
            self.pending = self.pending[passed:] + next(self.chunks)
            self.offset += passed
        return self.pending[start - self.offset : end - self.offset]


def _json_array(records: Iterable) -> Iterator[tuple[bytes, int]]:
    """The records as one JSON array, in pieces of RECORDS_PER_PIECE records: (piece, records in it)."""
    yield b"[", 0
    records = iter(records)
    separator = b""
    while piece := list(itertools.islice(records, RECORDS_PER_PIECE)):
        yield separator + b",".join(piece), len(piece)
        separator = b","
    yield b"]", 0


def compressed_feed(records: Iterable) -> tuple[bytes, str, int, int]:
    """(the gzip-compressed JSON array of `records`, the SHA-256 of the JSON, their number, the JSON's length),
    without ever holding the JSON whole: the plain body is decompressed from the stored copy only where a client or
    the next build needs it.

    The pieces are compressed and hashed in a thread of their own while the next records are built: isal and hashlib
    let go of the GIL on large inputs, so their 0.1 s for 100,000 records (0.3 with zlib) overlaps the building."""
    digest = hashlib.sha256()
    # wbits 31: a gzip stream, its header without a time, so the bytes are a function of the body alone. Any gzip
    # reader (zlib below, every client) reads it.
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 16 + isal_zlib.MAX_WBITS)
    compressed, count, length = [], 0, 0

    def take(piece: bytes) -> None:
        digest.update(piece)
        compressed.append(compressor.compress(piece))

    # One worker: the pieces are taken in the order they are handed over.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-gzip") as worker:
        taken = []
        for piece, records_in_piece in _json_array(records):
            taken.append(worker.submit(take, piece))
            count += records_in_piece
            length += len(piece)
    for done in taken:
        done.result()  # raises what the worker raised
    compressed.append(compressor.flush())
    return b"".join(compressed), digest.hexdigest(), count, length


def _serialised(record: bytes) -> bytes:
    """The record's JSON in a bytes object of its own size, for keeping: orjson hands back each small result in a
    buffer of about 16 KB, so 100,000 kept as they come took 1.4 GB where their JSON is 70 MB. A cold build copies
    them too, though it keeps only a piece of 500 at a time: orjson then writes every record into the buffer the last
    one left, already in the processor's cache, where 500 held buffers (8 MB) made it write into fresh memory each
    time. Building, joining and compressing 100,000 records took 0.43-0.46 s of the main thread's CPU with the copy,
    0.48-0.50 s without."""
    return memoryview(record).tobytes()


# The choices the builder compares every record with, read once: reading a member of a choices class is an enum
# attribute lookup (0.2 µs, four per record, 70 ms of a build of 100,000 meetings).
WEEKLY, BIWEEKLY, MONTHLY, ONLINE = Recurrence.WEEKLY, Recurrence.BIWEEKLY, Recurrence.MONTHLY, AttendanceMode.ONLINE


def _region_levels(city: str, county: str | None) -> list[str]:
    if not city:
        return []
    if county and county != city:
        return [county, city]
    return [city]  # Oslo is both county and municipality: one level, not "Oslo > Oslo"


def _place(city: str, county: str | None, centre_latitude: float | None, centre_longitude: float | None) -> tuple:
    """A municipality's regions and its centre as the feed writes it (None where it has none)."""
    if centre_latitude is None:
        return _region_levels(city, county), None
    centre = [round(centre_latitude, COORDINATE_DECIMALS), round(centre_longitude, COORDINATE_DECIMALS)]
    return _region_levels(city, county), centre


# What many records share, made once per process rather than once per record: a municipality's regions and centre
# (which follow from the names and numbers they are kept under, so never go stale; two rounded floats per meeting
# without a point of its own took 0.04 s of a build of 100,000), and the empty list (written as [] however many hold
# it).
_PLACES: dict[tuple[str, str | None, float | None, float | None], tuple] = {}
NO_ITEMS: list[str] = []


def _record(row: tuple, url_prefix: str, url_suffix: str) -> dict:
    """One row of `_rows` as a record; one call per meeting, the address fields inline."""
    (
        _id, slug, name, weekday, start, end, recurrence, anchor_date, week_of_month, valid_from, valid_to,
        attendance_mode, venue, address, postal_code, latitude, longitude, location_notes, conference_url,
        conference_url_notes, conference_phone, conference_phone_notes, languages, notes, updated, group_name,
        group_notes, website, contact, fellowship_code, city, centre_latitude, centre_longitude, county, codes,
        _version,
    ) = row  # fmt: skip
    if recurrence != WEEKLY:
        name_suffix, rhythm = schedule_texts(
            recurrence=recurrence, weekday=weekday, anchor_date=anchor_date, week_of_month=week_of_month
        )
        name += name_suffix
        notes = f"{rhythm}\n{notes}" if rhythm and notes else (rhythm or notes)
    if codes is None:
        codes = NO_ITEMS
    elif "C" in codes and "O" in codes:
        codes = [code for code in codes if code != "O"]  # closed wins over open
    record = {
        "name": name,
        "slug": slug,
        "day": weekday % 7,
        "time": start,
        "end_time": end,
        "timezone": FEED_TIMEZONE,
        "types": codes,
        "notes": notes,
        "updated": updated,
        "location": venue,
        "location_notes": location_notes,
        "conference_url": conference_url,
        "conference_url_notes": conference_url_notes,
        "conference_phone": conference_phone_digits(conference_phone) if conference_phone else "",
        "conference_phone_notes": conference_phone_notes,
        "attendance_option": attendance_mode,
        "group": group_name,
        "group_notes": group_notes,
        "website": website,
        "url": url_prefix + slug + url_suffix,
        "fellowship": fellowship_code,
        "languages": languages.split(",") if languages else NO_ITEMS,
        "recurrence": recurrence,
    }
    if contact:
        record["email" if "@" in contact else "phone"] = contact
    # The address fields; `approximate` as the spec means it: whether the *address* is a specific place.
    city = city or ""
    record.update(address=address, city=city, postal_code=postal_code, country=FEED_COUNTRY)
    formatted = formatted_address(address=address, postal_code=postal_code, city=city)
    if formatted:
        record["formatted_address"] = formatted
    # In-person and hybrid meetings always have a street address (Meeting.clean); an online meeting's place, if
    # any, is only where it belongs, not where to go.
    record["approximate"] = "no" if address and attendance_mode != ONLINE else "yes"
    place = (city, county, centre_latitude, centre_longitude)
    regions, centre = _PLACES.get(place) or _PLACES.setdefault(place, _place(*place))
    record["regions"] = regions
    if latitude is not None and longitude is not None:
        record["latitude"] = round(latitude, COORDINATE_DECIMALS)
        record["longitude"] = round(longitude, COORDINATE_DECIMALS)
    elif centre is not None:
        # Only the municipality is known: its centre, in our own key, so that no map puts a pin there as if
        # it were the meeting's door, and no consumer takes the street address for an approximate one.
        record["municipality_centre"] = centre
    if recurrence != WEEKLY:
        if recurrence == BIWEEKLY and anchor_date:
            record["anchor_date"] = anchor_date.isoformat()
        elif recurrence == MONTHLY and week_of_month:
            record["week_of_month"] = week_of_month
    if valid_from:
        record["valid_from"] = valid_from.isoformat()
    if valid_to:
        record["valid_to"] = valid_to.isoformat()
    return record


@dataclass
class FeedEntry:
    """One build of the feed, held gzip-compressed only (0.6 MB for 10,000 meetings rather than 7 MB of JSON, which a
    database cache would take seconds to write), with the index of its records that the next build copies unchanged
    ones from. A client without gzip gets the JSON decompressed as it is sent (`plain_chunks`), and the next build
    decompresses it as it copies the records (`_PlainSpans`), so no worker holds 70 MB of JSON for 100,000
    meetings."""

    generation: str
    gzip_body: bytes
    etag: str
    last_modified: float  # Unix time of the change that made this generation current
    meeting_count: int
    body_length: int  # of the JSON, for Content-Length
    index: RecordIndex | None = None

    @property
    def body(self) -> bytes:
        """The JSON, decompressed anew (gzip.decompress would hold it twice on the way)."""
        return zlib.decompress(self.gzip_body, 16 + zlib.MAX_WBITS)

    def plain_chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The JSON in pieces of at most `size` bytes, decompressed as they are taken."""
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = self.gzip_body
        while pending:
            chunk = decompressor.decompress(pending, size)
            pending = decompressor.unconsumed_tail
            if chunk:
                yield chunk
        if tail := decompressor.flush():
            yield tail


def feed_today() -> datetime.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(FEED_TIMEZONE))


@contextlib.contextmanager
def _collection_paused() -> Iterator[None]:
    """Python's cycle collector off while a build makes its 100,000 dictionaries and rows: it would walk every
    object of the process again and again (0.2 s of a cold build), and records hold no cycles to collect."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_feed_entry(
    *, base_url: str, generation: str, today: datetime.date, previous: FeedEntry | None = None
) -> FeedEntry:
    # Row versions tell changes apart only between committed transactions: one still open keeps its xmin on a row it
    # changes again, so a build inside it neither copies records nor leaves an index for the next build.
    committed = not connection.in_atomic_block
    # The records are read as they are compressed, so both happen inside the snapshot's transaction.
    with snapshot(), _collection_paused():
        records, index = feed_records(
            base_url=base_url, today=today, previous=previous if committed else None, indexed=committed
        )
        gzip_body, digest, count, length = compressed_feed(records)
    # The list also changes at midnight, when a meeting's validity starts or ends.
    midnight = datetime.datetime.combine(today, datetime.time(0), tzinfo=zoneinfo.ZoneInfo(FEED_TIMEZONE))
    return FeedEntry(
        generation=generation,
        gzip_body=gzip_body,
        # Weak: the identity and gzip bodies are the same representation for If-None-Match.
        etag=f'W/"{digest[:32]}"',
        last_modified=max(token_time(generation), midnight.timestamp()),
        meeting_count=count,
        body_length=length,
        index=index,
    )


_process_entries: dict[str, FeedEntry] = {}
_process_lock = threading.Lock()


def get_feed_entry(*, base_url: str) -> FeedEntry:
    """The current feed for this site address: from this process, else the shared cache, else built (from the
    latest earlier build either holds, where it can) and stored."""
    today = feed_today()
    # A new day is a new build: validity dates decide which meetings are listed.
    generation = GENERATION.seen() + "@" + today.isoformat()
    pending = is_private(generation)
    entry = _process_entries.get(base_url)
    if entry is not None and entry.generation == generation:
        return entry
    previous = entry
    key = ENTRY_KEY_PREFIX + hashlib.sha256(base_url.encode()).hexdigest()[:16]
    shared = None if pending else cache.get(key)
    if isinstance(shared, FeedEntry) and shared.generation == generation:
        entry = shared
    else:
        if previous is None and isinstance(shared, FeedEntry):
            previous = shared
        entry = build_feed_entry(base_url=base_url, generation=generation, today=today, previous=previous)
        if not pending:
            cache.set(key, entry, timeout=ENTRY_TIMEOUT_SECONDS)
    with _process_lock:
        _process_entries[base_url] = entry
    return entry


def clear_process_cache() -> None:
    """Forget this process's copy (tests and benchmarks)."""
    with _process_lock:
        _process_entries.clear()
