"""Import meetings from a Meeting Guide JSON feed or a 12 Step Meeting List CSV.

Everything is validated before anything is written: any invalid record stops the whole import, and each problem is
reported with the record's position or slug and the field. Valid imports are written in one transaction with bulk
operations, updating meetings in place by slug and skipping unchanged ones, so a 10,000-meeting feed takes seconds.

Used by `manage.py import_meetings` and the admin's upload page (registry/admin_import.py).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheets import unescape as unescape_spreadsheet
from registry.bulk import insert_rows, update_rows
from registry.changes import registry_changed
from registry.feed import COORDINATE_DECIMALS, default_end_time, iso_weekday, schedule_texts
from registry.models import (
    SLUG_PATTERN,
    AttendanceMode,
    County,
    Fellowship,
    Group,
    Meeting,
    MeetingType,
    Municipality,
    PostalCode,
    Recurrence,
    Status,
)

MAX_SOURCE_BYTES = getattr(settings, "REGISTRY_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
MAX_TEXT_LENGTH = 10_000
MAX_RECORDS = 100_000
URL_TIMEOUT_SECONDS = 30
PREVIEW_ROWS = 25

# Model fields an import sets; compared with the stored row to skip unchanged meetings.
IMPORT_FIELDS = (
    "name",
    "group_id",
    "weekday",
    "start_time",
    "end_time",
    "recurrence",
    "anchor_date",
    "week_of_month",
    "valid_from",
    "valid_to",
    "attendance_mode",
    "status",
    "venue",
    "address",
    "postal_code",
    "municipality_id",
    "latitude",
    "longitude",
    "location_notes",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "languages",
    "notes",
    "source",
)
# Changes that do not change the listing, so they leave its "updated" time alone.
BOOKKEEPING_FIELDS = {"source"}
# Plain text fields read as they are (model field → source key).
TEXT_FIELDS = {
    "venue": "location",
    "location_notes": "location_notes",
    "conference_url_notes": "conference_url_notes",
    "conference_phone_notes": "conference_phone_notes",
    "notes": "notes",
}
# Model field → the source key to name in a problem.
SOURCE_KEY_FOR_FIELD = {
    "slug": "slug",
    "name": "name",
    "weekday": "day",
    "start_time": "time",
    "end_time": "end_time",
    "venue": "location",
    "address": "address",
    "postal_code": "postal_code",
    "municipality": "city",
    "latitude": "latitude",
    "longitude": "longitude",
    "location_notes": "location_notes",
    "conference_url": "conference_url",
    "conference_url_notes": "conference_url_notes",
    "conference_phone": "conference_phone",
    "conference_phone_notes": "conference_phone_notes",
    "notes": "notes",
    "languages": "languages",
    "recurrence": "recurrence",
    "anchor_date": "anchor_date",
    "week_of_month": "week_of_month",
    "valid_from": "valid_from",
    "valid_to": "valid_to",
    "attendance_mode": "attendance_option",
    "status": "status",
    "source": "source",
}

DAY_NAMES = {
    "sunday": 0,
    "sun": 0,
    "monday": 1,
    "mon": 1,
    "tuesday": 2,
    "tue": 2,
    "tues": 2,
    "wednesday": 3,
    "wed": 3,
    "thursday": 4,
    "thu": 4,
    "thur": 4,
    "thurs": 4,
    "friday": 5,
    "fri": 5,
    "saturday": 6,
    "sat": 6,
    # Norwegian, for hand-made sheets.
    "søndag": 0,
    "mandag": 1,
    "tirsdag": 2,
    "onsdag": 3,
    "torsdag": 4,
    "fredag": 5,
    "lørdag": 6,
}
# Type names the 12 Step Meeting List plugin uses that differ from the spec's English labels.
TYPE_NAME_ALIASES = {
    "step meeting": "ST",
    "temporary closure": "TC",
    "location temporarily closed": "TC",
    "wheelchair accessible": "X",
    "beginner": "BE",
    "beginners": "BE",
    "newcomers": "BE",
}
# Legacy codes that say how to attend rather than what kind of meeting it is; attendance is its own field here.
ATTENDANCE_TYPE_CODES = {"ONL", "TC-ONL", "ONLINE"}
ATTENDANCE_OPTIONS = {"in_person", "online", "hybrid", "inactive"}
COUNTRY_NAMES = {"norway", "norge", "noreg", "no", "nor"}
TIME_PATTERN = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?\s*([ap]\.?\s?m\.?)?$", re.IGNORECASE)
POSTAL_PLACE_PATTERN = re.compile(r"^(\d{4})(?:\s+(.+))?$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}$")
TIMEZONES_ACCEPTED = {"", "europe/oslo", "cet", "europe/berlin", "europe/copenhagen", "europe/stockholm"}


class SourceError(Exception):
    """The source as a whole cannot be read (not found, not JSON, wrong encoding …): nothing is imported."""


@dataclass(frozen=True)
class Problem:
    position: str
    slug: str
    field: str
    message: str

    def __str__(self) -> str:
        where = (
            _("%(position)s (slug %(slug)s)") % {"position": self.position, "slug": self.slug}
            if self.slug
            else self.position
        )
        return f"{where}, {self.field}: {self.message}"


@dataclass
class RawRecord:
    position: str
    data: dict
    from_csv: bool = False


@dataclass
class MeetingRow:
    """One meeting as the import will store it."""

    position: str
    slug: str
    values: dict
    type_codes: frozenset[str]
    group_name: str
    fellowship_id: int
    group_details: dict
    updated: datetime.datetime | None

    @property
    def group_key(self) -> tuple[str, int]:
        return (self.group_name.casefold(), self.fellowship_id)


@dataclass
class PreviewRow:
    position: str
    slug: str
    name: str
    day: str
    time: str
    place: str
    action: str
    changed_fields: list[str]


@dataclass
class ImportPlan:
    source_name: str
    rows: list[MeetingRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    creates: list[MeetingRow] = field(default_factory=list)
    updates: list[tuple[int, MeetingRow, dict]] = field(default_factory=list)  # (id, row, {field: old value})
    type_changes: dict[int, tuple[frozenset, frozenset]] = field(default_factory=dict)  # id → (old, new)
    unchanged: int = 0
    deactivate: list[tuple[int, str, str]] = field(default_factory=list)  # (id, name, old status)
    new_groups: dict[tuple[str, int], MeetingRow] = field(default_factory=dict)
    group_ids: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class ImportResult:
    source_name: str
    format: str
    records: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    groups_created: int = 0
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        text = _(
            "created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s, "
            "deactivated: %(deactivated)s, new groups: %(groups)s"
        ) % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "groups": self.groups_created,
        }
        return text + (_(" (dry run: nothing was written)") if self.dry_run else "")


# --- Reading the source ---------------------------------------------------------------------------------------


def read_source(source: str, *, max_bytes: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of a local file or an http(s) URL, at most `max_bytes`."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE):
        return fetch_url(source, max_bytes=max_bytes)
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(
                _("%(source)s is %(size)s bytes; the limit is %(limit)s.")
                % {"source": source, "size": size, "limit": max_bytes}
            )
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except FileNotFoundError as error:
        raise SourceError(_("%(source)s: no such file.") % {"source": source}) from error
    except IsADirectoryError as error:
        raise SourceError(_("%(source)s is a directory, not a file.") % {"source": source}) from error
    except OSError as error:
        raise SourceError(
            _("%(source)s cannot be read: %(error)s.") % {"source": source, "error": error.strerror or error}
        ) from error


def fetch_url(url: str, *, max_bytes: int = MAX_SOURCE_BYTES, timeout: float = URL_TIMEOUT_SECONDS) -> bytes:
    if not url.lower().startswith(("http://", "https://")):
        raise SourceError(_("%(url)s: only http and https addresses can be imported.") % {"url": url})
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"Accept": "application/json, text/csv;q=0.9, */*;q=0.1", "User-Agent": "selvhjelp-import"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise SourceError(
                    _("%(url)s sends %(size)s bytes; the limit is %(limit)s.")
                    % {"url": url, "size": length, "limit": max_bytes}
                )
            content = response.read(max_bytes + 1)
    except urllib.error.HTTPError as error:
        raise SourceError(
            _("%(url)s answered HTTP %(code)s %(reason)s.") % {"url": url, "code": error.code, "reason": error.reason}
        ) from error
    except urllib.error.URLError as error:
        raise SourceError(_("%(url)s cannot be fetched: %(error)s.") % {"url": url, "error": error.reason}) from error
    except TimeoutError as error:
        raise SourceError(
            _("%(url)s did not answer within %(seconds)s seconds.") % {"url": url, "seconds": f"{timeout:g}"}
        ) from error
    except OSError as error:
        raise SourceError(_("%(url)s cannot be fetched: %(error)s.") % {"url": url, "error": error}) from error
    if len(content) > max_bytes:
        raise SourceError(_("%(url)s sends more than %(limit)s bytes, the limit.") % {"url": url, "limit": max_bytes})
    return content


def decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError as error:
            raise SourceError(_("The file claims to be UTF-16 but is not.")) from error
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise SourceError(
                _(
                    "The file is not UTF-8 text (byte 0x%(byte)s at position %(position)s). "
                    "Save it as UTF-8 (in Excel: “CSV UTF-8”) and try again."
                )
                % {"byte": f"{content[error.start]:02X}", "position": error.start}
            ) from error
    if "\x00" in text:
        raise SourceError(_("The file contains NUL bytes; it is not a text file."))
    return text


def parse_content(content: bytes, *, filename: str = "") -> tuple[str, list[RawRecord]]:
    """("json" or "csv", records). JSON when the text starts with [ or { (or the name ends in .json)."""
    if not content.strip():
        raise SourceError(_("The file is empty."))
    text = decode(content)
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{") or filename.lower().endswith(".json"):
        return "json", parse_json(stripped)
    return "csv", parse_csv(text)


def parse_json(text: str) -> list[RawRecord]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SourceError(
            _("Not valid JSON: %(error)s at line %(line)s, column %(column)s.")
            % {"error": error.msg, "line": error.lineno, "column": error.colno}
        ) from error
    except (ValueError, RecursionError) as error:
        raise SourceError(_("Not valid JSON: %(error)s.") % {"error": str(error)[:200]}) from error
    if not isinstance(data, list):
        raise SourceError(
            _("A Meeting Guide feed is a JSON array of meetings; this file holds %(kind)s.")
            % {"kind": _json_kind(data)}
        )
    if len(data) > MAX_RECORDS:
        raise SourceError(
            _("The feed has %(count)s records; at most %(limit)s can be imported at once.")
            % {"count": len(data), "limit": MAX_RECORDS}
        )
    return [
        RawRecord(position=_("record %(number)s") % {"number": index}, data=item)
        for index, item in enumerate(data, start=1)
    ]


def _json_kind(value) -> str:
    return {dict: "an object", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), "nothing (null)"
    )


def csv_key(header: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")
    return {"id": "slug", "region_s": "regions"}.get(key, key)


def parse_csv(text: str) -> list[RawRecord]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        keys = [csv_key(column) for column in header]
        if "name" not in keys or not ({"slug", "time", "day"} & set(keys)):
            raise SourceError(
                _(
                    "The CSV has no header row with the 12 Step Meeting List columns (Time, Day, Name, … Slug). "
                    "First row: %(first)s"
                )
                % {"first": ", ".join(header[:8])[:200]}
            )
        records = []
        for line_number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(records) >= MAX_RECORDS:
                raise SourceError(
                    _("The CSV has more than %(limit)s rows; import at most that many at once.")
                    % {"limit": MAX_RECORDS}
                )
            data = {}
            for key, cell in zip(keys, cells, strict=False):
                if key and cell.strip():
                    data[key] = cell
            records.append(RawRecord(position=_("row %(number)s") % {"number": line_number}, data=data, from_csv=True))
    except csv.Error as error:
        raise SourceError(
            _("The CSV cannot be read at line %(line)s: %(error)s.") % {"line": reader.line_num, "error": error}
        ) from error
    except StopIteration as error:
        raise SourceError(_("The CSV is empty.")) from error
    return records


# --- Reference data, loaded once per import ----------------------------------------------------------------


class Lookups:
    """Everything a record is matched against, each in one query."""

    def __init__(self) -> None:
        self.type_codes: set[str] = set()
        self.type_by_name: dict[str, str] = {}
        for code, name_en, name_nb in MeetingType.objects.values_list("code", "name_en", "name_nb"):
            self.type_codes.add(code)
            self.type_by_name[name_en.casefold()] = code
            self.type_by_name[name_nb.casefold()] = code
        for name, code in TYPE_NAME_ALIASES.items():
            if code in self.type_codes:
                self.type_by_name.setdefault(name, code)
        self.type_by_code_casefold = {code.casefold(): code for code in self.type_codes}

        self.fellowships: dict[str, int] = {}
        for pk, code, name in Fellowship.objects.values_list("pk", "code", "name"):
            self.fellowships[code.casefold()] = pk
            self.fellowships.setdefault(name.casefold(), pk)
        self.fellowship_codes = dict(Fellowship.objects.values_list("pk", "code"))

        self.county_by_name: dict[str, str] = {}
        for number, name, other in County.objects.values_list("number", "name", "other_names"):
            for alias in [name, *other.split(" - ")]:
                if alias.strip():
                    self.county_by_name[alias.strip().casefold()] = number
        self.municipalities: dict[str, tuple[str, str]] = {}  # number → (name, county number)
        self.municipality_by_name: dict[str, list[str]] = defaultdict(list)
        for number, name, county, other in Municipality.objects.values_list(
            "number", "name", "county_id", "other_names"
        ):
            self.municipalities[number] = (name, county)
            for alias in {name, *other.split(" - ")}:
                if alias.strip():
                    self.municipality_by_name[alias.strip().casefold()].append(number)
        self.postal_codes = dict(PostalCode.objects.values_list("code", "municipality_id"))

    def municipality_named(self, name: str, county_hints: Iterable[str]) -> tuple[str | None, str]:
        """(number, "") or (None, why not)."""
        candidates = self.municipality_by_name.get(name.strip().casefold(), [])
        if len(candidates) == 1:
            return candidates[0], ""
        if not candidates:
            return None, "unknown"
        counties = {self.county_by_name.get(hint.strip().casefold()) for hint in county_hints} - {None}
        narrowed = [number for number in candidates if self.municipalities[number][1] in counties]
        if len(narrowed) == 1:
            return narrowed[0], ""
        return None, "ambiguous"


# --- One record → meeting rows ---------------------------------------------------------------------------


class RecordReader:
    """Reads the fields of one raw record, collecting problems instead of stopping at the first."""

    def __init__(self, raw: RawRecord) -> None:
        self.raw = raw
        self.data = raw.data
        slug = raw.data.get("slug") if isinstance(raw.data, dict) else None
        self.slug = str(slug)[:80] if isinstance(slug, str | int) and not isinstance(slug, bool) else ""
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.raw.position, self.slug, key, message))

    def text(self, key: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(key, _("must be text, not %(kind)s.") % {"kind": _json_kind(value)})
            return ""
        value = str(value)
        if "\x00" in value:
            self.problem(key, _("contains a NUL character."))
            return ""
        if len(value) > max_length:
            self.problem(
                key,
                _("is %(length)s characters long; at most %(limit)s are allowed.")
                % {"length": len(value), "limit": max_length},
            )
            return ""
        value = value.strip()
        if self.raw.from_csv:
            value = unescape_spreadsheet(value)  # our CSV export escapes cells that a spreadsheet would run as formulas
        return value

    def text_list(self, key: str, *, separator: str) -> list[str]:
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, list):
            items = []
            for item in value:
                if not isinstance(item, str | int) or isinstance(item, bool) or "\x00" in str(item):
                    self.problem(key, _("must be a list of text values."))
                    return []
                items.append(str(item).strip())
            return [item for item in items if item]
        text = self.text(key)
        return [item.strip() for item in text.split(separator) if item.strip()]


def parse_time(value) -> datetime.time | None:
    """ "18:00", "6:00 PM", "6pm", "18.00", "18:00:00" → time; None if unreadable."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in ("noon", "12 noon"):
        return datetime.time(12, 0)
    if text == "midnight":
        return datetime.time(0, 0)
    match = TIME_PATTERN.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(4) or "").replace(".", "").replace(" ", "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour == 24 and minute == 0 and not meridiem:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return datetime.time(hour, minute)


def parse_day(value) -> int | None:
    """One day as the feed's 0–6 (Sunday = 0), from an integer, a digit string or an English/Norwegian name."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 6 else None
    if isinstance(value, float) and value.is_integer():
        return parse_day(int(value))
    if isinstance(value, str):
        text = value.strip().casefold()
        if text.isascii() and text.isdigit():  # not "²", which isdigit() also accepts
            return parse_day(int(text))
        return DAY_NAMES.get(text, DAY_NAMES.get(text.removesuffix("s")))
    return None


def parse_updated(value: str) -> datetime.datetime | None:
    text = value.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d%H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, pattern).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def parse_date(reader: RecordReader, key: str) -> datetime.date | None:
    text = reader.text(key)
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        reader.problem(key, _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": text[:40]})
        return None


def parse_coordinate(reader: RecordReader, key: str) -> float | None:
    value = reader.data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        reader.problem(key, _("must be a number."))
        return None
    try:
        number = float(value) if isinstance(value, int | float) else float(reader.text(key).replace(",", "."))
    except (TypeError, ValueError):
        reader.problem(key, _("“%(value)s” is not a number.") % {"value": str(value)[:40]})
        return None
    if number != number or number in (float("inf"), float("-inf")):
        reader.problem(key, _("must be a finite number."))
        return None
    return number


def split_formatted_address(text: str, lookups: Lookups) -> tuple[str, str, str]:
    """ "Gate 1, 4611 Kristiansand, Norway" → (street, postal code, city)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    while parts and parts[-1].casefold() in COUNTRY_NAMES:
        parts.pop()
    if not parts:
        return "", "", ""
    match = POSTAL_PLACE_PATTERN.match(parts[-1])
    if match:
        return ", ".join(parts[:-1]), match.group(1), (match.group(2) or "").strip()
    if len(parts) == 1:
        if parts[0].casefold() in lookups.municipality_by_name:
            return "", "", parts[0]
        return parts[0], "", ""
    return ", ".join(parts[:-1]), "", parts[-1]


def read_record(raw: RawRecord, *, lookups: Lookups, default_fellowship_id: int, source_name: str):
    """(meeting rows, problems) for one raw record; a day array gives one row per day."""
    if not isinstance(raw.data, dict):
        return [], [
            Problem(raw.position, "", "record", _("must be an object, not %(kind)s.") % {"kind": _json_kind(raw.data)})
        ]
    reader = RecordReader(raw)
    data = raw.data
    nul_key = key_holding_nul(data)
    if nul_key is not None:
        # Refused anywhere in a record, also in keys we do not read: PostgreSQL cannot store NUL, and a file with
        # one is damaged or hostile, whichever field it is in.
        reader.problem(nul_key, _("contains a NUL character."))
        return [], reader.problems

    slug_value = data.get("slug")
    if slug_value is None or slug_value == "":
        reader.problem("slug", _("is required."))
        slug = ""
    elif isinstance(slug_value, bool) or not isinstance(slug_value, str | int):
        reader.problem("slug", _("must be text or a whole number."))
        slug = ""
    else:
        slug = reader.text("slug", max_length=200).lower()
        if len(slug) > 64:
            reader.problem(
                "slug",
                _("is %(length)s characters long; at most %(limit)s are allowed.") % {"length": len(slug), "limit": 64},
            )
        elif slug and not SLUG_PATTERN.match(slug):
            reader.problem(
                "slug",
                _("“%(value)s” is not URL-safe: use lower-case letters, digits, - and _ only.") % {"value": slug[:64]},
            )
    name = reader.text("name")
    if not name:
        reader.problem("name", _("is required."))

    # Day: one value or a list; each becomes its own meeting.
    day_value = data.get("day")
    if isinstance(day_value, str) and "," in day_value:
        day_value = [part for part in day_value.split(",") if part.strip()]
    days: list[int] = []
    if day_value is None or day_value == "" or day_value == []:
        reader.problem("day", _("is required: meetings by appointment cannot be listed here."))
    else:
        for item in day_value if isinstance(day_value, list) else [day_value]:
            day = parse_day(item)
            if day is None:
                reader.problem(
                    "day",
                    _("“%(value)s” is not a day (0–6 with Sunday = 0, or a day name).") % {"value": str(item)[:40]},
                )
            elif day not in days:
                days.append(day)

    start_time = None
    time_text = data.get("time")
    if time_text is None or time_text == "":
        reader.problem("time", _("is required."))
    else:
        start_time = parse_time(time_text)
        if start_time is None:
            reader.problem(
                "time",
                _("“%(value)s” is not a time (HH:MM, or 12-hour such as 6:30 PM).") % {"value": str(time_text)[:40]},
            )
    end_time = None
    end_text = data.get("end_time")
    if end_text not in (None, ""):
        end_time = parse_time(end_text)
        if end_time is None:
            reader.problem(
                "end_time",
                _("“%(value)s” is not a time (HH:MM, or 12-hour such as 6:30 PM).") % {"value": str(end_text)[:40]},
            )
    elif start_time is not None:
        end_time = default_end_time(start_time)

    timezone_name = reader.text("timezone")
    if timezone_name.casefold() not in TIMEZONES_ACCEPTED:
        reader.problem(
            "timezone",
            _("“%(value)s”: only meetings in Norway’s time zone (Europe/Oslo).") % {"value": timezone_name[:60]},
        )

    # Types: codes in a feed, names (or codes) in a CSV.
    type_codes: set[str] = set()
    type_items = reader.text_list("types", separator=",")
    online_hint = False
    for item in type_items:
        code = None
        if not raw.from_csv:
            code = item if item in lookups.type_codes else lookups.type_by_code_casefold.get(item.casefold())
        code = code or lookups.type_by_name.get(item.casefold())
        if code is None and raw.from_csv:
            code = lookups.type_by_code_casefold.get(item.casefold())
        if code is None:
            if item.upper() in ATTENDANCE_TYPE_CODES or item.casefold() in ("online", "online meeting"):
                online_hint = True
                continue
            reader.problem("types", _("“%(value)s” is not a Meeting Guide type.") % {"value": item[:40]})
            continue
        type_codes.add(code)
    if "C" in type_codes and "O" in type_codes:
        type_codes.discard("O")  # closed wins over open

    # Place.
    address = reader.text("address")
    postal_code = reader.text("postal_code")
    city = reader.text("city")
    formatted = reader.text("formatted_address")
    if raw.from_csv and address and not (postal_code or city):
        formatted, address = address, ""  # the 12 Step Meeting List CSV holds one formatted address
    if formatted and not (address or postal_code or city):
        address, postal_code, city = split_formatted_address(formatted, lookups)
    if isinstance(data.get("postal_code"), int) and not isinstance(data.get("postal_code"), bool):
        postal_code = postal_code.zfill(4)
    regions = reader.text_list("regions", separator=">")
    for key in ("region", "sub_region"):
        value = reader.text(key)
        if value and value not in regions:
            regions.append(value)

    municipality_id = None
    if postal_code:
        if not re.fullmatch(r"\d{4}", postal_code):
            reader.problem(
                "postal_code",
                _("“%(value)s” is not a Norwegian postal code (four digits).") % {"value": postal_code[:20]},
            )
        elif postal_code not in lookups.postal_codes:
            reader.problem("postal_code", _("%(value)s is not a Norwegian postal code.") % {"value": postal_code})
        else:
            municipality_id = lookups.postal_codes[postal_code]
    if municipality_id is None and city:
        municipality_id, why = lookups.municipality_named(city, regions)
        if why == "ambiguous":
            reader.problem(
                "city", _("“%(value)s” names several municipalities; add the county as a region.") % {"value": city}
            )
    if municipality_id is None:
        for region in reversed(regions):
            municipality_id, why = lookups.municipality_named(region, regions)
            if municipality_id:
                break

    latitude = parse_coordinate(reader, "latitude")
    longitude = parse_coordinate(reader, "longitude")
    if (latitude is None) != (longitude is None):
        reader.problem(
            "latitude" if latitude is None else "longitude", _("give both latitude and longitude, or neither.")
        )
    if (latitude is None) != (longitude is None):
        latitude = longitude = None
    approximate = reader.text("approximate").casefold()
    if approximate in ("yes", "true", "1") and address:
        # A street address said to be approximate comes with approximate coordinates (older feeds, ours included,
        # sent a municipality's centre so): not the meeting's place.
        latitude = longitude = None
    if latitude is not None:
        latitude = round(latitude, COORDINATE_DECIMALS + 2)
        longitude = round(longitude, COORDINATE_DECIMALS + 2)

    conference_url = reader.text("conference_url", max_length=500)
    conference_phone = reader.text("conference_phone", max_length=50)

    # Attendance and status.
    status = Status.ACTIVE
    option = reader.text("attendance_option").casefold().replace("-", "_").replace(" ", "_")
    if option and option not in ATTENDANCE_OPTIONS:
        reader.problem(
            "attendance_option", _("“%(value)s”: use in_person, online, hybrid or inactive.") % {"value": option[:40]}
        )
    if option in ("in_person", "online", "hybrid"):
        attendance = option
    else:
        if option == "inactive":
            status = Status.INACTIVE
        has_conference = bool(conference_url or conference_phone)
        if has_conference and address and "TC" not in type_codes:
            attendance = AttendanceMode.HYBRID
        elif has_conference or (online_hint and not address):
            attendance = AttendanceMode.ONLINE
        else:
            attendance = AttendanceMode.IN_PERSON
    status_text = reader.text("status").casefold().replace(" ", "_")
    if status_text:
        if status_text in Status.values:
            status = status_text
        else:
            reader.problem(
                "status", _("“%(value)s”: use active, temporarily_closed or inactive.") % {"value": status_text[:40]}
            )

    languages = [code.casefold() for code in reader.text_list("languages", separator=",")]
    for code in languages:
        if not LANGUAGE_PATTERN.match(code):
            reader.problem(
                "languages", _("“%(value)s” is not a language code such as nb or en.") % {"value": code[:20]}
            )

    recurrence = reader.text("recurrence").casefold() or Recurrence.WEEKLY
    if recurrence not in Recurrence.values:
        reader.problem("recurrence", _("“%(value)s”: use weekly, biweekly or monthly.") % {"value": recurrence[:40]})
        recurrence = Recurrence.WEEKLY
    week_of_month = None
    week_value = data.get("week_of_month")
    if isinstance(week_value, str):
        week_value = reader.text("week_of_month")
    if week_value not in (None, ""):
        try:
            week_of_month = int(week_value) if not isinstance(week_value, bool) else None
        except (TypeError, ValueError):
            week_of_month = None
        if week_of_month not in (1, 2, 3, 4, -1):
            reader.problem("week_of_month", _("use 1–4, or -1 for the last week of the month."))
            week_of_month = None

    # Group and fellowship.
    fellowship_id = default_fellowship_id
    fellowship_text = reader.text("fellowship")
    entity = reader.text("entity")
    if fellowship_text:
        fellowship_id = lookups.fellowships.get(fellowship_text.casefold())
        if fellowship_id is None:
            reader.problem(
                "fellowship", _("“%(value)s” is not a fellowship in the registry.") % {"value": fellowship_text[:40]}
            )
            fellowship_id = default_fellowship_id
    elif entity and entity.casefold() in lookups.fellowships:
        fellowship_id = lookups.fellowships[entity.casefold()]
    group_name = reader.text("group") or name
    if len(group_name) > Group._meta.get_field("name").max_length:
        reader.problem("group", _("is longer than 200 characters."))
    for key, value in (("group", group_name), ("group_notes", reader.text("group_notes"))):
        validators = Group._meta.get_field("name" if key == "group" else "notes").validators
        for message in validation_messages(value, validators):
            reader.problem(key, message)
    contact = reader.text("email") or reader.text("phone")
    website = reader.text("website")
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            reader.problem("website", _("“%(value)s” is not a web address.") % {"value": website[:60]})
        if len(website) > 200:
            reader.problem("website", _("is longer than 200 characters."))
    group_details = {
        "website": website,
        "contact": contact[:200],
        "notes": reader.text("group_notes"),
    }

    updated = None
    updated_text = reader.text("updated")
    if updated_text:
        updated = parse_updated(updated_text)
        if updated is None:
            reader.problem(
                "updated", _("“%(value)s” is not a UTC time (YYYY-MM-DD HH:MM:SS).") % {"value": updated_text[:40]}
            )

    text_values = {field_name: reader.text(key) for field_name, key in TEXT_FIELDS.items()}
    text_values.update(name=name, address=address, conference_url=conference_url, conference_phone=conference_phone)
    values = {
        **text_values,
        "weekday": None,
        "start_time": start_time,
        "end_time": end_time,
        "recurrence": recurrence,
        "anchor_date": parse_date(reader, "anchor_date"),
        "week_of_month": week_of_month,
        "valid_from": parse_date(reader, "valid_from"),
        "valid_to": parse_date(reader, "valid_to"),
        "attendance_mode": attendance,
        "status": status,
        "postal_code": postal_code,
        "municipality_id": municipality_id,
        "latitude": latitude,
        "longitude": longitude,
        "languages": ",".join(languages) if languages else "nb",
        "source": source_name[:200],
    }
    if reader.problems:
        return [], reader.problems
    remove_schedule_texts(values, weekday=iso_weekday(days[0]))

    rows = []
    for day in days:
        row_slug = slug if len(days) == 1 else suffixed_slug(slug, day)
        rows.append(
            MeetingRow(
                position=raw.position,
                slug=row_slug,
                values={**values, "weekday": iso_weekday(day)},
                type_codes=frozenset(type_codes),
                group_name=group_name,
                fellowship_id=fellowship_id,
                group_details=group_details,
                updated=updated,
            )
        )
    return rows, []


def key_holding_nul(value, key: str = "record") -> str | None:
    """The first key whose value (or name) holds a NUL character, looking into lists and objects."""
    if isinstance(value, str):
        return key if "\x00" in value else None
    if isinstance(value, dict):
        for name, item in value.items():
            if "\x00" in str(name):
                return str(name).replace("\x00", "\\0")[:40]
            found = key_holding_nul(item, str(name))
            if found is not None:
                return found
    if isinstance(value, list):
        for item in value:
            found = key_holding_nul(item, key)
            if found is not None:
                return found
    return None


def validation_messages(value, validators) -> list[str]:
    messages = []
    for validator in validators:
        try:
            validator(value)
        except ValidationError as error:
            messages.extend(str(message) for message in error.messages)
    return messages


def remove_schedule_texts(values: dict, *, weekday: int) -> None:
    """Take off what our feed adds to a non-weekly meeting's name and notes (registry.feed.schedule_texts)."""
    suffix, first_line = schedule_texts(
        recurrence=values["recurrence"],
        weekday=weekday,
        anchor_date=values["anchor_date"],
        week_of_month=values["week_of_month"],
    )
    if suffix and values["name"].endswith(suffix) and len(values["name"]) > len(suffix):
        values["name"] = values["name"][: -len(suffix)]
    if first_line and values["notes"] == first_line:
        values["notes"] = ""
    elif first_line and values["notes"].startswith(first_line + "\n"):
        values["notes"] = values["notes"][len(first_line) + 1 :]


def suffixed_slug(slug: str, day: int) -> str:
    """One slug per day of a day array: `<slug>-<day>` (0 = Sunday), shortened to fit 64 characters."""
    suffix = f"-{day}"
    return slug[: 64 - len(suffix)].rstrip("-_") + suffix


# --- Validation against the model ------------------------------------------------------------------------


def model_problems(row: MeetingRow) -> list[Problem]:
    """Meeting.full_clean's verdict, without its per-row queries (uniqueness and foreign keys are checked in bulk)."""
    meeting = Meeting(slug=row.slug, **row.values)
    try:
        meeting.full_clean(
            exclude=["group", "last_verified_by", "municipality"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        problems = []
        for field_name, messages in error.message_dict.items():
            key = SOURCE_KEY_FOR_FIELD.get(field_name, field_name)
            if key == "city" and row.values.get("postal_code"):
                key = "postal_code"
            for message in messages:
                problems.append(Problem(row.position, row.slug, key, str(message)))
        return problems
    return []


# --- Planning: compare with what is stored ---------------------------------------------------------------


def _chunks(items: list, size: int = 2000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _same(field_name: str, old, new) -> bool:
    if field_name in ("latitude", "longitude") and old is not None and new is not None:
        return round(old, COORDINATE_DECIMALS) == round(new, COORDINATE_DECIMALS)
    return old == new


def plan_import(
    records: list[RawRecord],
    *,
    source_name: str,
    fellowship_code: str = "AA",
    deactivate_missing: bool = False,
) -> ImportPlan:
    """Validate every record and work out what would change. Reads only; writes nothing."""
    plan = ImportPlan(source_name=source_name)
    lookups = Lookups()
    default_fellowship_id = lookups.fellowships.get(fellowship_code.casefold())
    if default_fellowship_id is None:
        raise SourceError(
            _("The fellowship “%(code)s” is not in the registry; add it in the admin or choose another.")
            % {"code": fellowship_code}
        )
    if not lookups.type_codes:
        raise SourceError(_("The registry has no meeting types yet; run the migrations first."))

    first_position: dict[str, str] = {}
    for raw in records:
        rows, problems = read_record(
            raw, lookups=lookups, default_fellowship_id=default_fellowship_id, source_name=source_name
        )
        plan.problems.extend(problems)
        for row in rows:
            if row.slug in first_position:
                plan.problems.append(
                    Problem(
                        row.position,
                        row.slug,
                        "slug",
                        _("is used twice; first by %(position)s.") % {"position": first_position[row.slug]},
                    )
                )
                continue
            first_position[row.slug] = row.position
            row_problems = model_problems(row)
            plan.problems.extend(row_problems)
            if not row_problems:
                plan.rows.append(row)
    if plan.problems:
        return plan

    # Groups: matched by (name, fellowship), case-insensitively.
    fellowship_ids = {row.fellowship_id for row in plan.rows}
    for pk, name, fellowship_id in Group.objects.filter(fellowship_id__in=fellowship_ids).values_list(
        "pk", "name", "fellowship_id"
    ):
        plan.group_ids.setdefault((name.casefold(), fellowship_id), pk)
    for row in plan.rows:
        if row.group_key not in plan.group_ids:
            plan.new_groups.setdefault(row.group_key, row)

    # Meetings: update in place by slug.
    existing: dict[str, dict] = {}
    slugs = [row.slug for row in plan.rows]
    for chunk in _chunks(slugs):
        for values in Meeting.objects.filter(slug__in=chunk).values("pk", "slug", *IMPORT_FIELDS):
            existing[values["slug"]] = values
    existing_types: dict[int, set[str]] = defaultdict(set)
    existing_ids = [values["pk"] for values in existing.values()]
    for chunk in _chunks(existing_ids):
        for meeting_id, code in Meeting.types.through.objects.filter(meeting_id__in=chunk).values_list(
            "meeting_id", "meetingtype_id"
        ):
            existing_types[meeting_id].add(code)

    for row in plan.rows:
        stored = existing.get(row.slug)
        if stored is None:
            plan.creates.append(row)
            continue
        group_id = plan.group_ids.get(row.group_key)
        changes = {}
        for field_name in IMPORT_FIELDS:
            new = group_id if field_name == "group_id" else row.values[field_name]
            if not _same(field_name, stored[field_name], new):
                changes[field_name] = stored[field_name]
        if "end_time" in changes and stored["end_time"] is None:
            if row.values["end_time"] == default_end_time(row.values["start_time"]):
                del changes["end_time"]  # no end time means one hour: the same meeting
        old_types = frozenset(existing_types.get(stored["pk"], ()))
        # Stored with both open and closed means closed: the same as a record that says closed only.
        visible_types = old_types - {"O"} if "C" in old_types else old_types
        if visible_types != row.type_codes:
            plan.type_changes[stored["pk"]] = (old_types, row.type_codes)
            changes["types"] = sorted(old_types)
        if changes:
            plan.updates.append((stored["pk"], row, changes))
        else:
            plan.unchanged += 1

    if deactivate_missing:
        incoming = set(slugs)
        for pk, slug, name, status in Meeting.objects.filter(source=source_name[:200]).values_list(
            "pk", "slug", "name", "status"
        ):
            if slug not in incoming and status != Status.INACTIVE:
                plan.deactivate.append((pk, name, status))
    return plan


def _field_label(name: str) -> str:
    if name == "types":
        return str(Meeting._meta.get_field("types").verbose_name)
    return str(Meeting._meta.get_field(name.removesuffix("_id")).verbose_name)


def preview_rows(plan: ImportPlan, *, limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
    action_by_slug = {row.slug: ("create", []) for row in plan.creates}
    for _pk, row, changes in plan.updates:
        action_by_slug[row.slug] = ("update", sorted(_field_label(name) for name in changes))
    municipality_names = dict(Municipality.objects.values_list("number", "name")) if plan.rows else {}
    weekdays = dict(Meeting._meta.get_field("weekday").choices)
    preview = []
    for row in plan.rows[:limit]:
        action, changed = action_by_slug.get(row.slug, ("unchanged", []))
        preview.append(
            PreviewRow(
                position=row.position,
                slug=row.slug,
                name=row.values["name"],
                day=str(weekdays.get(row.values["weekday"], "")),
                time=row.values["start_time"].strftime("%H:%M"),
                place=municipality_names.get(row.values["municipality_id"], ""),
                action=action,
                changed_fields=changed,
            )
        )
    return preview


# --- Writing ---------------------------------------------------------------------------------------------


def apply_import(plan: ImportPlan, *, actor=None) -> None:
    """Write a valid plan in one transaction."""
    if plan.problems:
        raise ValueError("An import with problems cannot be applied.")
    now = timezone.now()
    through = Meeting.types.through
    history = _History(actor=actor, source_name=plan.source_name)
    with transaction.atomic():
        if plan.new_groups:
            group_rows = [
                {
                    "name": row.group_name,
                    "fellowship_id": row.fellowship_id,
                    "municipality_id": row.values["municipality_id"],
                    "website": row.group_details["website"],
                    "contact": row.group_details["contact"],
                    "notes": row.group_details["notes"],
                }
                for row in plan.new_groups.values()
            ]
            group_ids = insert_rows(Group, group_rows)
            for key, group_id, group_row in zip(plan.new_groups, group_ids, group_rows, strict=True):
                plan.group_ids[key] = group_id
                history.created(Group, group_id, group_row["name"], {"name": group_row["name"]})

        created_ids = insert_rows(
            Meeting,
            [
                {
                    "slug": row.slug,
                    "group_id": plan.group_ids[row.group_key],
                    **row.values,
                    # The source's "updated" time for new meetings, unless it lies in the future.
                    "updated_at": row.updated if row.updated and row.updated < now else now,
                }
                for row in plan.creates
            ],
        )
        links = [
            {"meeting_id": meeting_id, "meetingtype_id": code}
            for meeting_id, row in zip(created_ids, plan.creates, strict=True)
            for code in sorted(row.type_codes)
        ]
        for meeting_id, row in zip(created_ids, plan.creates, strict=True):
            values = {"slug": row.slug, **row.values}
            if row.type_codes:
                values["types"] = ", ".join(sorted(row.type_codes))
            history.created(Meeting, meeting_id, row.values["name"], values)

        updated, moved = [], []
        for pk, row, changes in plan.updates:
            meeting = Meeting(pk=pk, slug=row.slug, group_id=plan.group_ids[row.group_key], **row.values)
            if set(changes) <= BOOKKEEPING_FIELDS:
                moved.append(meeting)  # the listing itself is the same: keep its "updated" time
            else:
                meeting.updated_at = now
                updated.append(meeting)
            history.updated(pk, row, changes, group_id=plan.group_ids[row.group_key])
        update_rows(Meeting, updated, [*IMPORT_FIELDS, "updated_at"])
        update_rows(Meeting, moved, list(IMPORT_FIELDS))

        removed: set[tuple[int, str]] = set()
        for pk, (old, new) in plan.type_changes.items():
            links.extend({"meeting_id": pk, "meetingtype_id": code} for code in sorted(new - old))
            removed.update((pk, code) for code in old - new)
        if removed:
            link_ids = []
            for chunk in _chunks(sorted({pk for pk, _code in removed})):
                for link_id, meeting_id, code in through.objects.filter(meeting_id__in=chunk).values_list(
                    "pk", "meeting_id", "meetingtype_id"
                ):
                    if (meeting_id, code) in removed:
                        link_ids.append(link_id)
            for chunk in _chunks(link_ids):
                through.objects.filter(pk__in=chunk).delete()
        insert_rows(through, links, return_ids=False)

        for chunk in _chunks([pk for pk, _name, _status in plan.deactivate]):
            Meeting.objects.filter(pk__in=chunk).update(status=Status.INACTIVE, updated_at=now)
        for pk, name, old_status in plan.deactivate:
            history.changed(Meeting, pk, name, {"status": [old_status, Status.INACTIVE.value]})

        history.save()
        registry_changed()


class _History:
    """Bulk writes skip auditlog's signals; this records the same history rows, in one bulk insert."""

    def __init__(self, *, actor, source_name: str) -> None:
        self.actor_id = getattr(actor, "pk", None)
        self.extra = {"import": source_name}
        self.rows: list[dict] = []
        self._content_types: dict = {}

    def _entry(self, model, pk: int, label: str, action: int, changes: dict) -> None:
        if not _audited(model):
            return
        from auditlog.models import LogEntry
        from django.contrib.contenttypes.models import ContentType

        if model not in self._content_types:
            self._content_types[model] = ContentType.objects.get_for_model(model).pk
        self.rows.append(
            {
                "content_type_id": self._content_types[model],
                "object_pk": str(pk),
                "object_id": pk,
                "object_repr": str(label)[:200],
                "action": LogEntry.Action.CREATE if action == 0 else LogEntry.Action.UPDATE,
                "changes": changes,
                "actor_id": self.actor_id,
                "additional_data": self.extra,
            }
        )

    def created(self, model, pk: int, label: str, values: dict) -> None:
        changes = {name: ["None", _text(value)] for name, value in values.items() if value not in (None, "")}
        self._entry(model, pk, label, 0, changes)

    def changed(self, model, pk: int, label: str, changes: dict) -> None:
        self._entry(model, pk, label, 1, changes)

    def updated(self, pk: int, row: MeetingRow, old_values: dict, *, group_id: int) -> None:
        changes = {}
        for name, old in old_values.items():
            if name == "types":
                changes["types"] = [", ".join(old), ", ".join(sorted(row.type_codes))]
            elif name == "group_id":
                changes["group"] = [_text(old), _text(group_id)]
            else:
                changes[name] = [_text(old), _text(row.values[name])]
        self.changed(Meeting, pk, row.values["name"], changes)

    def save(self) -> None:
        if self.rows:
            from auditlog.models import LogEntry

            insert_rows(LogEntry, self.rows, return_ids=False)


def _audited(model) -> bool:
    try:
        from auditlog.registry import auditlog
    except ImportError:  # pragma: no cover - auditlog is a runtime dependency
        return False
    return auditlog.contains(model)


def _text(value) -> str:
    return "None" if value is None else str(value)


# --- The whole import ------------------------------------------------------------------------------------


def import_meetings(
    *,
    content: bytes,
    filename: str = "",
    source_name: str,
    fellowship_code: str = "AA",
    dry_run: bool = False,
    deactivate_missing: bool = False,
    actor=None,
    preview_limit: int = PREVIEW_ROWS,
) -> ImportResult:
    """Parse, validate and (unless dry_run or invalid) write. Raises SourceError when the source is unreadable."""
    file_format, records = parse_content(content, filename=filename)
    plan = plan_import(
        records, source_name=source_name, fellowship_code=fellowship_code, deactivate_missing=deactivate_missing
    )
    result = ImportResult(source_name=source_name, format=file_format, records=len(records), dry_run=dry_run)
    result.problems = plan.problems
    if plan.problems:
        return result
    result.created = len(plan.creates)
    result.updated = len(plan.updates)
    result.unchanged = plan.unchanged
    result.deactivated = len(plan.deactivate)
    result.groups_created = len(plan.new_groups)
    result.preview = preview_rows(plan, limit=preview_limit) if preview_limit else []
    if not dry_run:
        apply_import(plan, actor=actor)
    return result
