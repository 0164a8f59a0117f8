"""Next occurrences in Europe/Oslo, the SQL version of the same, and iCal recurrence rules."""

import datetime
import zoneinfo

import pytest
import time_machine

from registry import schedule
from registry.models import Meeting, Recurrence

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
UTC = datetime.UTC


def oslo(*args):
    return datetime.datetime(*args, tzinfo=OSLO)


def meeting(**fields):
    defaults = {"weekday": 3, "start_time": datetime.time(19, 0), "end_time": datetime.time(20, 30)}
    defaults.update(fields)
    return Meeting(**defaults)


# 2026-11-25 is a Wednesday.


def test_weekly_meeting_later_today_is_next_today():
    occurrence = schedule.next_occurrence(meeting(), after=oslo(2026, 11, 25, 10, 0))
    assert occurrence.start == oslo(2026, 11, 25, 19, 0)
    assert occurrence.end == oslo(2026, 11, 25, 20, 30)


def test_weekly_meeting_that_has_started_is_next_a_week_later():
    occurrence = schedule.next_occurrence(meeting(), after=oslo(2026, 11, 25, 19, 1))
    assert occurrence.start == oslo(2026, 12, 2, 19, 0)


def test_meeting_starting_exactly_now_counts_as_next():
    assert schedule.next_occurrence(meeting(), after=oslo(2026, 11, 25, 19, 0)).date == datetime.date(2026, 11, 25)


def test_next_occurrence_defaults_to_the_current_moment():
    with time_machine.travel(oslo(2026, 11, 26, 8, 0), tick=False):
        assert schedule.next_occurrence(meeting(weekday=4)).start == oslo(2026, 11, 26, 19, 0)


def test_every_other_week_follows_the_anchor_date():
    fortnightly = meeting(recurrence=Recurrence.BIWEEKLY, anchor_date=datetime.date(2026, 11, 18))
    dates = [o.date for o in schedule.occurrences(fortnightly, after=oslo(2026, 11, 24, 12, 0), limit=3)]
    assert dates == [datetime.date(2026, 12, 2), datetime.date(2026, 12, 16), datetime.date(2026, 12, 30)]


def test_every_other_week_with_an_anchor_in_the_future_is_in_step_with_it():
    fortnightly = meeting(recurrence=Recurrence.BIWEEKLY, anchor_date=datetime.date(2027, 1, 13))
    assert schedule.next_occurrence(fortnightly, after=oslo(2026, 11, 24, 12, 0)).date == datetime.date(2026, 12, 2)


def test_monthly_on_the_first_monday():
    first_monday = meeting(weekday=1, recurrence=Recurrence.MONTHLY, week_of_month=1)
    dates = [o.date for o in schedule.occurrences(first_monday, after=oslo(2026, 11, 25, 12, 0), limit=3)]
    assert dates == [datetime.date(2026, 12, 7), datetime.date(2027, 1, 4), datetime.date(2027, 2, 1)]


def test_monthly_on_the_last_monday_handles_months_with_five_mondays():
    last_monday = meeting(weekday=1, recurrence=Recurrence.MONTHLY, week_of_month=-1)
    dates = [o.date for o in schedule.occurrences(last_monday, after=oslo(2026, 11, 1, 12, 0), limit=3)]
    # November 2026 has five Mondays (2, 9, 16, 23, 30).
    assert dates == [datetime.date(2026, 11, 30), datetime.date(2026, 12, 28), datetime.date(2027, 1, 25)]


def test_monthly_on_the_fourth_thursday():
    fourth_thursday = meeting(weekday=4, recurrence=Recurrence.MONTHLY, week_of_month=4)
    assert schedule.next_occurrence(fourth_thursday, after=oslo(2026, 11, 27, 0, 0)).date == datetime.date(2026, 12, 24)


def test_valid_from_in_the_future_moves_the_first_date():
    later = meeting(valid_from=datetime.date(2027, 1, 10))
    assert schedule.next_occurrence(later, after=oslo(2026, 11, 25, 12, 0)).date == datetime.date(2027, 1, 13)


def test_valid_from_on_the_meeting_day_includes_that_day():
    starts = meeting(valid_from=datetime.date(2026, 12, 2))
    assert schedule.next_occurrence(starts, after=oslo(2026, 11, 25, 20, 0)).date == datetime.date(2026, 12, 2)


def test_no_next_occurrence_after_valid_to():
    ended = meeting(valid_to=datetime.date(2026, 11, 25))
    assert schedule.next_occurrence(ended, after=oslo(2026, 11, 25, 12, 0)).date == datetime.date(2026, 11, 25)
    assert schedule.next_occurrence(ended, after=oslo(2026, 11, 25, 20, 0)) is None


def test_occurrences_stop_at_valid_to():
    ending = meeting(valid_to=datetime.date(2026, 12, 10))
    dates = [o.date for o in schedule.occurrences(ending, after=oslo(2026, 11, 25, 12, 0), limit=5)]
    assert dates == [datetime.date(2026, 11, 25), datetime.date(2026, 12, 2), datetime.date(2026, 12, 9)]


def test_meeting_across_midnight_ends_the_next_day():
    late = meeting(weekday=6, start_time=datetime.time(23, 30), end_time=datetime.time(0, 30))
    occurrence = schedule.next_occurrence(late, after=oslo(2026, 11, 25, 12, 0))
    assert occurrence.start == oslo(2026, 11, 28, 23, 30)
    assert occurrence.end == oslo(2026, 11, 29, 0, 30)


def test_meeting_ending_at_midnight_ends_the_next_day():
    late = meeting(start_time=datetime.time(22, 0), end_time=datetime.time(0, 0))
    assert schedule.next_occurrence(late, after=oslo(2026, 11, 25, 12, 0)).end == oslo(2026, 11, 26, 0, 0)


def test_meeting_without_end_time_lasts_an_hour():
    open_ended = meeting(end_time=None)
    occurrence = schedule.next_occurrence(open_ended, after=oslo(2026, 11, 25, 12, 0))
    assert occurrence.end - occurrence.start == datetime.timedelta(hours=1)


def test_weekly_meeting_keeps_its_wall_clock_time_across_spring_forward():
    monday = meeting(weekday=1)
    # Summer time starts on Sunday 29 March 2026.
    first, second = schedule.occurrences(monday, after=oslo(2026, 3, 20, 12, 0), limit=2)
    assert first.start.astimezone(UTC) == datetime.datetime(2026, 3, 23, 18, 0, tzinfo=UTC)
    assert second.start.astimezone(UTC) == datetime.datetime(2026, 3, 30, 17, 0, tzinfo=UTC)
    assert second.start.hour == 19


def test_weekly_meeting_keeps_its_wall_clock_time_across_fall_back():
    saturday = meeting(weekday=6, start_time=datetime.time(11, 0), end_time=datetime.time(12, 0))
    # Summer time ends on Sunday 25 October 2026.
    first, second = schedule.occurrences(saturday, after=oslo(2026, 10, 20, 12, 0), limit=2)
    assert first.start.astimezone(UTC).hour == 9
    assert second.start.astimezone(UTC).hour == 10


def test_night_meeting_across_midnight_on_the_fall_back_night_lasts_an_hour_longer():
    night = meeting(weekday=6, start_time=datetime.time(23, 0), end_time=datetime.time(3, 0))
    occurrence = schedule.next_occurrence(night, after=oslo(2026, 10, 24, 12, 0))
    assert occurrence.end.astimezone(UTC) - occurrence.start.astimezone(UTC) == datetime.timedelta(hours=5)


def test_meeting_at_a_time_skipped_by_spring_forward_still_has_an_occurrence():
    night = meeting(weekday=7, start_time=datetime.time(2, 30), end_time=datetime.time(3, 30))
    occurrence = schedule.next_occurrence(night, after=oslo(2026, 3, 28, 12, 0))
    assert occurrence.date == datetime.date(2026, 3, 29)
    assert occurrence.start.astimezone(UTC) == datetime.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_next_occurrence_from_a_utc_moment_uses_the_oslo_date():
    # 23:30 UTC on Tuesday is 00:30 on Wednesday in Oslo.
    early = meeting(start_time=datetime.time(0, 45), end_time=datetime.time(1, 45))
    moment = datetime.datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert schedule.next_occurrence(early, after=moment).start == oslo(2026, 11, 25, 0, 45)


def test_is_held_on_checks_weekday_validity_and_recurrence():
    fortnightly = meeting(recurrence=Recurrence.BIWEEKLY, anchor_date=datetime.date(2026, 11, 25))
    assert schedule.is_held_on(fortnightly, datetime.date(2026, 11, 25))
    assert not schedule.is_held_on(fortnightly, datetime.date(2026, 12, 2))
    assert not schedule.is_held_on(fortnightly, datetime.date(2026, 11, 26))


@pytest.mark.parametrize(
    ("codes", "expected"), [({"O"}, True), ({"C"}, False), ({"O", "C"}, False), ({"BE"}, None), (set(), None)]
)
def test_closed_wins_over_open(codes, expected):
    assert schedule.is_open(codes) is expected


def test_normalise_open_closed_drops_open_when_closed():
    assert schedule.normalise_open_closed(["O", "C", "X"]) == {"C", "X"}
    assert schedule.normalise_open_closed(["O", "X"]) == {"O", "X"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "FREQ=WEEKLY;BYDAY=WE"),
        (
            {"recurrence": Recurrence.BIWEEKLY, "anchor_date": datetime.date(2026, 11, 25)},
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
        ),
        ({"weekday": 1, "recurrence": Recurrence.MONTHLY, "week_of_month": 1}, "FREQ=MONTHLY;BYDAY=1MO"),
        ({"weekday": 1, "recurrence": Recurrence.MONTHLY, "week_of_month": -1}, "FREQ=MONTHLY;BYDAY=-1MO"),
        ({"valid_to": datetime.date(2027, 6, 30)}, "FREQ=WEEKLY;UNTIL=20270630T215959Z;BYDAY=WE"),
    ],
)
def test_rrule_text(fields, expected):
    assert schedule.rrule_text(meeting(**fields)) == expected


def test_first_occurrence_of_a_fortnightly_meeting_is_its_anchor():
    fortnightly = meeting(recurrence=Recurrence.BIWEEKLY, anchor_date=datetime.date(2026, 9, 2))
    assert schedule.first_occurrence(fortnightly).date == datetime.date(2026, 9, 2)


SHAPES = [{"weekday": weekday, "start_time": datetime.time(hour, 0)} for weekday in range(1, 8) for hour in (8, 19)] + [
    {"weekday": 3, "recurrence": Recurrence.BIWEEKLY, "anchor_date": datetime.date(2026, 11, 18)},
    {"weekday": 3, "recurrence": Recurrence.BIWEEKLY, "anchor_date": datetime.date(2026, 11, 25)},
    {"weekday": 5, "recurrence": Recurrence.BIWEEKLY, "anchor_date": datetime.date(2025, 1, 3)},
    {"weekday": 7, "recurrence": Recurrence.BIWEEKLY, "anchor_date": datetime.date(2026, 3, 29)},
    {"weekday": 3, "recurrence": Recurrence.BIWEEKLY},  # no anchor: never held
    {"weekday": 1, "recurrence": Recurrence.MONTHLY, "week_of_month": 1},
    {"weekday": 1, "recurrence": Recurrence.MONTHLY, "week_of_month": -1},
    {"weekday": 3, "recurrence": Recurrence.MONTHLY, "week_of_month": 4},
    {"weekday": 3, "recurrence": Recurrence.MONTHLY, "week_of_month": 4, "start_time": datetime.time(8, 0)},
    {"weekday": 6, "recurrence": Recurrence.MONTHLY, "week_of_month": 2},
    {"weekday": 3, "valid_to": datetime.date(2026, 11, 25)},
    {"weekday": 3, "valid_to": datetime.date(2026, 11, 24)},
    {"weekday": 4, "valid_to": datetime.date(2026, 11, 30)},
    {"weekday": 5, "valid_to": datetime.date(2026, 11, 26)},
    {"weekday": 5, "valid_from": datetime.date(2026, 11, 27)},
    {"weekday": 1, "recurrence": Recurrence.MONTHLY, "week_of_month": 1, "valid_to": datetime.date(2026, 12, 1)},
]


@pytest.mark.parametrize(
    "now",
    [
        oslo(2026, 11, 25, 12, 0),  # Wednesday noon, the fourth Wednesday of the month
        oslo(2026, 11, 30, 20, 0),  # the last Monday, after its evening meetings
        oslo(2026, 3, 29, 1, 0),  # the night summer time starts
        datetime.datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # already 1 January in Oslo
    ],
)
def test_sql_days_until_agrees_with_python(db, now):
    from tests.factories import MeetingFactory

    meetings = [MeetingFactory(**{"end_time": None, **shape}) for shape in SHAPES]
    rows = schedule.annotate_days_until(Meeting.objects.filter(pk__in=[m.pk for m in meetings]), now)
    in_sql = dict(rows.filter(days_until__isnull=False).values_list("pk", "days_until"))
    listed = set(rows.filter(schedule.has_next_date_q(now)).values_list("pk", flat=True))
    today = now.astimezone(OSLO).date()
    for m in meetings:
        occurrence = schedule.next_occurrence(m, after=now)
        expected = (occurrence.date - today).days if occurrence else None
        assert in_sql.get(m.pk) == expected, (m.weekday, m.recurrence, m.week_of_month, m.anchor_date, m.valid_to)
        # The cheap "has a next date" filter never drops a meeting that has one.
        assert expected is None or m.pk in listed


def test_sql_days_until_of_a_monthly_meeting_is_a_lower_bound_before_valid_from(db):
    from tests.factories import MeetingFactory

    now = oslo(2026, 11, 25, 12, 0)
    later = MeetingFactory(
        weekday=3, recurrence=Recurrence.MONTHLY, week_of_month=1, valid_from=datetime.date(2026, 12, 5)
    )
    days = schedule.annotate_days_until(Meeting.objects.filter(pk=later.pk), now).get().days_until
    assert days == 10
    assert (schedule.next_occurrence(later, after=now).date - now.date()).days == 42
