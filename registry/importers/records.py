"""One raw record → meeting rows: a reader per field group, each collecting problems instead of stopping at the
first, and the model's own validation without its per-row queries."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from core.spreadsheets import unescape as unescape_spreadsheet
from registry.feed import COORDINATE_DECIMALS, default_end_time, iso_weekday, schedule_texts
from registry.importers.parse import RawRecord, _json_kind
from registry.models import (
    SCHEDULE_FIELDS,
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

MAX_TEXT_LENGTH = 10_000
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


# The model fields of a row's values, in the order `read_record` reads them.
VALUE_FIELDS = (
    *TEXT_FIELDS,
    "name",
    "address",
    "conference_url",
    "conference_phone",
    *SCHEDULE_FIELDS,
    "attendance_mode",
    "status",
    "postal_code",
    "municipality_id",
    "latitude",
    "longitude",
    "languages",
    "source",
)
# Values that differ from meeting to meeting; every other value is shared between the rows that have it.
OWN_VALUE_FIELDS = {"name", "address", "latitude", "longitude"}


class GroupDetails(NamedTuple):
    """A group's public details, for a group the import creates."""

    website: str
    contact: str
    notes: str


@dataclass(slots=True)
class MeetingRow:
    """One meeting as the import will store it.

    An import holds a row for each of up to 100,000 meetings until it writes them, so a row is small: its values a
    tuple in VALUE_FIELDS order (not a dict), each repeated value one shared object (see SharedValues)."""

    position: str
    slug: str
    value_tuple: tuple
    type_codes: frozenset[str]
    group_name: str
    fellowship_id: int
    group_details: GroupDetails
    updated: datetime.datetime | None

    @property
    def values(self) -> dict:
        """The model field values (a new dict on each call)."""
        return dict(zip(VALUE_FIELDS, self.value_tuple, strict=True))

    def value(self, field_name: str):
        return self.value_tuple[VALUE_FIELDS.index(field_name)]

    @property
    def group_key(self) -> tuple[str, int]:
        return (self.group_name.casefold(), self.fellowship_id)


class SharedValues:
    """One object for each distinct repeated value of an import (a venue, a time, a set of types …): equal values
    read from 100,000 records are otherwise 100,000 objects."""

    def __init__(self) -> None:
        self._values: dict = {}

    def get(self, value):
        return self._values.setdefault(value, value)

    def row_values(self, values: dict) -> tuple:
        """A row's values as a tuple in VALUE_FIELDS order, each repeated one shared."""
        return tuple(values[name] if name in OWN_VALUE_FIELDS else self.get(values[name]) for name in VALUE_FIELDS)


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
        self.shared = SharedValues()

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


def read_slug(reader: RecordReader) -> str:
    """The slug as given, lower-cased; problems when missing, too long or not URL-safe."""
    data = reader.data
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
    return slug


def read_days(reader: RecordReader) -> list[int]:
    """Day: one value or a list (or "1,3"); each becomes its own meeting."""
    data = reader.data
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
    return days


def read_times(reader: RecordReader) -> tuple[datetime.time | None, datetime.time | None]:
    """(start, end): the end defaults to one hour after the start, as the spec says; only Oslo time."""
    data = reader.data
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
    return start_time, end_time


def read_types(reader: RecordReader, lookups: Lookups) -> tuple[set[str], bool]:
    """(type codes, whether a legacy type said "online"): codes in a feed, names (or codes) in a CSV."""
    raw = reader.raw
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
    return type_codes, online_hint


def read_place(reader: RecordReader, lookups: Lookups) -> tuple[str, str, str | None]:
    """(street address, postal code, municipality number) from the address fields or a formatted address."""
    raw, data = reader.raw, reader.data
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
    return address, postal_code, municipality_id


def read_coordinates(reader: RecordReader, *, address: str) -> tuple[float | None, float | None]:
    """(latitude, longitude), both or neither."""
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
    return latitude, longitude


def read_attendance(
    reader: RecordReader, *, address: str, has_conference: bool, type_codes: set[str], online_hint: bool
) -> tuple[str, str]:
    """(attendance mode, status): from attendance_option and status, else from the address and conference fields."""
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
    return attendance, status


def read_languages(reader: RecordReader) -> list[str]:
    languages = [code.casefold() for code in reader.text_list("languages", separator=",")]
    for code in languages:
        if not LANGUAGE_PATTERN.match(code):
            reader.problem(
                "languages", _("“%(value)s” is not a language code such as nb or en.") % {"value": code[:20]}
            )
    return languages


def read_recurrence(reader: RecordReader) -> tuple[str, int | None]:
    """(recurrence, week of the month)."""
    data = reader.data
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
    return recurrence, week_of_month


def read_group(
    reader: RecordReader, lookups: Lookups, *, default_fellowship_id: int, name: str
) -> tuple[int, str, GroupDetails]:
    """(fellowship id, group name, the group's public details for a new group)."""
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
    # The name, the group's default, is checked with the meeting (model validation): only a group given here.
    for key, value in (("group", reader.text("group")), ("group_notes", reader.text("group_notes"))):
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
    group_details = GroupDetails(website=website, contact=contact[:200], notes=reader.text("group_notes"))
    return fellowship_id, group_name, lookups.shared.get(group_details)


def read_updated(reader: RecordReader) -> datetime.datetime | None:
    updated = None
    updated_text = reader.text("updated")
    if updated_text:
        updated = parse_updated(updated_text)
        if updated is None:
            reader.problem(
                "updated", _("“%(value)s” is not a UTC time (YYYY-MM-DD HH:MM:SS).") % {"value": updated_text[:40]}
            )
    return updated


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

    slug = read_slug(reader)
    name = reader.text("name")
    if not name:
        reader.problem("name", _("is required."))
    days = read_days(reader)
    start_time, end_time = read_times(reader)
    type_codes, online_hint = read_types(reader, lookups)
    address, postal_code, municipality_id = read_place(reader, lookups)
    latitude, longitude = read_coordinates(reader, address=address)
    conference_url = reader.text("conference_url", max_length=500)
    conference_phone = reader.text("conference_phone", max_length=50)
    attendance, status = read_attendance(
        reader,
        address=address,
        has_conference=bool(conference_url or conference_phone),
        type_codes=type_codes,
        online_hint=online_hint,
    )
    languages = read_languages(reader)
    recurrence, week_of_month = read_recurrence(reader)
    fellowship_id, group_name, group_details = read_group(
        reader, lookups, default_fellowship_id=default_fellowship_id, name=name
    )
    updated = read_updated(reader)

    values = stored_values(
        reader,
        name=name,
        address=address,
        conference_url=conference_url,
        conference_phone=conference_phone,
        start_time=start_time,
        end_time=end_time,
        recurrence=recurrence,
        week_of_month=week_of_month,
        attendance_mode=attendance,
        status=status,
        postal_code=postal_code,
        municipality_id=municipality_id,
        latitude=latitude,
        longitude=longitude,
        languages=",".join(languages) if languages else "nb",
        source=source_name[:200],
    )
    if reader.problems:
        return [], reader.problems
    remove_schedule_texts(values, weekday=iso_weekday(days[0]))

    common = {
        "position": raw.position,
        "type_codes": lookups.shared.get(frozenset(type_codes)),
        "group_name": lookups.shared.get(group_name),
        "fellowship_id": fellowship_id,
        "group_details": group_details,
        "updated": lookups.shared.get(updated),
    }
    return [
        MeetingRow(
            slug=slug if len(days) == 1 else suffixed_slug(slug, day),
            value_tuple=lookups.shared.row_values({**values, "weekday": iso_weekday(day)}),
            **common,
        )
        for day in days
    ], []


def stored_values(reader: RecordReader, **read) -> dict:
    """The meeting's stored values (weekday still open) from what the readers above gave, the plain text fields and
    the dates."""
    return {
        **{field_name: reader.text(key) for field_name, key in TEXT_FIELDS.items()},
        **read,
        "weekday": None,
        "anchor_date": parse_date(reader, "anchor_date"),
        "valid_from": parse_date(reader, "valid_from"),
        "valid_to": parse_date(reader, "valid_to"),
    }


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
