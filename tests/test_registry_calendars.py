"""Calendar files read by real parsers: Mozilla's ical.js (Thunderbird, many web calendars; node runs it) and Python's
icalendar with dateutil's RRULE expansion, both using only the file's own VTIMEZONE. For weekly, fortnightly,
monthly-Nth and last-weekday meetings, across the spring and the autumn change, the first 8 occurrences must be the
dates the meeting page shows (registry.schedule), in UTC."""

import datetime
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import time_machine
from dateutil.rrule import rrulestr
from django.urls import reverse
from icalendar import Calendar

from registry import schedule
from registry.ical import oslo_timezone
from registry.models import Recurrence, Status
from tests.factories import MeetingFactory

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests/js/ical_occurrences.mjs"
COUNT = 8
# Before the spring change (28 March 2027) and before the autumn change (31 October 2027).
MOMENTS = [
    datetime.datetime(2027, 2, 15, 12, 0, tzinfo=datetime.UTC),
    datetime.datetime(2027, 9, 20, 12, 0, tzinfo=datetime.UTC),
]


@pytest.fixture
def meetings(db):
    return {
        "weekly": MeetingFactory(slug="weekly", weekday=2, start_time=datetime.time(19, 0)),
        "fortnightly": MeetingFactory(
            slug="fortnightly",
            weekday=7,
            # ical.js gives a time inside the spring gap (02:00–03:00 on that Sunday) the summer offset, where
            # RFC 5545 and the meeting page take the winter one: an hour apart for such a meeting on that one night.
            start_time=datetime.time(18, 0),
            recurrence=Recurrence.BIWEEKLY,
            anchor_date=datetime.date(2027, 1, 3),
        ),
        "monthly-second": MeetingFactory(
            slug="monthly-second", weekday=1, recurrence=Recurrence.MONTHLY, week_of_month=2
        ),
        "last-friday": MeetingFactory(
            slug="last-friday",
            weekday=5,
            start_time=datetime.time(23, 30),
            end_time=datetime.time(0, 30),
            recurrence=Recurrence.MONTHLY,
            week_of_month=-1,
        ),
        "last-sunday": MeetingFactory(  # on the very days of the changes
            slug="last-sunday",
            weekday=7,
            start_time=datetime.time(10, 0),
            recurrence=Recurrence.MONTHLY,
            week_of_month=-1,
        ),
    }


def page_dates(meeting, now) -> list[str]:
    return [
        occurrence.start.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for occurrence in schedule.occurrences(meeting, after=now, limit=COUNT)
    ]


def calendar_file(client, slug) -> bytes:
    response = client.get(reverse("registry:meeting_ics", kwargs={"slug": slug}))
    assert response.status_code == 200
    return response.content


def python_dates(content: bytes, now) -> list[str]:
    """icalendar parses; the file's VTIMEZONE (not the IANA database) turns wall-clock times into UTC."""
    calendar = Calendar.from_ical(content)
    (vtimezone,) = calendar.walk("VTIMEZONE")
    zone = vtimezone.to_tz()
    (event,) = calendar.walk("VEVENT")
    local_start = event.decoded("DTSTART").replace(tzinfo=None)
    rule = event["RRULE"].to_ical().decode()
    if "UNTIL" in rule:
        rule = rule.replace("Z", "")  # dateutil compares UNTIL with the naive local starts
    dates = []
    for start in rrulestr(rule, dtstart=local_start):
        moment = to_utc(start, zone)
        if moment >= now:
            dates.append(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if len(dates) == COUNT:
            break
    return dates


def to_utc(local: datetime.datetime, zone) -> datetime.datetime:
    """RFC 5545 3.3.5: a wall-clock time that does not exist (the spring gap) takes the offset from before the gap."""
    moment = local.replace(tzinfo=zone)
    if moment.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None) != local:
        before = (local - datetime.timedelta(hours=3)).replace(tzinfo=zone).utcoffset()
        return (local - before).replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def ical_js_dates(content: bytes, now, tmp_path) -> dict[str, list[str]]:
    node = shutil.which("node")
    assert node, "node is needed for the ical.js test (apt-get install nodejs; make assets installs ical.js)"
    path = tmp_path / "meeting.ics"
    path.write_bytes(content)
    after = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    completed = subprocess.run(  # noqa: S603 - our own script and file
        [node, str(SCRIPT), str(path), after, str(COUNT)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.mark.parametrize("now", MOMENTS, ids=["spring", "autumn"])
@pytest.mark.parametrize("slug", ["weekly", "fortnightly", "monthly-second", "last-friday", "last-sunday"])
def test_python_parsers_and_ical_js_give_the_meeting_pages_dates_in_utc(client, meetings, tmp_path, now, slug):
    with time_machine.travel(now, tick=False):
        content = calendar_file(client, slug)
        expected = page_dates(meetings[slug], now)
    assert len(expected) == COUNT
    assert python_dates(content, now) == expected
    (dates,) = ical_js_dates(content, now, tmp_path).values()
    assert dates == expected


def test_the_time_zone_is_yearly_rules_valid_every_year():
    text = oslo_timezone().to_ical().decode()
    assert "RDATE" not in text
    assert text.count("RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=") == 2
    assert "UNTIL" not in text


def test_summer_dates_in_2045_are_right_in_ical_js(client, db, tmp_path):
    MeetingFactory(slug="far", weekday=3, start_time=datetime.time(19, 0))
    now = datetime.datetime(2045, 6, 1, tzinfo=datetime.UTC)
    with time_machine.travel(now, tick=False):
        content = calendar_file(client, "far")
    (dates,) = ical_js_dates(content, now, tmp_path).values()
    assert dates[0] == "2045-06-07T17:00:00Z"  # 19:00 summer time


def test_an_ended_meetings_calendar_is_a_404_that_says_why(client, db):
    with time_machine.travel(datetime.datetime(2027, 5, 1, 12, 0, tzinfo=datetime.UTC), tick=False):
        MeetingFactory(slug="ended", name="Sluttet", valid_to=datetime.date(2027, 4, 1))
        response = client.get(reverse("registry:meeting_ics", kwargs={"slug": "ended"}))
    assert response.status_code == 404
    assert response.content.decode() == "Sluttet has no dates left: it has ended, so there is no calendar for it."


def test_an_inactive_meeting_with_dates_is_a_cancelled_event(client, db):
    MeetingFactory(slug="stopped", status=Status.INACTIVE)
    (event,) = Calendar.from_ical(calendar_file(client, "stopped")).walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"


@pytest.mark.parametrize("name", ["Møte\rBEGIN:VEVENT", "Møte\nSUMMARY:x", "Møte\x0bny\x07"])
def test_old_data_with_control_characters_cannot_inject_lines(client, db, name):
    meeting = MeetingFactory(slug="old")
    type(meeting).objects.filter(pk=meeting.pk).update(name=name, notes=f"Notat\r{name}")  # written before validation
    content = calendar_file(client, "old")
    lines = content.split(b"\r\n")
    assert b"\r" not in b"".join(lines) and all(b"\n" not in line for line in lines)
    assert sum(line == b"BEGIN:VEVENT" for line in lines) == 1
    assert sum(line.startswith(b"SUMMARY") for line in lines) == 1
    calendar = Calendar.from_ical(content)
    assert "\r" not in str(calendar["X-WR-CALNAME"])
