"""Calendar months in Oslo time."""

import datetime

import pytest
import time_machine

from core.periods import BadMonth, add_months, current_month, month_range, parse_month, previous_month


def test_parse_month_reads_year_and_month():
    assert parse_month("2026-10") == datetime.date(2026, 10, 1)


@pytest.mark.parametrize("value", ["", "2026-13", "2026-00", "26-10", "2026/10", "October", "1999-12", "2026-10-01"])
def test_parse_month_refuses_what_is_not_a_month(value):
    with pytest.raises(BadMonth):
        parse_month(value)


def test_add_months_crosses_years():
    assert add_months(datetime.date(2026, 1, 1), -1) == datetime.date(2025, 12, 1)
    assert add_months(datetime.date(2025, 11, 1), 14) == datetime.date(2027, 1, 1)


def test_month_range_ends_with_the_given_month():
    months = month_range(datetime.date(2026, 2, 1), 3)

    assert months == [datetime.date(2025, 12, 1), datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]


@time_machine.travel(datetime.datetime(2026, 10, 31, 23, 30, tzinfo=datetime.UTC), tick=False)
def test_previous_month_is_counted_in_oslo_time_not_utc():
    # 23:30 UTC on 31 October is 00:30 on 1 November in Oslo: the previous month is October.
    assert current_month() == datetime.date(2026, 11, 1)
    assert previous_month() == datetime.date(2026, 10, 1)


@time_machine.travel(datetime.datetime(2026, 3, 31, 21, 59, tzinfo=datetime.UTC), tick=False)
def test_previous_month_on_the_last_evening_of_a_summer_time_month():
    # 21:59 UTC on 31 March is 23:59 Oslo summer time: still March, so the previous month is February.
    assert previous_month() == datetime.date(2026, 2, 1)
