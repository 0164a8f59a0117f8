"""The feed passes the Meeting Guide spec's rules, and export → import → export gives the same feed."""

import datetime
import io
import json

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import CommandError, call_command

from registry import feed
from registry.models import AttendanceMode, Meeting, Recurrence, Status
from tests.factories import FellowshipFactory, GroupFactory, MeetingFactory
from tests.feed_spec import spec_problems

FEED_URL = "/meetings/feed.json"


@pytest.fixture(autouse=True)
def fresh_feed_cache():
    cache.clear()
    feed.clear_process_cache()


@pytest.fixture
def registry(db):
    """Meetings of every shape the feed has to carry."""
    na = FellowshipFactory(code="NA")
    krs = GroupFactory(name="Kristiansand AA")
    weekly = MeetingFactory(
        slug="krs-tirsdag", group=krs, notes="Ring på.\nAndre etasje.", latitude=58.14679, longitude=7.99561
    )
    weekly.types.set(["C", "BE", "X", "XB"])
    MeetingFactory(slug="krs-sondag", group=krs, weekday=7, start_time=datetime.time(23, 30), end_time=None).types.set(
        ["O", "SP"]
    )
    MeetingFactory(
        slug="na-online",
        group=GroupFactory(name="NA på nett", fellowship=na, municipality=None),
        name="NA på nett",
        attendance_mode=AttendanceMode.ONLINE,
        venue="",
        address="",
        postal_code="",
        municipality=None,
        conference_url="https://zoom.example.org/j/123",
        conference_url_notes="Passord 7",
        conference_phone="+4723000000,,123#",
        languages="nb,en",
    ).types.set(["O", "EN", "NO"])
    MeetingFactory(
        slug="bergen-hybrid",
        group=GroupFactory(name="Bergen NA", fellowship=na),
        attendance_mode=AttendanceMode.HYBRID,
        address="Kong Oscars gate 1",
        postal_code="5017",
        municipality_id="4601",
        conference_url="https://meet.example.org/bergen",
    ).types.set(["D"])
    MeetingFactory(
        slug="fortnightly",
        group=krs,
        recurrence=Recurrence.BIWEEKLY,
        anchor_date=datetime.date(2026, 1, 6),
        valid_from=datetime.date(2026, 1, 1),
        valid_to=datetime.date(2026, 12, 31),
    )
    MeetingFactory(slug="monthly-last-friday", group=krs, weekday=5, recurrence=Recurrence.MONTHLY, week_of_month=-1)
    MeetingFactory(slug="batsfjord", address="Strandveien 5", postal_code="9990", municipality_id="5632")
    MeetingFactory(slug="closed-for-now", group=krs, status=Status.TEMPORARILY_CLOSED)


def export(client) -> list[dict]:
    response = client.get(FEED_URL, HTTP_HOST="localhost")
    assert response.status_code == 200
    return json.loads(response.content)


def import_feed(path, *args):
    out = io.StringIO()
    call_command("import_meetings", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_feed_passes_the_spec_rules(client, registry):
    records = export(client)
    assert len(records) == 7
    assert spec_problems(records) == []


def test_the_spec_validator_catches_broken_feeds():
    broken = [
        {"name": "", "slug": "a b", "day": 7, "time": "7pm", "types": ["O", "C", "ZZ"], "timezone": "Oslo"},
        {"name": "x", "slug": "a b", "day": 1, "time": "19:00", "timezone": "Europe/Oslo", "address": "x"},
    ]
    problems = spec_problems(broken)
    for expected in ["name is required", "slug is not URL-safe", "day must be 0–6", "time must be HH:MM"]:
        assert any(expected in problem for problem in problems), expected
    assert any("unknown types" in problem for problem in problems)
    assert any("both open and closed" in problem for problem in problems)
    assert any("timezone" in problem for problem in problems)
    assert any("not unique" in problem for problem in problems)


def test_export_import_export_gives_the_same_feed(client, registry, tmp_path):
    first = export(client)
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")

    # Into the same registry: the meetings now belong to this source, and the listings stay as they were.
    with time_machine.travel(datetime.timedelta(hours=1)):
        assert "created: 0, updated: 7, unchanged: 0" in import_feed(path)
        assert "created: 0, updated: 0, unchanged: 7" in import_feed(path)
        assert export(client) == first

    # Into an empty registry: every meeting comes back the same.
    Meeting.objects.all().delete()
    assert "created: 7" in import_feed(path)
    second = export(client)
    assert second == first
    assert spec_problems(second) == []


def test_a_malformed_feed_changes_nothing_and_says_exactly_what_is_wrong(client, registry, tmp_path):
    before = export(client)
    broken = json.loads(json.dumps(before))
    broken[0]["day"] = 8
    broken[2]["time"] = "7 o'clock"
    broken[3]["types"] = ["O", "Karaoke"]
    broken[4]["conference_url"] = "zoom dot com"
    broken[4]["attendance_option"] = "online"
    for record in broken:
        record["name"] = record["name"] + " (endret)"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="4 problem\\(s\\) in 7 record\\(s\\).*Nothing was imported"):
        call_command("import_meetings", str(path), stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().strip().splitlines()
    slugs = [record["slug"] for record in before]
    assert lines[0] == f"record 1 (slug {slugs[0]}), day: “8” is not a day (0–6 with Sunday = 0, or a day name)."
    assert lines[1] == (
        f"record 3 (slug {slugs[2]}), time: “7 o'clock” is not a time (HH:MM, or 12-hour such as 6:30 PM)."
    )
    assert lines[2] == f"record 4 (slug {slugs[3]}), types: “Karaoke” is not a Meeting Guide type."
    assert lines[3].startswith(f"record 5 (slug {slugs[4]}), conference_url: ")
    assert len(lines) == 4
    assert export(client) == before
