"""Import of eligible patient contacts from the patient record system's CSV extract.

Every row is checked with the same rules as the contact form (pseudonyms, choices, units, clinicians);
if any row is invalid nothing is written and every bad row is reported with its line number. A valid
file is written in one transaction with bulk operations: a row whose unit, patient and date match an
existing contact updates it (empty cells keep what is recorded), other rows create contacts at 12:00 Oslo
time on their date (services.contact_time_for_date; the import time for today's date). The rules that tie
fields together (intensity against fellowships and response, ...) are the contact service's own:
referrals.services.validate_contact_data checks every row, fed with prefetched data so it needs no query.

The file is read twice from its text, the second time in batches of BATCH_ROWS rows that are checked, looked up and
(on import) written before the next is read, so that memory does not grow with the file: a 100,000-row extract stays
well within a web or job worker's 300 MB. A bad row in any batch rolls back the batches written before it.

Columns, with a header row in any order: date, unit, patient_ref, setting, intensity, fellowships,
response, clinician. UTF-8 with or without a byte-order mark; comma or semicolon separated (the
separator is read from the header line); LF or CRLF line ends.

Error messages never repeat a patient reference, and never repeat any cell that looks like a national
identity number, so that the terminal, the browser and the server log stay free of them.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime
import hashlib
import io
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BigIntegerField, ExpressionWrapper, F, Lookup, Q
from django.db.models.base import ModelState
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, Unit, User
from core import bulk_copy
from core.lookups import AnyOf, AnyOfText
from core.national_id import contains_national_id
from core.periods import OSLO
from referrals import services
from referrals.models import AccessLogEntry, PatientContact, Response, Setting
from referrals.pseudonyms import pseudonym_for
from registry.models import Fellowship

COLUMNS = ("date", "unit", "patient_ref", "setting", "intensity", "fellowships", "response", "clinician")
REQUIRED_COLUMNS = ("date", "unit", "patient_ref", "setting")
# A contact date before this is a typing error in an extract from a current record system.
EARLIEST_DATE = datetime.date(2000, 1, 1)
MAX_FIELD_LENGTH = 200
# A cell starting with one of these is run as a formula when the file is opened in a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FELLOWSHIP_SEPARATORS = re.compile(r"[;,]")
_SETTINGS = frozenset(Setting.values)
_RESPONSES = frozenset(Response.values)
# Off PostgreSQL, existing contacts are looked up in slices of this many pseudonyms, under SQLite's variable limit.
LOOKUP_CHUNK = 900
# Rows are checked, looked up and written this many at a time: memory stays flat whatever the file's length.
BATCH_ROWS = 2000
# Batches checked ahead of the one being looked up and written (_checked_ahead): enough to keep the thread busy.
CHECKED_AHEAD = 2
# An import that writes this many contacts refreshes the tables' statistics before it commits.
ANALYZE_AFTER_ROWS = 1000
# The contact service's answers kept for rows with the same values (_ServiceCheck).
ANSWERS_KEPT = 20_000
# progress(stage, done, total) is called after every so many checked rows: "check", then "write".
PROGRESS_EVERY = 5000
Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def max_bytes() -> int:
    return getattr(settings, "CONTACT_IMPORT_MAX_BYTES", 10 * 1024 * 1024)


def max_rows() -> int:
    return getattr(settings, "CONTACT_IMPORT_MAX_ROWS", 100_000)


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, size, header): no row was looked at."""


@dataclass
class RowError:
    line: int
    reasons: list[str]

    def __str__(self) -> str:
        return _("line %(line)s: %(reasons)s") % {"line": self.line, "reasons": "; ".join(self.reasons)}


def _shallow_copy(contact: PatientContact) -> PatientContact:
    """What copy.copy makes of a model instance (the same attributes, a state of its own), without its round trip
    through pickling's Model.__reduce__, which took a second of a 100,000-row import."""
    duplicate = PatientContact.__new__(PatientContact)
    duplicate.__dict__.update(contact.__dict__)
    duplicate._state = ModelState()
    duplicate._state.db, duplicate._state.adding = contact._state.db, contact._state.adding
    duplicate._state.fields_cache = contact._state.fields_cache.copy()
    return duplicate


@dataclass(slots=True)
class PlannedContact:
    """One valid row of a batch, ready to be written.

    For a new contact, `contact` is the checked contact that rows with the same values share (it has no pk), and the
    row's own pseudonym and clinician are kept beside it: new_contact() puts them together when it is written."""

    line: int
    contact: PatientContact
    fellowship_ids: frozenset[int] | None  # None: the cell was empty, leave an existing contact's fellowships alone
    existing_fellowship_ids: set[int] = field(default_factory=set)
    pseudonym: str = ""
    clinician_id: int | None = None

    def new_contact(self, created_by_id: int | None) -> PatientContact:
        contact = _shallow_copy(self.contact)
        contact.patient_pseudonym = self.pseudonym
        # Checked against memberships in _RowChecker, for all rows at once.
        contact.clinician_id = self.clinician_id
        contact.created_by_id = created_by_id
        return contact


@dataclass
class ImportPlan:
    """What the file would do: counts and every bad row. The rows themselves are not kept (see _planned_batches)."""

    sha256: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_deleted: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_deleted": self.skipped_deleted,
            "invalid": len(self.errors),
        }


class ImportInvalid(Exception):
    """Raised by apply_import when a row is invalid; carries the plan with every error."""

    def __init__(self, plan: ImportPlan):
        super().__init__(
            ngettext("%(count)d invalid row", "%(count)d invalid rows", len(plan.errors)) % {"count": len(plan.errors)}
        )
        self.plan = plan


def shown(value: str) -> str:
    """A cell made safe to repeat in a message: short, no control characters, never a national ID."""
    if contains_national_id(value):
        return _("(hidden: looks like a national identity number)")
    value = _CONTROL_CHARACTERS.sub("?", value)
    if len(value) > 40:
        value = value[:40] + "…"
    return f"“{value}”"


# --- Reading the file -------------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text, or ImportFileError saying what the file is instead."""
    if len(data) > max_bytes():
        raise ImportFileError(
            _("The file is too large (%(size)s MB). The limit is %(limit)s MB: split the extract into several files.")
            % {"size": f"{len(data) / 1024 / 1024:.1f}", "limit": f"{max_bytes() / 1024 / 1024:.0f}"}
        )
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("This is a spreadsheet workbook, not a CSV file. In Excel, choose Save as → “CSV UTF-8”.")
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("The file is UTF-16. Save it as “CSV UTF-8” instead."))
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportFileError(
            _("The file contains NUL bytes (first on line %(line)s), so it is not a text CSV file.") % {"line": line}
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "The file is not UTF-8 (first unreadable character on line %(line)s). "
                "In Excel, choose Save as → “CSV UTF-8”."
            )
            % {"line": line}
        ) from None
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    return text


def sniff_delimiter(text: str) -> str:
    """Comma or semicolon, whichever splits the header line into the expected columns."""
    header = text.splitlines()[0] if text else ""
    commas, semicolons = header.count(","), header.count(";")
    if semicolons > commas:
        return ";"
    return ","


def _read_records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    """(first line of the record, cells) for every record, header included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    next_line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFileError(
                _("Line %(line)s cannot be read as CSV (%(problem)s). Check quotes around that line.")
                % {"line": reader.line_num, "problem": str(error)[:100]}
            ) from None
        yield next_line, cells
        next_line = reader.line_num + 1


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    problems = []
    missing = [name for name in COLUMNS if name not in names]
    unknown = [name for name in names if name not in COLUMNS]
    duplicated = sorted({name for name in names if names.count(name) > 1 and name in COLUMNS})
    if missing:
        problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
    if unknown:
        problems.append(
            _("unknown columns: %(names)s")
            % {"names": ", ".join(shown(name) if name else _("(empty)") for name in unknown)}
        )
    if duplicated:
        problems.append(_("columns named twice: %(names)s") % {"names": ", ".join(duplicated)})
    if problems:
        raise ImportFileError(
            _("The header row (line 1) is not as expected: %(problems)s. The columns are: %(columns)s.")
            % {"problems": "; ".join(problems), "columns": ", ".join(COLUMNS)}
        )
    return names


# --- Checking rows ----------------------------------------------------------------------------------------------


@dataclass
class _Lookups:
    """Everything the rows refer to, fetched once for the whole file."""

    units: dict[str, Unit]
    allowed_unit_ids: set[int] | None
    users: dict[str, User]
    member_paths: dict[int, list[str]]
    fellowships: dict[str, Fellowship]

    @classmethod
    def fetch(cls, unit_codes: set[str], usernames: set[str], allowed_units) -> _Lookups:
        units = {unit.code: unit for unit in Unit.objects.filter(code__in=unit_codes)}
        users = {user.username: user for user in User.objects.filter(username__in=usernames)}
        member_paths: dict[int, list[str]] = {}
        for user_id, path in Membership.objects.filter(user__in=users.values()).values_list("user_id", "unit__path"):
            member_paths.setdefault(user_id, []).append(path)
        fellowships = {fellowship.code.upper(): fellowship for fellowship in Fellowship.objects.all()}
        allowed = None if allowed_units is None else set(allowed_units.values_list("pk", flat=True))
        return cls(units, allowed, users, member_paths, fellowships)


def _cell_problem(name: str, raw: str) -> str | None:
    """What makes a cell unreadable whatever its column: length, a formula, control characters."""
    if len(raw) > MAX_FIELD_LENGTH:
        return _("%(column)s is longer than %(limit)s characters") % {"column": name, "limit": MAX_FIELD_LENGTH}
    value = raw.strip()
    if value.startswith(FORMULA_PREFIXES):
        return _("%(column)s starts with “%(sign)s”: spreadsheet formulas are not accepted") % {
            "column": name,
            "sign": value[0],
        }
    if _CONTROL_CHARACTERS.search(value):
        return _("%(column)s contains control characters") % {"column": name}
    if contains_national_id(value):
        # Whatever the column: nothing of the file may keep or repeat a national identity number.
        return _("%(column)s contains what looks like a national identity number") % {"column": name}
    return None


def _check_date(value: str, today: datetime.date) -> datetime.date | str:
    if not value:
        return _("date is empty")
    if not _DATE.match(value):
        return _("date %(value)s is not in the form YYYY-MM-DD") % {"value": shown(value)}
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return _("date %(value)s does not exist") % {"value": shown(value)}
    if day > today:
        return _("date %(value)s is in the future") % {"value": value}
    if day < EARLIEST_DATE:
        return _("date %(value)s is before 2000") % {"value": value}
    return day


def _check_unit(value: str, lookups: _Lookups) -> Unit | str:
    unit = lookups.units.get(value.upper())
    if not value:
        return _("unit is empty")
    if lookups.allowed_unit_ids is not None and (unit is None or unit.pk not in lookups.allowed_unit_ids):
        # For a lead, an unknown unit and another's unit get the same message: the upload reveals no unit codes.
        return _("unit %(value)s is not one of the units you lead") % {"value": shown(value)}
    if unit is None:
        return _("unknown unit code %(value)s") % {"value": shown(value)}
    if unit.kind != Unit.Kind.UNIT:
        return _("%(code)s is a %(kind)s: contacts are recorded on units") % {
            "code": unit.code,
            "kind": unit.get_kind_display().lower(),
        }
    return unit


def _check_setting(value: str) -> str:
    setting = value.lower()
    if setting in _SETTINGS:
        return setting
    raise ValueError(
        _("setting %(value)s is not one of %(choices)s")
        % {"value": shown(value) if value else _("(empty)"), "choices": ", ".join(Setting.values)}
    )


def _check_intensity(value: str) -> int | None:
    if not value:
        return None
    if value in {"0", "1", "2", "3", "4"}:
        return int(value)
    raise ValueError(_("intensity %(value)s is not a whole number from 0 to 4 (or empty)") % {"value": shown(value)})


def _check_fellowships(value: str, lookups: _Lookups) -> frozenset[int] | None:
    """The fellowships' ids, frozen: rows with the same cell share them (_RowChecker), and they key the service's
    answers (_Planner._plan_create)."""
    codes = [part.strip().upper() for part in _FELLOWSHIP_SEPARATORS.split(value) if part.strip()]
    unknown = [code for code in codes if code not in lookups.fellowships]
    if unknown:
        raise ValueError(
            ngettext("unknown fellowship code %(codes)s", "unknown fellowship codes %(codes)s", len(unknown))
            % {"codes": ", ".join(shown(code) for code in unknown)}
        )
    return frozenset(lookups.fellowships[code].pk for code in codes) if codes else None


def _check_response(value: str) -> str:
    response = value.lower()
    if response and response not in _RESPONSES:
        raise ValueError(
            _("response %(value)s is not one of %(choices)s (or empty)")
            % {"value": shown(value), "choices": ", ".join(Response.values)}
        )
    return response


def _check_clinician(value: str, unit: Unit | None, lookups: _Lookups) -> User | None:
    if not value:
        return None
    user = lookups.users.get(value)
    if user is None:
        raise ValueError(_("unknown user name %(value)s") % {"value": shown(value)})
    if not user.is_active:
        raise ValueError(_("user %(value)s is deactivated") % {"value": shown(value)})
    if unit is not None and not any(unit.path.startswith(path) for path in lookups.member_paths.get(user.pk, [])):
        raise ValueError(
            _("user %(value)s does not work in unit %(unit)s") % {"value": shown(value), "unit": unit.code}
        )
    return user


class _RowChecker:
    """Each row's clean values and problems (empty when the row is valid), one problem per column at most.

    Apart from the patient reference, cells repeat from row to row (a few hundred dates, a few units, clinicians and
    fellowship lists), so each distinct cell is checked once per file and its outcome reused: checking every cell of
    every row was a third of a 100,000-row preview. At most ANSWERS_KEPT outcomes are kept, so that a file whose cells
    all differ keeps no more. The reference is checked on every row and never kept.
    """

    def __init__(self, lookups: _Lookups, today: datetime.date):
        self.lookups = lookups
        self.today = today
        # (column, cell[, unit id]) -> (the cell's own problem, or None; the column's check: value or message)
        self._outcomes: dict[tuple, tuple[str | None, object]] = {}

    def check(self, record: dict[str, str]) -> tuple[dict, list[str]]:
        """Cells that cannot be read at all come first in the problems, then what the columns' checks say."""
        problems: list[str] = []
        reasons: list[str] = []
        values: dict = {}
        for name in COLUMNS:
            raw = record[name]
            if name == "patient_ref":
                problem, outcome = self._reference(raw)
            else:
                # Whether a clinician may record in the unit depends on the row's unit too.
                key = (name, raw, values["unit"].pk if name == "clinician" and "unit" in values else None)
                found = self._outcomes.get(key)
                if found is None:
                    if len(self._outcomes) >= ANSWERS_KEPT:
                        self._outcomes.clear()
                    found = self._outcomes[key] = self._cell(name, raw, values.get("unit"))
                problem, outcome = found
            if problem:
                problems.append(problem)
            elif isinstance(outcome, _Refused):
                reasons.append(outcome.message)
            elif name == "patient_ref":
                values["pseudonym"], values["reference"] = outcome, raw.strip()
            else:
                values[name] = outcome
        values["fellowship_ids"] = values.pop("fellowships", None)
        return values, problems + reasons

    def _reference(self, raw: str) -> tuple[str | None, object]:
        problem = _cell_problem("patient_ref", raw)
        if problem:
            return problem, None
        try:
            return None, pseudonym_for(raw.strip())
        except ValidationError as error:
            # The messages of validate_reference never contain the reference.
            return None, _Refused(_("patient_ref: %(message)s") % {"message": " ".join(error.messages).rstrip(".")})

    def _cell(self, name: str, raw: str, unit: Unit | None) -> tuple[str | None, object]:
        problem = _cell_problem(name, raw)
        if problem:
            return problem, None
        value = raw.strip()
        if name == "date":
            day = _check_date(value, self.today)
            return None, _Refused(day) if isinstance(day, str) else day
        if name == "unit":
            found = _check_unit(value, self.lookups)
            return None, _Refused(found) if isinstance(found, str) else found
        checks = {
            "setting": _check_setting,
            "intensity": _check_intensity,
            "fellowships": lambda value: _check_fellowships(value, self.lookups),
            "response": _check_response,
            "clinician": lambda value: _check_clinician(value, unit, self.lookups),
        }
        try:
            return None, checks[name](value)
        except ValueError as error:
            return None, _Refused(str(error))


@dataclass(frozen=True, slots=True)
class _Refused:
    """A column check's message, told apart from a checked value (which may be None or a string)."""

    message: str


def _one_of(name: str, values: list, *, lookup=AnyOf) -> Iterator[Q | Lookup]:
    """Conditions for `name__in=values`, for a query each: one on PostgreSQL (`lookup`: AnyOfText for strings),
    slices under SQLite's variable limit."""
    if not values:
        return
    if connection.vendor == "postgresql":
        yield lookup(F(name), values)
        return
    for offset in range(0, len(values), LOOKUP_CHUNK):
        yield Q(**{f"{name}__in": values[offset : offset + LOOKUP_CHUNK]})


def _existing_contacts(keys: set[tuple[int, str, datetime.date]], *, lock: bool) -> dict:
    """Contacts matching (unit, pseudonym, Oslo date) keys: {key: (current contact or None, any deleted)}."""
    pseudonyms = sorted({pseudonym for _unit, pseudonym, _day in keys})
    if not pseudonyms:
        return {}
    days = [day for _unit, _pseudonym, day in keys]
    start = datetime.datetime.combine(min(days), datetime.time.min, tzinfo=OSLO)
    end = datetime.datetime.combine(max(days) + datetime.timedelta(days=1), datetime.time.min, tzinfo=OSLO)
    unit_ids = sorted({unit_id for unit_id, _pseudonym, _day in keys})
    found: dict = {}
    for condition in _one_of("patient_pseudonym", pseudonyms, lookup=AnyOfText):
        queryset = PatientContact.objects.filter(
            condition, _unit_among(unit_ids), contacted_at__gte=start, contacted_at__lt=end
        ).order_by("id")
        if lock:
            queryset = queryset.select_for_update()
        for contact in queryset:
            key = (contact.unit_id, contact.patient_pseudonym, timezone.localtime(contact.contacted_at, OSLO).date())
            if key not in keys:
                continue
            current, deleted = found.get(key, (None, False))
            if contact.deleted_at is not None:
                deleted = True
            elif current is None:
                # Several same-day contacts: the first recorded one is the one the extract updates.
                current = contact
            found[key] = (current, deleted)
    return found


def _unit_among(unit_ids: list[int]) -> Q | Lookup:
    """The look-up's unit condition, written on PostgreSQL so that the planner cannot use an index for it.

    A batch's pseudonyms find a few rows each through their own index, and the unit is a filter on those. Given an
    indexable `unit_id IN (…)`, PostgreSQL ANDed in a scan of the units' (unit, month) index, every contact of the
    units (600,000 in the benchmark): 22-30 ms a batch instead of 6-10, 1 s or more of a 100,000-row import."""
    if connection.vendor != "postgresql":
        return Q(unit_id__in=unit_ids)
    return AnyOf(ExpressionWrapper(F("unit_id") + 0, output_field=BigIntegerField()), unit_ids)


def _related_ids(relation, contact_ids: list[int]) -> dict[int, set[int]]:
    """{contact id: ids of its fellowships or suggested meetings}, in a few queries for many contacts."""
    through = relation.through
    target = relation.field.m2m_reverse_name()
    result: dict[int, set[int]] = {}
    for condition in _one_of("patientcontact_id", contact_ids):
        for contact_id, target_id in through.objects.filter(condition).values_list("patientcontact_id", target):
            result.setdefault(contact_id, set()).add(target_id)
    return result


# The service's field names, as the file's columns name them.
_SERVICE_FIELD_COLUMNS = {
    "patient_reference": "patient_ref",
    "contacted_at": "date",
    "setting": "setting",
    "intensity": "intensity",
    "response": "response",
    "fellowships": "fellowships",
    "clinician": "clinician",
}


def _hashable(value):
    if isinstance(value, list | tuple | set):
        return tuple(getattr(item, "pk", item) for item in value)
    return value


class _ServiceCheck:
    """The contact service's own rules (services.validate_contact_data) for each row, without a query per row.

    Rows that give the service the same values but for the patient reference get the same answer, so the service
    runs once per distinct set of values (the reference is checked for every row by _RowChecker, with the same
    function the service uses). A 100,000-row extract has a few thousand such sets. At most ANSWERS_KEPT answers are
    kept, so that an extract whose rows all differ does not keep a checked contact per row.
    """

    def __init__(self):
        self._answers: dict[tuple, tuple[PatientContact | None, list[str]]] = {}

    def __call__(self, unit, data: dict, *, recorded_response: str = "") -> tuple[PatientContact | None, list[str]]:
        key = (unit.pk, recorded_response, *((name, _hashable(data[name])) for name in sorted(data)))
        key = tuple(part for part in key if not (isinstance(part, tuple) and part[0] == "patient_reference"))
        return self.answer(key, unit, lambda: data, recorded_response)

    def answer(
        self, key: tuple, unit, make_data: Callable[[], dict], recorded_response: str = ""
    ) -> tuple[PatientContact | None, list[str]]:
        """The answer for the data make_data() gives, which `key` stands for; make_data is called when it is new."""
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers.clear()
            try:
                answer = (services.validate_contact_data(unit=unit, data=make_data()).contact, [])
            except ValidationError as error:
                answer = (None, _service_reasons(error, recorded_response))
            self._answers[key] = answer
        return answer


def _service_reasons(error: ValidationError, recorded_response: str = "") -> list[str]:
    reasons = []
    for name, errors in error.error_dict.items():
        column = _SERVICE_FIELD_COLUMNS.get(name)
        for item in errors:
            message = " ".join(item.messages).rstrip(".")
            if item.code == services.RESPONSE_NEEDS_INTENSITY and recorded_response:
                # The row's response cell is empty: the response is the one already recorded.
                reasons.append(
                    _(
                        "intensity: the contact is already recorded with the response “%(response)s”, so self-help was "
                        "discussed: give intensity 1 or higher"
                    )
                    % {"response": Response(recorded_response).label}
                )
            elif column:
                reasons.append(f"{column}: {message}")
            else:
                # A rule about a field the extract does not carry, on the contact already recorded.
                reasons.append(
                    _("the recorded contact would become inconsistent (%(field)s): %(message)s")
                    % {"field": name, "message": message}
                )
    return reasons


@dataclass(slots=True)
class _Row:
    """One record after its own checks: its clean values by name, and its problems (empty when it is valid)."""

    line: int
    values: dict
    reasons: list[str]
    # (unit id, pseudonym, date): the contact the row is about, when those three cells are readable.
    key: tuple | None = None


class _File:
    """The decoded file and its header row; records() reads it again from the top at every call."""

    def __init__(self, data: bytes):
        self.text = decode(data)
        self.delimiter = sniff_delimiter(self.text)
        _first_line, header_cells = next(_read_records(self.text, self.delimiter))
        self.names = _header(header_cells)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(first line, cells) of every record under the header but blank ones."""
        records = _read_records(self.text, self.delimiter)
        next(records)
        for line, cells in records:
            if "".join(cells).strip():  # not the ";;;;;;;" lines spreadsheets leave behind either
                yield line, cells


def _survey(file: _File, allowed_units) -> tuple[int, _Lookups]:
    """The first reading: how many rows (refused past the limit), and everything they refer to, fetched at once."""
    rows = 0
    unit_codes: set[str] = set()
    usernames: set[str] = set()
    unit_at, clinician_at = file.names.index("unit"), file.names.index("clinician")
    for _line, cells in file.records():
        rows += 1
        if rows > max_rows():
            raise ImportFileError(
                _("The file has more than %(limit)s rows: split it into several files.") % {"limit": max_rows()}
            )
        if len(cells) == len(file.names):
            unit_codes.add(cells[unit_at].strip().upper())
            usernames.add(cells[clinician_at].strip())
    if rows == 0:
        raise ImportFileError(_("The file has a header row but no contacts."))
    usernames.discard("")
    return rows, _Lookups.fetch(unit_codes, usernames, allowed_units)


def _checked_batches(
    file: _File, lookups: _Lookups, total: int, refuse: Callable[[RowError], None], progress: Progress
) -> Iterator[list[_Row]]:
    """The second reading: each row on its own (formats, codes, references, clinicians, and duplicates within the
    file), in batches of BATCH_ROWS. Records with the wrong number of fields go straight to refuse().

    Pure Python, no query: _checked_ahead runs it in a thread of its own."""
    checker = _RowChecker(lookups, timezone.localdate(timezone.now(), OSLO))
    first_line_of_key: dict[tuple, int] = {}
    batch: list[_Row] = []
    for done, (line, cells) in enumerate(file.records(), start=1):
        if len(cells) != len(file.names):
            reason = _("has %(found)s fields, the header has %(expected)s") % {
                "found": len(cells),
                "expected": len(file.names),
            }
            refuse(RowError(line, [reason]))
        else:
            row = _Row(line, *checker.check(dict(zip(file.names, cells, strict=True))))
            values = row.values
            if "unit" in values and "pseudonym" in values and "date" in values:
                row.key = (values["unit"].pk, values["pseudonym"], values["date"])
            if row.key in first_line_of_key:
                row.reasons.append(
                    _("same unit, patient and date as line %(line)s") % {"line": first_line_of_key[row.key]}
                )
                # Refused for that alone, whatever is recorded (and an earlier batch may have written the first).
                row.key = None
            elif row.key is not None:
                first_line_of_key[row.key] = line
            batch.append(row)
        if done % PROGRESS_EVERY == 0:
            progress("check", done, total)
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch
    progress("check", total, total)


_NEW_CONTACT_CELLS = ("setting", "intensity", "response")
_UNREAD = object()  # a cell that could not be read: not the same as an empty one


def _new_contact_data(values: dict, fellowships_by_id: dict) -> dict:
    """The service's data for a row that creates a contact: only the cells that could be read."""
    data = {"patient_reference": values["reference"], "contacted_at": services.contact_time_for_date(values["date"])}
    data.update({name: values[name] for name in _NEW_CONTACT_CELLS if name in values})
    data["fellowships"] = [fellowships_by_id[pk] for pk in sorted(values.get("fellowship_ids") or ())]
    data["suggested_meetings"] = []
    return data


class _Planner:
    """Each row of a batch against what is recorded: a new contact, an update, unchanged, or deleted in the registry."""

    def __init__(self, lookups: _Lookups, *, lock: bool, checks: bulk_copy.ChecksAside | None):
        self.fellowships_by_id = {fellowship.pk: fellowship for fellowship in lookups.fellowships.values()}
        self.check = _ServiceCheck()
        self.lock = lock
        self.checks = checks

    def plan_batch(self, rows: list[_Row], plan: ImportPlan) -> tuple[list[PlannedContact], list[PlannedContact]]:
        """The batch's contacts to create and to update; its bad rows go to plan.errors, the rest to its counts."""
        self.existing = _existing_contacts({row.key for row in rows if row.key is not None}, lock=self.lock)
        current_ids = [current.pk for current, _deleted in self.existing.values() if current is not None]
        self.current_fellowships = _related_ids(PatientContact.fellowships, current_ids)
        self.current_meetings = _related_ids(PatientContact.suggested_meetings, current_ids)
        if self.checks is not None:
            # The batches written so far are checked by PostgreSQL while this one is planned (_while_valid waits).
            self.checks.start()
        to_create, to_update = [], []
        for row in rows:
            planned = self.plan_row(row, plan)
            if planned is not None:
                (to_update if planned.contact.pk else to_create).append(planned)
        plan.created += len(to_create)
        plan.updated += len(to_update)
        return to_create, to_update

    def plan_row(self, row: _Row, plan: ImportPlan) -> PlannedContact | None:
        if row.key is None:
            plan.errors.append(RowError(row.line, row.reasons))
            return None
        current, deleted = self.existing.get(row.key, (None, False))
        if current is None and deleted:
            if row.reasons:
                plan.errors.append(RowError(row.line, row.reasons))
            else:
                plan.skipped_deleted += 1
            return None
        if current is None:
            return self._plan_create(row, plan)
        return self._plan_update(row, current, plan)

    def _plan_create(self, row: _Row, plan: ImportPlan) -> PlannedContact | None:
        values = row.values
        # What _new_contact_data reads, without building it for every row (the reference is checked by _RowChecker).
        key = (
            "new",
            values["unit"].pk,
            values["date"],
            values.get("setting", _UNREAD),
            values.get("intensity", _UNREAD),
            values.get("response", _UNREAD),
            values["fellowship_ids"],
        )
        contact, reasons = self.check.answer(
            key, values["unit"], lambda: _new_contact_data(values, self.fellowships_by_id)
        )
        reasons = row.reasons + reasons
        if reasons:
            plan.errors.append(RowError(row.line, reasons))
            return None
        clinician_id = values["clinician"].pk if values["clinician"] else None
        return PlannedContact(
            row.line, contact, values["fellowship_ids"], pseudonym=values["pseudonym"], clinician_id=clinician_id
        )

    def _plan_update(self, row: _Row, current: PatientContact, plan: ImportPlan) -> PlannedContact | None:
        values = row.values
        had_fellowships = self.current_fellowships.get(current.pk, set())
        # Applies the row's values to a copy of `current`; None when they change nothing.
        planned = _planned_update(row.line, copy.copy(current), values, had_fellowships)
        if planned is None and not row.reasons:
            plan.unchanged += 1  # nothing is written, so there is nothing to check
            return None
        contact = planned.contact if planned else current
        merged = {name: getattr(contact, name) for name in services.CONTACT_FIELDS if name != "clinician"}
        merged["patient_reference"] = values["reference"]
        row_fellowships = values.get("fellowship_ids")
        merged["fellowships"] = [self.fellowships_by_id[pk] for pk in sorted(row_fellowships or had_fellowships)]
        # Only whether there are any matters to the rules; the import never changes suggested meetings
        # (one stands for all, so a contact stored with more than the handout's limit still imports).
        merged["suggested_meetings"] = sorted(self.current_meetings.get(current.pk, ()))[:1]
        recorded_response = current.response if not values.get("response") else ""
        _contact, reasons = self.check(values["unit"], merged, recorded_response=recorded_response)
        reasons = row.reasons + reasons
        if reasons:
            plan.errors.append(RowError(row.line, reasons))
            return None
        return planned


def _planned_batches(
    data: bytes,
    plan: ImportPlan,
    *,
    allowed_units,
    lock: bool,
    progress: Progress,
    checks: bulk_copy.ChecksAside | None = None,
) -> Iterator[tuple[list[PlannedContact], list[PlannedContact]]]:
    """(to create, to update) for each batch of BATCH_ROWS rows; every bad row goes to plan.errors, with its line.

    Only one batch of rows is held at a time, besides the file's text and a key per row (to find duplicates), so that
    a 100,000-row file stays within a worker's memory.
    """
    file = _File(data)
    plan.rows, lookups = _survey(file, allowed_units)
    planner = _Planner(lookups, lock=lock, checks=checks)
    for rows in _checked_ahead(file, lookups, plan, progress):
        yield planner.plan_batch(rows, plan)


class _Stopped(Exception):
    """The caller stopped reading the checked batches."""


def _checked_ahead(file: _File, lookups: _Lookups, plan: ImportPlan, progress: Progress) -> Iterator[list[_Row]]:
    """_checked_batches, run in a thread of its own up to CHECKED_AHEAD batches ahead of the caller.

    The caller's thread waits for PostgreSQL for part of its time (the look-ups of existing contacts, and on import the
    writes), which lets go of the GIL, so the next rows (the CSV, the cells, the keyed hash of each reference: about 3 s
    of CPU for 100,000 rows) are checked meanwhile on the other core: a 100,000-row preview took 0.9 s less, with the
    same CPU time (the median of five alternating pairs on 2 CPUs shared with other work). The thread makes no query.
    Its errors and progress reports reach the caller in the order they happened, before the batch that followed them,
    and are applied in the caller's thread; so is anything it raises. The thread checks in the caller's language.
    """
    items: queue.Queue = queue.Queue(maxsize=CHECKED_AHEAD)
    stop = threading.Event()
    language = translation.get_language()

    def put(item) -> None:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return
            except queue.Full:
                pass
        raise _Stopped

    def check() -> None:
        events: list = []  # what happened since the last batch was handed over

        def refuse(error: RowError) -> None:
            events.append(("error", error))

        def report(*arguments) -> None:
            events.append(("progress", arguments))

        try:
            with translation.override(language):
                for rows in _checked_batches(file, lookups, plan.rows, refuse, report):
                    put((events[:], rows))
                    events.clear()
            put((events, None))
        except _Stopped:
            pass
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            with contextlib.suppress(_Stopped):
                put(([("raise", error)], None))

    thread = threading.Thread(target=check, name="contact-import-check", daemon=True)
    thread.start()
    try:
        while True:
            try:
                events, rows = items.get(timeout=1)
            except queue.Empty:
                if thread.is_alive():
                    continue
                raise RuntimeError("The contact import's checking thread ended without its last batch.") from None
            for kind, value in events:
                if kind == "raise":
                    raise value
                if kind == "error":
                    plan.errors.append(value)
                else:
                    progress(*value)
            if rows is None:
                return
            yield rows
    finally:
        stop.set()
        thread.join()


def _fresh_statistics(data: bytes) -> None:
    """Before a file of many batches, bring the contacts' planner statistics up to date if a large import left them
    stale (core.bulk_copy.analyze_if_stale): each batch's look-up of existing contacts would scan whole units."""
    if data.count(b"\n") > BATCH_ROWS:
        bulk_copy.analyze_if_stale(PatientContact)


def plan_import(data: bytes, *, allowed_units=None, progress: Progress | None = None) -> ImportPlan:
    """Read and check the whole file; nothing is written. Raises ImportFileError for an unreadable file.

    Every bad row is reported with every problem it has: its cells' own problems and the contact service's rules
    with what could be read. `allowed_units` (a Unit queryset) limits the units rows may name: a unit lead's import.
    `progress(stage, done, total)` is called now and then while the rows are checked.
    """
    plan = ImportPlan(sha256=hashlib.sha256(data).hexdigest())
    _fresh_statistics(data)
    batches = _planned_batches(data, plan, allowed_units=allowed_units, lock=False, progress=progress or _no_progress)
    for _batch in batches:
        pass  # the preview keeps the counts and the errors only
    plan.errors.sort(key=lambda error: error.line)
    return plan


def _planned_update(line, contact, values, fellowship_ids) -> PlannedContact | None:
    """The contact with the row's values, or None when nothing changes. Empty cells keep what is recorded."""
    changed = False
    if values.get("setting") and contact.setting != values["setting"]:
        contact.setting, changed = values["setting"], True
    if values.get("intensity") is not None and contact.intensity != values["intensity"]:
        contact.intensity, changed = values["intensity"], True
    if values.get("response") and contact.response != values["response"]:
        contact.response, changed = values["response"], True
    if values.get("clinician") is not None and contact.clinician_id != values["clinician"].pk:
        contact.clinician_id, changed = values["clinician"].pk, True
    new_fellowships = values.get("fellowship_ids")
    if new_fellowships is not None and new_fellowships != fellowship_ids:
        changed = True
    else:
        new_fellowships = None
    if not changed:
        return None
    return PlannedContact(line, contact, new_fellowships, fellowship_ids)


# --- Writing ----------------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    skipped_deleted: int


def apply_import(
    data: bytes,
    *,
    user=None,
    allowed_units=None,
    request=None,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check the file again inside one transaction and write it through services.contacts_import, or write nothing.

    The rows are checked and written batch by batch; a bad row anywhere rolls back every batch written before it.
    Raises ImportFileError for an unreadable file and ImportInvalid when a row is invalid. Logs one IMPORT
    access-log entry per created or updated contact.
    """
    progress = progress or _no_progress
    sha256 = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and sha256 != expected_sha256:
        raise ImportFileError(_("The file changed after the preview. Upload it again."))
    plan = ImportPlan(sha256=sha256)
    _fresh_statistics(data)  # before the transaction, which would hold ANALYZE's lock until the end of the import
    # ChecksAside ends (waiting for its checks) before the transaction does.
    with transaction.atomic(), bulk_copy.ChecksAside() as checks:
        batches = _planned_batches(data, plan, allowed_units=allowed_units, lock=True, progress=progress, checks=checks)
        services.contacts_import(
            batches=_while_valid(batches, plan, getattr(user, "pk", None), checks),
            actor=user,
            detail=f"CSV import {sha256[:12]}",
            request=request,
        )
        if not plan.is_valid:
            plan.errors.sort(key=lambda error: error.line)
            raise ImportInvalid(plan)  # leaving the transaction undoes what the batches before the bad row wrote
        progress("write", plan.created + plan.updated, plan.created + plan.updated)
        if plan.created + plan.updated >= ANALYZE_AFTER_ROWS:
            # The reports and lists read next would be planned with statistics from before the import until
            # autovacuum notices (the activity counters include this transaction only once it has committed).
            bulk_copy.analyze(PatientContact, PatientContact.fellowships.through, AccessLogEntry)
    return ImportResult(
        created=plan.created, updated=plan.updated, unchanged=plan.unchanged, skipped_deleted=plan.skipped_deleted
    )


def _while_valid(
    batches, plan: ImportPlan, created_by_id: int | None, checks: bulk_copy.ChecksAside
) -> Iterator[services.ContactImportBatch]:
    """The planned batches as the service writes them, until a bad row is found; the rest of the file is still
    checked then, so that every bad row is reported, but nothing more is written. The constraint checks of the
    batches written before (started by _Planner.plan_batch) have ended, and passed, before the next is written."""
    for to_create, to_update in batches:
        if not plan.is_valid:
            continue
        planned = [*to_create, *to_update]
        batch = services.ContactImportBatch(
            to_create=[item.new_contact(created_by_id) for item in to_create],
            to_update=[item.contact for item in to_update],
            fellowship_ids={
                index: item.fellowship_ids for index, item in enumerate(planned) if item.fellowship_ids is not None
            },
        )
        checks.wait()
        yield batch
