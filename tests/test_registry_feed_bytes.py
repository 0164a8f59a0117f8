"""The feed's exact bytes for records that take every branch of the record builder, on PostgreSQL (one streamed
query, values formatted by PostgreSQL) and elsewhere (values formatted in Python).

A faster build (issue 15) must not change a byte: the expected body (tests/data/feed_tricky_records.json) was written
by the build before that work, so key order, escaping, rounding and the formatting of times, timestamps and dates are
all pinned.
"""

import datetime
import gzip
from pathlib import Path

import pytest
from django.db import connection

from registry import feed
from registry.models import AttendanceMode, Meeting, Recurrence
from tests.factories import FellowshipFactory, GroupFactory, MeetingFactory, municipality

BASE_URL = "http://testserver/"
AWKWARD = 'Quote " backslash \\ line\nbreak tab\t bell\x07 </script> æøå 🙂 },{"name":"x"}'


@pytest.fixture
def tricky(db):
    """Meetings that take every branch of the builder, with fixed times of change."""
    fellowship = FellowshipFactory(code="AA")
    mailed = GroupFactory(
        name="Gruppe e-post", fellowship=fellowship, contact="aa@example.org", website="https://a.example/"
    )
    phoned = GroupFactory(name=AWKWARD, fellowship=fellowship, contact="+47 400 00 000", notes=AWKWARD)
    MeetingFactory(
        slug="a-late",
        group=mailed,
        name="Sent",
        weekday=7,
        start_time=datetime.time(23, 30, 15),
        end_time=None,
        languages="nb,en",
        latitude=58.1461549999,
        longitude=7.9956450001,
    )
    MeetingFactory(
        slug="b-biweekly",
        group=mailed,
        name="Annenhver",
        weekday=3,
        recurrence=Recurrence.BIWEEKLY,
        anchor_date=datetime.date(2026, 1, 7),
        notes="Første linje.",
        valid_from=datetime.date(2000, 1, 1),
        valid_to=datetime.date(2999, 12, 31),
    )
    MeetingFactory(
        slug="c-monthly",
        group=phoned,
        name="Siste",
        weekday=5,
        recurrence=Recurrence.MONTHLY,
        week_of_month=-1,
        municipality=municipality("0301"),
        address="Storgata 1",
        postal_code="0155",
    )
    online = MeetingFactory(
        slug="d-online",
        group=phoned,
        name=AWKWARD,
        notes=AWKWARD,
        attendance_mode=AttendanceMode.ONLINE,
        venue="",
        address="",
        postal_code="",
        municipality=None,
        conference_url="https://meet.example.org/x?a=1&b=2",
        conference_url_notes=AWKWARD,
        conference_phone="+47 22-33 44 55,,123#",
        conference_phone_notes="PIN 123",
        location_notes=AWKWARD,
    )
    online.types.set(["O", "C", "X"])
    MeetingFactory(slug="e-centre", group=mailed, name="Bare kommunen", address="", postal_code="9990",
                   municipality=municipality("5632")).types.set(["O"])  # fmt: skip
    # Microseconds, which the feed drops, and a moment whose local date is not its UTC date.
    Meeting.objects.update(updated_at=datetime.datetime(2026, 3, 28, 23, 59, 59, 999999, tzinfo=datetime.UTC))
    Meeting.objects.filter(slug="a-late").update(
        updated_at=datetime.datetime(2026, 10, 25, 1, 30, 0, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    )


# Written by the build before issue 15's speed-up work (commit b306e23), identical on PostgreSQL and SQLite.
EXPECTED = (Path(__file__).parent / "data" / "feed_tricky_records.json").read_bytes()


def test_the_body_is_byte_for_byte_what_the_build_before_issue_15_wrote(client, tricky):
    response = client.get("/meetings/feed.json", HTTP_ACCEPT_ENCODING="gzip")

    assert gzip.decompress(response.content) == EXPECTED


def test_a_build_from_nothing_gives_the_same_bytes(tricky):
    entry = feed.build_feed_entry(base_url=BASE_URL, generation="check", today=feed.feed_today())

    assert entry.body == EXPECTED
    assert entry.body_length == len(EXPECTED)
    assert entry.meeting_count == 5


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's date style")
def test_the_timestamps_are_iso_whatever_date_style_the_session_has(tricky):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL DateStyle = 'SQL, DMY'")
    entry = feed.build_feed_entry(base_url=BASE_URL, generation="check", today=feed.feed_today())

    assert entry.body == EXPECTED
