"""When meetings happen: next occurrences in Europe/Oslo, the same order in SQL, and iCal recurrence rules.

A meeting's schedule is a local wall-clock time on an ISO weekday (Monday = 1), repeated weekly, every other
week in step with an anchor date, or monthly on the Nth or last such weekday, within optional valid-from and
valid-to dates. Times stay at the same wall-clock time across daylight-saving changes, as meetings do.

`next_occurrence` is the reference. `days_until_expression` gives the database the same answer as a number of
days from today, so that search results can be sorted and filtered by their next date without loading rows.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import models
from django.db.models import F, Q

from core.periods import OSLO
from core.sql_templates import marked
from registry.models import Recurrence

UTC = datetime.UTC
DEFAULT_DURATION = datetime.timedelta(hours=1)
# Monthly meetings happen at least every five weeks; a year is ample to find the next one.
SEARCH_HORIZON_WEEKS = 60
ICAL_WEEKDAYS = {1: "MO", 2: "TU", 3: "WE", 4: "TH", 5: "FR", 6: "SA", 7: "SU"}
OPEN, CLOSED = "O", "C"


@dataclass(frozen=True)
class Occurrence:
    start: datetime.datetime
    end: datetime.datetime

    @property
    def date(self) -> datetime.date:
        return self.start.date()


def local_now(now: datetime.datetime | None = None) -> datetime.datetime:
    from django.utils import timezone

    return (now or timezone.now()).astimezone(OSLO)


def is_held_on(meeting, day: datetime.date) -> bool:
    """Whether the meeting's schedule puts a meeting on this local date."""
    if day.isoweekday() != meeting.weekday:
        return False
    if meeting.valid_from and day < meeting.valid_from:
        return False
    if meeting.valid_to and day > meeting.valid_to:
        return False
    if meeting.recurrence == Recurrence.BIWEEKLY:
        if not meeting.anchor_date:
            return False
        # Weeks (Monday to Sunday) in step with the anchor's week, as the SQL version counts them.
        return _epoch_week_parity(day) == _epoch_week_parity(meeting.anchor_date)
    if meeting.recurrence == Recurrence.MONTHLY:
        return _is_nth_weekday(day, meeting.week_of_month)
    return True


def _is_nth_weekday(day: datetime.date, week_of_month: int | None) -> bool:
    if week_of_month == -1:
        return (day + datetime.timedelta(days=7)).month != day.month
    if week_of_month in (1, 2, 3, 4):
        return (day.day - 1) // 7 + 1 == week_of_month
    return False


def _aware(day: datetime.date, time: datetime.time) -> datetime.datetime:
    # zoneinfo resolves a wall time that does not exist (spring forward) to the offset before the change,
    # which puts a 02:30 meeting at 03:30 summer time on that one night.
    return datetime.datetime.combine(day, time, tzinfo=OSLO)


def occurrence_on(meeting, day: datetime.date) -> Occurrence:
    start = _aware(day, meeting.start_time)
    if meeting.end_time is None:
        end = (start.astimezone(UTC) + DEFAULT_DURATION).astimezone(OSLO)
    else:
        end_day = day + datetime.timedelta(days=1) if meeting.end_time <= meeting.start_time else day
        end = _aware(end_day, meeting.end_time)
    return Occurrence(start=start, end=end)


def occurrences(meeting, *, after: datetime.datetime | None = None, limit: int = 1) -> Iterator[Occurrence]:
    """The meeting's next `limit` occurrences that start at or after `after` (default: now)."""
    moment = local_now(after)
    moment_utc = moment.astimezone(UTC)
    first_day = moment.date()
    if meeting.valid_from and meeting.valid_from > first_day:
        first_day = meeting.valid_from
    day = first_day + datetime.timedelta(days=(meeting.weekday - first_day.isoweekday()) % 7)
    found = 0
    misses = 0
    while found < limit and misses < SEARCH_HORIZON_WEEKS:
        if meeting.valid_to and day > meeting.valid_to:
            return
        if is_held_on(meeting, day):
            occurrence = occurrence_on(meeting, day)
            # Compare in UTC: aware datetimes sharing a tzinfo compare by wall time, which is wrong at fall-back.
            if occurrence.start.astimezone(UTC) >= moment_utc:
                yield occurrence
                found += 1
                misses = 0
                day += datetime.timedelta(days=7)
                continue
        misses += 1
        day += datetime.timedelta(days=7)


def next_occurrence(meeting, *, after: datetime.datetime | None = None) -> Occurrence | None:
    return next(occurrences(meeting, after=after, limit=1), None)


def is_open(type_codes: Iterable[str]) -> bool | None:
    """True for open meetings, False for closed ones, None when the entry says neither. Closed wins over open."""
    codes = set(type_codes)
    if CLOSED in codes:
        return False
    if OPEN in codes:
        return True
    return None


def normalise_open_closed(type_codes: Iterable[str]) -> set[str]:
    """Drop "open" when "closed" is also given: the Meeting Guide spec says closed wins."""
    codes = set(type_codes)
    if CLOSED in codes:
        codes.discard(OPEN)
    return codes


# iCalendar ---------------------------------------------------------------------------------------------------


def rrule(meeting) -> dict:
    """The recurrence as an icalendar `vRecur` mapping (RFC 5545), UNTIL taken from valid_to."""
    byday = ICAL_WEEKDAYS[meeting.weekday]
    rule: dict = {"FREQ": "WEEKLY", "BYDAY": byday}
    if meeting.recurrence == Recurrence.BIWEEKLY:
        rule["INTERVAL"] = 2
    elif meeting.recurrence == Recurrence.MONTHLY:
        rule = {"FREQ": "MONTHLY", "BYDAY": f"{meeting.week_of_month}{byday}"}
    if meeting.valid_to:
        # UNTIL is inclusive; with a local DTSTART it must be given in UTC. The end of the last day covers the
        # meeting on valid_to whatever its start time.
        last = datetime.datetime.combine(meeting.valid_to, datetime.time(23, 59, 59), tzinfo=OSLO)
        rule["UNTIL"] = last.astimezone(UTC)
    return rule


def rrule_text(meeting) -> str:
    """The RRULE value as text, e.g. "FREQ=MONTHLY;BYDAY=-1MO"."""
    from icalendar import vRecur

    return vRecur(rrule(meeting)).to_ical().decode()


def first_occurrence(meeting, *, today: datetime.date | None = None) -> Occurrence | None:
    """DTSTART for a calendar file: the first date on or after the anchor, valid_from or today's week."""
    if meeting.recurrence == Recurrence.BIWEEKLY and meeting.anchor_date:
        start = meeting.anchor_date
        if meeting.valid_from and meeting.valid_from > start:
            start = meeting.valid_from
    else:
        start = meeting.valid_from or (today or local_now().date())
    moment = _aware(start, datetime.time(0, 0))
    return next_occurrence(meeting, after=moment)


# The same answer in SQL -----------------------------------------------------------------------------------------

EPOCH = datetime.date(1900, 1, 1)  # a Monday, so whole weeks since EPOCH start on Mondays


def _epoch_week_parity(day: datetime.date) -> int:
    return ((day - EPOCH).days // 7) % 2


class _Shape:
    """A schedule without a meeting, to ask `next_occurrence` about one shape of schedule."""

    valid_from = valid_to = end_time = anchor_date = None

    def __init__(self, *, weekday, recurrence, week_of_month=None, start_time):
        self.weekday, self.recurrence, self.start_time = weekday, recurrence, start_time
        self.week_of_month = week_of_month


@functools.lru_cache(maxsize=4)
def _monthly_table(today: datetime.date) -> dict[int, tuple[int, int]]:
    """Days from today to the next Nth/last weekday of a month: key weekday*10+N → (if not yet started, if started)."""
    start_of_day = datetime.datetime.combine(today, datetime.time(0, 0), tzinfo=OSLO)
    end_of_day = datetime.datetime.combine(today, datetime.time(23, 59, 30), tzinfo=OSLO)
    table = {}
    for weekday in range(1, 8):
        for week_of_month in (1, 2, 3, 4, -1):
            days = []
            for start_time, after in ((datetime.time(0, 0), start_of_day), (datetime.time(23, 59), end_of_day)):
                shape = _Shape(
                    weekday=weekday, recurrence=Recurrence.MONTHLY, week_of_month=week_of_month, start_time=start_time
                )
                days.append((next_occurrence(shape, after=after).date - today).days)
            table[weekday * 10 + week_of_month] = (days[0], days[1])
    return table


NOW_TIME_MARK = "__now_time__"


def days_until_values(now: datetime.datetime | None = None) -> dict:
    """`DaysUntilNext`'s parameters by slot (core/sql_templates.py): the time of day in Oslo, to the second. The rest
    of its text follows from the date alone."""
    return {"now_time": local_now(now).strftime("%H:%M:%S")}


class DaysUntilNext(models.Func):
    """Days from today (Oslo) to a meeting's next date, as one SQL expression; NULL when it has none left.

    Weekly: days to the weekday, plus 7 when today's meeting has started. Every other week: 7 more when the
    candidate date's week and the anchor's week differ in parity (weeks counted from Monday 1900-01-01).
    Monthly: looked up in a small table computed in Python for today. valid_to makes it NULL once passed;
    a future valid_from moves the date on (exactly, except for monthly meetings, where it is a lower bound).
    Written as SQL text because the equivalent ORM expression tree costs more to compile than the query costs
    to run.
    """

    output_field = models.IntegerField()

    def __init__(self, now: datetime.datetime):
        self.moment = local_now(now)
        super().__init__(
            *(F(name) for name in ("weekday", "start_time", "recurrence", "anchor_date", "week_of_month")),
            F("valid_from"),
            F("valid_to"),
        )

    def _assemble(self, compiler, connection, *, epoch, greatest, least, no_bound):
        columns, params = [], []
        for expression in self.get_source_expressions():
            sql, column_params = compiler.compile(expression)
            columns.append(sql)
            params.extend(column_params)
        if params:  # plain column references carry none; anything else would break the text below
            raise ValueError("DaysUntilNext expects plain columns")
        weekday, start_time, recurrence, anchor, week_of_month, valid_from, valid_to = columns
        today = self.moment.date()
        today_weekday = today.isoweekday()
        today_epoch = (today - EPOCH).days
        # A parameter, the one part of the text that changes within a day (core/sql_templates.py): a string, which
        # compares with TIME on both backends. Written as a mark here and made placeholders below, in text order.
        now_time = NOW_TIME_MARK
        weekly = (
            f"((({weekday} - {today_weekday} + 7) %% 7) "
            f"+ CASE WHEN {weekday} = {today_weekday} AND {start_time} < {now_time} THEN 7 ELSE 0 END)"
        )

        def in_step(days: str) -> str:
            # Every other week: 7 more days when the date's week and the anchor's week differ in parity.
            return f"{days} + 7 * ((({epoch(anchor)} / 7) + (({today_epoch} + {days}) / 7)) %% 2)"

        branches = []
        for key, (not_started, started) in _monthly_table(today).items():
            if not_started == started:
                branches.append(f"WHEN {key} THEN {not_started}")
            else:
                branches.append(
                    f"WHEN {key} THEN CASE WHEN {start_time} >= {now_time} THEN {not_started} ELSE {started} END"
                )
        by_week_of_month = f"CASE ({weekday} * 10 + {week_of_month}) {' '.join(branches)} END"
        monthly = f"CASE {recurrence} WHEN '{Recurrence.MONTHLY}' THEN {by_week_of_month} END"
        until_valid_from = f"({epoch(valid_from)} - {today_epoch})"
        starts_later = f"{until_valid_from} > 0"  # NULL, so not true, without a valid_from
        # From a future valid_from: its first date on the meeting's weekday (1900-01-01 was a Monday, so a date's
        # ISO weekday is its epoch day modulo 7, plus 1), then the fortnight parity as above. Monthly meetings
        # take valid_from as a lower bound.
        weekly_from_start = f"({until_valid_from} + (({weekday} - (({epoch(valid_from)} %% 7) + 1) + 7) %% 7))"
        lower_bound = f"CASE WHEN {starts_later} THEN {until_valid_from} ELSE {no_bound} END"
        with_start = (
            f"CASE {recurrence} "
            f"WHEN '{Recurrence.WEEKLY}' THEN CASE WHEN {starts_later} THEN {weekly_from_start} ELSE {weekly} END "
            f"WHEN '{Recurrence.BIWEEKLY}' THEN CASE WHEN {anchor} IS NULL THEN NULL "
            f"WHEN {starts_later} THEN {in_step(weekly_from_start)} ELSE {in_step(weekly)} END "
            f"ELSE {greatest}({monthly}, {lower_bound}) END"
        )
        # NULL when valid_to comes before that date. NULLIF(LEAST(days, end), end), with `end` the day after valid_to
        # (or a day no schedule reaches), holds the long expression once where CASE WHEN would need it twice.
        end = f"COALESCE({epoch(valid_to)} - {today_epoch} + 1, 2147483647)"
        sql = f"NULLIF({least}({with_start}, {end}), {end})"
        value = marked("now_time", days_until_values(self.moment)["now_time"])
        return sql.replace(NOW_TIME_MARK, "%s"), [value] * sql.count(NOW_TIME_MARK)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"DaysUntilNext supports PostgreSQL and SQLite, not {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        # GREATEST and LEAST leave out NULLs.
        return self._assemble(
            compiler,
            connection,
            epoch=lambda column: f"({column} - DATE '1900-01-01')",
            greatest="GREATEST",
            least="LEAST",
            no_bound="NULL",
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite's MAX and MIN are NULL when any argument is: a bound below every date stands for "none".
        return self._assemble(
            compiler,
            connection,
            epoch=lambda column: f"CAST(julianday({column}) - 2415020.5 AS INTEGER)",
            greatest="MAX",
            least="MIN",
            no_bound="-2147483648",
        )


def annotate_days_until(queryset, now: datetime.datetime | None = None):
    """Add `days_until` (next date minus today, in days; NULL when none is left) to a Meeting queryset.

    Exact for every schedule, except a monthly meeting whose valid_from is in the future: for that one it is a
    lower bound (the days until valid_from), which keeps it in a sensible place in a list.
    """
    return queryset.annotate(days_until=DaysUntilNext(now))


def has_next_date_q(now: datetime.datetime | None = None) -> Q:
    """Meetings whose schedule has not ended, in cheap column comparisons (no `days_until` needed).

    Leaves in the rare meeting whose valid_to falls between today and its next date; its `days_until` is NULL,
    so it sorts last and shows no date.
    """
    today = local_now(now).date()
    return (
        (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        & ~Q(recurrence=Recurrence.BIWEEKLY, anchor_date__isnull=True)
        & ~Q(recurrence=Recurrence.MONTHLY, week_of_month__isnull=True)
    )
