"""The curators' six-month rule (core/freshness.py), the same in Python and in SQL."""

import datetime

import pytest

from core.freshness import is_stale, stale_q
from registry.models import Meeting
from tests.factories import MeetingFactory

NOW = datetime.datetime(2026, 10, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("last_verified_at", "stale"),
    [
        (None, True),
        (NOW - datetime.timedelta(days=181), False),
        (NOW - datetime.timedelta(days=182), False),
        (NOW - datetime.timedelta(days=182, seconds=1), True),
        (NOW - datetime.timedelta(days=400), True),
    ],
)
def test_stale_means_never_verified_or_not_in_the_last_six_months(last_verified_at, stale):
    assert is_stale(last_verified_at, NOW) is stale


def test_the_filter_selects_the_same_meetings_as_the_rule(db):
    ages = [None, 10, 181, 183, 500]
    for age in ages:
        MeetingFactory(last_verified_at=None if age is None else NOW - datetime.timedelta(days=age))
    selected = set(Meeting.objects.filter(stale_q(NOW)).values_list("pk", flat=True))
    expected = {meeting.pk for meeting in Meeting.objects.all() if is_stale(meeting.last_verified_at, NOW)}
    assert selected == expected
    assert len(selected) == 3
