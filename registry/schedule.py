"""When meetings happen: next occurrences in Europe/Oslo, the same order in SQL, and iCal recurrence rules.

A meeting's schedule is a local wall-clock time on an ISO weekday (Monday = 1), repeated weekly, every other
week in step with an anchor date, or monthly on the Nth or last such weekday, within optional valid-from and
valid-to dates. Times stay at the same wall-clock time across daylight-saving changes, as meetings do.

`next_occurrence` is the reference. `days_until_expression` gives the database the same answer as a number of
days from today, so that search results can be sorted and filtered by their next date without loading rows.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest, Mod

from registry.models import Recurrence

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
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


class EpochDays(models.Func):
    """Days from 1900-01-01 to a date column, as an integer, on PostgreSQL and SQLite."""

    output_field = models.IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '1900-01-01')", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) - 2415020.5 AS INTEGER)", **extra_context
        )


def _epoch_week_parity(day: datetime.date) -> int:
    return ((day - EPOCH).days // 7) % 2


class _Shape:
    """A schedule without a meeting, to ask `next_occurrence` about one shape of schedule."""

    valid_from = valid_to = end_time = None

    def __init__(self, *, weekday, recurrence, week_of_month=None, anchor_date=None, start_time):
        self.weekday, self.recurrence, self.start_time = weekday, recurrence, start_time
        self.week_of_month, self.anchor_date = week_of_month, anchor_date


def _days_until_table(today: datetime.date):
    """For every schedule shape, days from today to its next date: (if not yet started today, if started)."""
    start_of_day = datetime.datetime.combine(today, datetime.time(0, 0), tzinfo=OSLO)
    end_of_day = datetime.datetime.combine(today, datetime.time(23, 59, 30), tzinfo=OSLO)
    table = []
    for weekday in range(1, 8):
        for recurrence, variants in (
            (Recurrence.WEEKLY, [None]),
            (Recurrence.BIWEEKLY, [0, 1]),
            (Recurrence.MONTHLY, [1, 2, 3, 4, -1]),
        ):
            for variant in variants:
                anchor = None
                if recurrence == Recurrence.BIWEEKLY:
                    # A date on this weekday in a week of the wanted parity.
                    anchor = EPOCH + datetime.timedelta(days=weekday - 1 + 7 * variant)
                days = []
                for start_time, after in ((datetime.time(0, 0), start_of_day), (datetime.time(23, 59), end_of_day)):
                    shape = _Shape(
                        weekday=weekday,
                        recurrence=recurrence,
                        week_of_month=variant if recurrence == Recurrence.MONTHLY else None,
                        anchor_date=anchor,
                        start_time=start_time,
                    )
                    occurrence = next_occurrence(shape, after=after)
                    days.append((occurrence.date - today).days if occurrence else None)
                table.append((weekday, recurrence, variant, days[0], days[1]))
    return table


def days_until_expression(now: datetime.datetime | None = None):
    """An integer SQL expression: days from today (Oslo) to each meeting's next date, ignoring status.

    Exact for every schedule when valid_from is not in the future; for a meeting that only starts later it is
    a lower bound (the days until valid_from), which keeps such meetings in a sensible place in a sorted list.
    Meetings whose schedule has ended have no next date; `has_next_date_q` filters them out.
    """
    moment = local_now(now)
    today = moment.date()
    now_time = moment.time().replace(tzinfo=None)
    parity = Mod(EpochDays(F("anchor_date")) / Value(7), Value(2))
    whens = []
    for weekday, recurrence, variant, not_started, started in _days_until_table(today):
        condition = Q(recurrence=recurrence, weekday=weekday)
        if recurrence == Recurrence.MONTHLY:
            condition &= Q(week_of_month=variant)
        elif recurrence == Recurrence.BIWEEKLY:
            condition &= Q(_anchor_parity=variant)
        if not_started == 0 and weekday == today.isoweekday():
            whens.append(When(condition & Q(start_time__gte=now_time), then=Value(0)))
            whens.append(When(condition, then=Value(started)))
        else:
            whens.append(When(condition, then=Value(not_started)))
    schedule_days = Case(*whens, default=Value(None), output_field=models.IntegerField())
    until_valid_from = EpochDays(F("valid_from")) - Value((today - EPOCH).days)
    return parity, Case(
        When(valid_from__gt=today, then=Greatest(schedule_days, until_valid_from)),
        default=schedule_days,
        output_field=models.IntegerField(),
    )


def annotate_days_until(queryset, now: datetime.datetime | None = None):
    """Add `days_until` (next date minus today, in days) to a Meeting queryset."""
    today = local_now(now).date()
    parity, expression = days_until_expression(now)
    return queryset.alias(
        _anchor_parity=parity,
        _days_to_valid_to=EpochDays(F("valid_to")) - Value((today - EPOCH).days),
    ).annotate(days_until=expression)


def has_next_date_q() -> Q:
    """Meetings with a next date on or before valid_to (needs `annotate_days_until`)."""
    return Q(days_until__isnull=False) & (Q(valid_to__isnull=True) | Q(_days_to_valid_to__gte=F("days_until")))
