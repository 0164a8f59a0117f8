"""`import_meetings`: Meeting Guide JSON and 12 Step Meeting List CSV, spec variants, all-or-nothing validation."""

import datetime
import functools
import http.server
import io
import json
import threading

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.cache import cache
from django.core.management import CommandError, call_command

from registry import changes
from registry.importers import SourceError, import_meetings, parse_time
from registry.models import AttendanceMode, Group, Meeting, Status
from tests.factories import FellowshipFactory, GroupFactory, MeetingFactory


@pytest.fixture(autouse=True)
def fellowships(db):
    return FellowshipFactory(code="AA"), FellowshipFactory(code="NA")


def record(**overrides) -> dict:
    base = {
        "name": "Tirsdagsgruppa",
        "slug": "tirsdagsgruppa",
        "day": 2,
        "time": "19:00",
        "end_time": "20:30",
        "location": "Frivilligsentralen",
        "address": "Storgata 1",
        "postal_code": "4611",
        "city": "Kristiansand",
        "types": ["O", "D"],
        "group": "Kristiansand AA",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def feed_bytes(*records) -> bytes:
    return json.dumps(list(records)).encode()


def run_json(*records, **options):
    options.setdefault("source_name", "test-feed")
    return import_meetings(content=feed_bytes(*records), filename="feed.json", **options)


def write_feed(tmp_path, *records, name="feed.json"):
    path = tmp_path / name
    path.write_bytes(feed_bytes(*records))
    return path


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_meetings", *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- JSON ---------------------------------------------------------------------------------------------------


def test_json_import_creates_meetings_groups_and_types():
    result = run_json(record(), record(slug="onsdag", name="Onsdagsgruppa", day=3, types=["C", "BE"]))
    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged, result.groups_created) == (2, 0, 0, 1)
    meeting = Meeting.objects.get(slug="tirsdagsgruppa")
    assert meeting.weekday == 2
    assert (meeting.start_time, meeting.end_time) == (datetime.time(19), datetime.time(20, 30))
    assert meeting.municipality_id == "4204"
    assert meeting.venue == "Frivilligsentralen"
    assert meeting.group.name == "Kristiansand AA"
    assert meeting.group.fellowship.code == "AA"
    assert meeting.source == "test-feed"
    assert meeting.status == Status.ACTIVE
    assert meeting.attendance_mode == AttendanceMode.IN_PERSON
    assert sorted(meeting.types.values_list("code", flat=True)) == ["D", "O"]
    assert Group.objects.filter(name="Kristiansand AA").count() == 1


def test_reimporting_the_same_feed_changes_nothing():
    run_json(record(), record(slug="b", day=3))
    before = list(Meeting.objects.order_by("slug").values("slug", "updated_at"))
    result = run_json(record(), record(slug="b", day=3))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert list(Meeting.objects.order_by("slug").values("slug", "updated_at")) == before


def test_import_updates_in_place_by_slug_and_never_duplicates():
    run_json(record())
    result = run_json(record(name="Nytt navn", types=["O", "W"]))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    meeting = Meeting.objects.get(slug="tirsdagsgruppa")
    assert meeting.name == "Nytt navn"
    assert sorted(meeting.types.values_list("code", flat=True)) == ["O", "W"]
    assert Meeting.objects.count() == 1


def test_import_updates_a_meeting_created_by_hand_and_takes_it_into_the_source():
    MeetingFactory(slug="tirsdagsgruppa", name="Gammelt")
    result = run_json(record())
    assert result.updated == 1
    assert Meeting.objects.get(slug="tirsdagsgruppa").source == "test-feed"


def test_new_meetings_keep_the_sources_updated_time():
    run_json(record(updated="2024-03-01 08:30:00"))
    assert Meeting.objects.get().updated_at == datetime.datetime(2024, 3, 1, 8, 30, tzinfo=datetime.UTC)


def test_groups_are_matched_by_name_and_fellowship(fellowships):
    aa, na = fellowships
    existing = GroupFactory(name="Kristiansand AA", fellowship=aa)
    result = run_json(
        record(group="kristiansand aa"),
        record(slug="na-meeting", group="Kristiansand AA", fellowship="NA"),
    )
    assert result.groups_created == 1
    assert Meeting.objects.get(slug="tirsdagsgruppa").group == existing
    assert Meeting.objects.get(slug="na-meeting").group.fellowship == na


def test_fellowship_comes_from_the_record_the_entity_or_the_option(fellowships):
    aa, na = fellowships
    run_json(
        record(slug="by-key", fellowship="na", group="A"),
        record(slug="by-entity", entity="NA", group="B"),
        record(slug="by-default", entity="Intergruppe Sør", group="C"),
        fellowship_code="NA",
    )
    codes = dict(Meeting.objects.values_list("slug", "group__fellowship__code"))
    assert codes == {"by-key": "NA", "by-entity": "NA", "by-default": "NA"}
    run_json(record(slug="default-aa", group="D"))
    assert Meeting.objects.get(slug="default-aa").group.fellowship == aa


def test_an_unknown_default_fellowship_is_refused():
    with pytest.raises(SourceError, match="XYZ"):
        run_json(record(), fellowship_code="XYZ")


# --- Spec variants ------------------------------------------------------------------------------------------


def test_a_day_array_becomes_one_meeting_per_day_with_a_day_suffix():
    result = run_json(record(slug="daily", day=[1, 3, 0]))
    assert result.created == 3
    assert dict(Meeting.objects.values_list("slug", "weekday")) == {"daily-1": 1, "daily-3": 3, "daily-0": 7}
    again = run_json(record(slug="daily", day=[1, 3, 0]))
    assert again.unchanged == 3


def test_closed_wins_over_open():
    run_json(record(types=["O", "C", "BE"]))
    assert sorted(Meeting.objects.get().types.values_list("code", flat=True)) == ["BE", "C"]


def test_a_missing_end_time_means_one_hour():
    run_json(record(time="23:30", end_time=None))
    assert Meeting.objects.get().end_time == datetime.time(0, 30)


@pytest.mark.parametrize(
    ("day", "weekday"),
    [(0, 7), (6, 6), ("1", 1), ("Sunday", 7), ("monday", 1), ("Wed", 3), ("lørdag", 6), (3.0, 3)],
)
def test_day_may_be_a_number_a_digit_string_or_a_name(day, weekday):
    run_json(record(day=day))
    assert Meeting.objects.get().weekday == weekday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:00", datetime.time(18, 0)),
        ("6:00 PM", datetime.time(18, 0)),
        ("6:30pm", datetime.time(18, 30)),
        ("12:00 AM", datetime.time(0, 0)),
        ("12:15 PM", datetime.time(12, 15)),
        ("7 am", datetime.time(7, 0)),
        ("07:45:00", datetime.time(7, 45)),
        ("19.30", datetime.time(19, 30)),
        ("noon", datetime.time(12, 0)),
        ("24:00", datetime.time(0, 0)),
        ("25:00", None),
        ("13:00 PM", None),
        ("evening", None),
    ],
)
def test_times_may_be_24_hour_or_12_hour(text, expected):
    assert parse_time(text) == expected


def test_twelve_hour_times_are_imported():
    run_json(record(time="7:30 PM", end_time="9:00 PM"))
    meeting = Meeting.objects.get()
    assert (meeting.start_time, meeting.end_time) == (datetime.time(19, 30), datetime.time(21))


def test_integer_slugs_and_postal_codes_are_accepted():
    run_json(record(slug=1234, postal_code=4611))
    meeting = Meeting.objects.get()
    assert (meeting.slug, meeting.postal_code) == ("1234", "4611")


def test_municipality_is_found_from_the_postal_code_city_or_region():
    run_json(
        record(slug="by-postal-code", city="Feil by"),
        record(slug="by-city", postal_code=None, city="Bergen"),
        record(slug="by-region", postal_code=None, city=None, regions=["Vestland", "Bergen"]),
        record(
            slug="by-formatted",
            address=None,
            postal_code=None,
            city=None,
            formatted_address="Storgata 2, 9990 Båtsfjord, Norway",
        ),
    )
    places = dict(Meeting.objects.values_list("slug", "municipality__name"))
    assert places == {
        "by-postal-code": "Kristiansand",
        "by-city": "Bergen",
        "by-region": "Bergen",
        "by-formatted": "Båtsfjord",
    }
    assert Meeting.objects.get(slug="by-formatted").address == "Storgata 2"


def test_an_ambiguous_city_is_settled_by_its_county_or_reported():
    ok = run_json(record(postal_code=None, city="Herøy", regions=["Nordland"]))
    assert ok.ok, ok.problems
    assert Meeting.objects.get().municipality.county.name == "Nordland"
    result = run_json(record(slug="other", postal_code=None, city="Herøy"))
    assert [(p.field, "several municipalities" in p.message) for p in result.problems] == [("city", True)]


def test_attendance_comes_from_the_option_or_is_derived_from_address_and_link():
    run_json(
        record(slug="online", address=None, postal_code=None, city=None, conference_url="https://zoom.us/j/1"),
        record(slug="hybrid", conference_url="https://zoom.us/j/2"),
        record(slug="in-person"),
        record(slug="explicit", attendance_option="online", conference_phone="+4722000000"),
        record(slug="closed-venue", conference_url="https://zoom.us/j/3", types=["TC"]),
    )
    modes = dict(Meeting.objects.values_list("slug", "attendance_mode"))
    assert modes == {
        "online": "online",
        "hybrid": "hybrid",
        "in-person": "in_person",
        "explicit": "online",
        "closed-venue": "online",
    }


def test_attendance_option_inactive_imports_the_meeting_as_inactive():
    run_json(record(attendance_option="inactive"))
    assert Meeting.objects.get().status == Status.INACTIVE


def test_approximate_coordinates_are_not_stored_as_the_meetings_own():
    run_json(
        record(slug="exact", latitude=58.1, longitude=8.0),
        record(slug="approximate", latitude=58.1, longitude=8.0, approximate="yes"),
        record(slug="none"),
    )
    coordinates = {slug: (lat, lon) for slug, lat, lon in Meeting.objects.values_list("slug", "latitude", "longitude")}
    assert coordinates == {"exact": (58.1, 8.0), "approximate": (None, None), "none": (None, None)}


def test_csv_like_extensions_recurrence_and_languages_are_imported():
    run_json(
        record(slug="monthly", recurrence="monthly", week_of_month=-1, languages=["nb", "en"]),
        record(slug="fortnightly", recurrence="biweekly", anchor_date="2026-01-06", day=2),
    )
    monthly = Meeting.objects.get(slug="monthly")
    assert (monthly.recurrence, monthly.week_of_month, monthly.languages) == ("monthly", -1, "nb,en")
    assert Meeting.objects.get(slug="fortnightly").anchor_date == datetime.date(2026, 1, 6)


# --- CSV (12 Step Meeting List template) --------------------------------------------------------------------

TSML_HEADER = (
    "Time,End Time,Day,Name,Location,Address,Region,Sub Region,Types,Notes,Location Notes,Timezone,Group,District,"
    "Sub District,Website,Website 2,Mailing Address,Venmo,Email,Phone,Group Notes,Contact 1 Name,Contact 1 Email,"
    "Contact 1 Phone,Contact 2 Name,Contact 2 Email,Contact 2 Phone,Contact 3 Name,Contact 3 Email,Contact 3 Phone,"
    "Last Contact,Conference URL,Conference Phone,Author,Slug,Updated"
)


def tsml_row(**cells) -> str:
    columns = TSML_HEADER.split(",")
    values = {"Time": "6:00 PM", "Day": "Monday", "Name": "Mandagsmøtet", "Timezone": "Europe/Oslo"}
    values.update(cells)
    return ",".join(f'"{values.get(column, "")}"' for column in columns)


def test_csv_in_the_12_step_meeting_list_template_is_imported(tmp_path):
    path = tmp_path / "meetings.csv"
    path.write_text(
        "\n".join(
            [
                TSML_HEADER,
                tsml_row(
                    Location="Kirkens bymisjon",
                    Address="Gyldenløves gate 1, 4611 Kristiansand, Norway",
                    Region="Agder",
                    **{"Sub Region": "Kristiansand"},
                    Types="Open, Wheelchair Access, Step Meeting",
                    Group="Mandagsgruppa",
                    Website="https://mandag.example.org/",
                    Slug="mandagsmotet",
                    Updated="2020-04-0416:50:58",
                    **{"End Time": "7:30 PM"},
                ),
                tsml_row(
                    Time="8:00 AM",
                    Day="Sunday",
                    Name="Søndag på nett",
                    Address="Bergen, Norway",
                    Types="Closed, Open, Online Meeting",
                    **{"Conference URL": "https://zoom.us/j/99"},
                    Slug="sondag-nett",
                ),
            ]
        ),
        encoding="utf-8",
    )
    out, _ = call(path)
    assert "created: 2, updated: 0, unchanged: 0" in out
    monday = Meeting.objects.get(slug="mandagsmotet")
    assert (monday.weekday, monday.start_time, monday.end_time) == (1, datetime.time(18), datetime.time(19, 30))
    assert (monday.address, monday.postal_code, monday.municipality_id) == ("Gyldenløves gate 1", "4611", "4204")
    assert sorted(monday.types.values_list("code", flat=True)) == ["O", "ST", "X"]
    assert monday.group.website == "https://mandag.example.org/"
    assert monday.updated_at == datetime.datetime(2020, 4, 4, 16, 50, 58, tzinfo=datetime.UTC)
    sunday = Meeting.objects.get(slug="sondag-nett")
    assert (sunday.weekday, sunday.start_time) == (7, datetime.time(8))
    assert sunday.attendance_mode == AttendanceMode.ONLINE
    assert sunday.municipality.name == "Bergen"
    assert list(sunday.types.values_list("code", flat=True)) == ["C"]


def test_csv_with_semicolons_and_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "excel.csv"
    text = "Time;Day;Name;Address;Types;Slug\n19:00;Tuesday;Tirsdag;Storgata 1, 4611 Kristiansand;Open;tirsdag\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    out, _ = call(path)
    assert "created: 1" in out


def test_an_unknown_type_name_in_a_csv_is_reported_with_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        TSML_HEADER + "\n" + tsml_row(Address="Storgata 1, 4611 Kristiansand", Types="Open, Karaoke", Slug="x")
    )
    with pytest.raises(CommandError):
        call(path)
    _, err = call_safely(path)
    assert "row 2 (slug x), types: “Karaoke” is not a Meeting Guide type." in err


def call_safely(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_meetings", *[str(arg) for arg in args], stdout=out, stderr=err)
    except CommandError as error:
        err.write(f"\n{error}")
    return out.getvalue(), err.getvalue()


# --- The command: dry run, deactivation, output -------------------------------------------------------------


def test_command_prints_counts(tmp_path):
    path = write_feed(tmp_path, record(), record(slug="b"))
    out, _ = call(path)
    assert "2 record(s) read" in out
    assert "created: 2, updated: 0, unchanged: 0, deactivated: 0, new groups: 1" in out
    out, _ = call(path)
    assert "created: 0, updated: 0, unchanged: 2" in out


def test_dry_run_prints_the_same_counts_and_writes_nothing(tmp_path):
    MeetingFactory(slug="b", name="Gammelt")
    path = write_feed(tmp_path, record(), record(slug="b"))
    out, _ = call(path, "--dry-run")
    assert "created: 1, updated: 1, unchanged: 0" in out
    assert "dry run: nothing was written" in out
    assert Meeting.objects.count() == 1
    assert Meeting.objects.get().name == "Gammelt"


def test_deactivate_missing_marks_only_this_sources_absent_meetings_inactive(tmp_path):
    path = write_feed(tmp_path, record(slug="a"), record(slug="b"), record(slug="c"))
    call(path, "--source-name", "intergruppe-sor")
    other = MeetingFactory(slug="hand-made")
    path = write_feed(tmp_path, record(slug="a"))
    out, _ = call(path, "--source-name", "intergruppe-sor", "--deactivate-missing")
    assert "deactivated: 2" in out
    statuses = dict(Meeting.objects.values_list("slug", "status"))
    assert statuses == {"a": "active", "b": "inactive", "c": "inactive", "hand-made": "active"}
    other.refresh_from_db()
    assert other.status == Status.ACTIVE


def test_without_deactivate_missing_absent_meetings_stay(tmp_path):
    call(write_feed(tmp_path, record(slug="a"), record(slug="b")), "--source-name", "s")
    out, _ = call(write_feed(tmp_path, record(slug="a")), "--source-name", "s")
    assert "deactivated: 0" in out
    assert Meeting.objects.filter(status=Status.ACTIVE).count() == 2


# --- Invalid records: say exactly what is wrong, write nothing ----------------------------------------------


def test_any_invalid_record_stops_the_import_with_position_slug_and_field(tmp_path):
    MeetingFactory(slug="existing", name="Urørt")
    path = write_feed(
        tmp_path,
        record(slug="good"),
        record(slug="existing", name="Endret"),
        record(slug="bad-day", day=9),
        record(slug="Bad Slug!"),
        record(slug="no-address", address=None, postal_code=None, city=None),
        record(slug="bad-link", attendance_option="online", conference_url="not a url"),
        "not an object",
    )
    with pytest.raises(CommandError, match="Nothing was imported"):
        call(path)
    _, err = call_safely(path)
    assert "record 3 (slug bad-day), day: “9” is not a day" in err
    assert "record 4 (slug Bad Slug!), slug:" in err
    assert "record 5 (slug no-address), address: An address is required" in err
    assert "record 5 (slug no-address), city: A municipality is required" in err
    assert "record 6 (slug bad-link), conference_url:" in err
    assert "record 7, record: must be an object, not a string." in err
    assert Meeting.objects.count() == 1
    assert Meeting.objects.get().name == "Urørt"
    assert not Meeting.objects.filter(slug="good").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": None}, "slug", "is required"),
        ({"slug": "x" * 65}, "slug", "at most 64"),
        ({"name": None}, "name", "is required"),
        ({"day": None}, "day", "is required"),
        ({"day": True}, "day", "is not a day"),
        ({"time": "25:61"}, "time", "is not a time"),
        ({"end_time": "soon"}, "end_time", "is not a time"),
        ({"end_time": "19:00"}, "end_time", "must differ"),
        ({"types": ["O", "ZZZ"]}, "types", "is not a Meeting Guide type"),
        ({"types": "O"}, None, None),
        ({"postal_code": "12345"}, "postal_code", "four digits"),
        ({"postal_code": "0000"}, "postal_code", "is not a Norwegian postal code"),
        ({"latitude": "north"}, "latitude", "is not a number"),
        ({"latitude": 95, "longitude": 10}, "latitude", "90"),
        ({"latitude": 60}, "longitude", "both latitude and longitude"),
        ({"timezone": "America/New_York"}, "timezone", "Europe/Oslo"),
        ({"attendance_option": "sometimes"}, "attendance_option", "in_person, online, hybrid"),
        ({"fellowship": "XX"}, "fellowship", "is not a fellowship"),
        ({"updated": "yesterday"}, "updated", "is not a UTC time"),
        ({"name": {"nb": "x"}}, "name", "must be text"),
        ({"notes": "x" * 10_001}, "notes", "at most 10000"),
        ({"notes": "a\x00b"}, "notes", "NUL"),
        ({"recurrence": "biweekly"}, "anchor_date", "needs one date"),
        ({"recurrence": "monthly"}, "week_of_month", "needs the week"),
        ({"languages": "norsk"}, "languages", "language code"),
        ({"website": "javascript:alert(1)"}, "website", "not a web address"),
    ],
)
def test_each_invalid_field_is_named(overrides, field, message):
    result = run_json(record(**overrides))
    if field is None:
        assert result.ok, result.problems
        return
    assert not result.ok
    assert any(problem.field == field and message in problem.message for problem in result.problems), [
        str(problem) for problem in result.problems
    ]
    assert Meeting.objects.count() == 0


def test_duplicate_slugs_in_one_file_are_reported():
    result = run_json(record(), record(day=3))
    assert [str(problem) for problem in result.problems] == [
        "record 2 (slug tirsdagsgruppa), slug: is used twice; first by record 1."
    ]


# --- Hostile input: a clear error, nothing written, no traceback --------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"[{]", "Not valid JSON"),
        (b'{"meetings": []}', "JSON array"),
        (b'"just text"', "JSON array"),
        (b"[" * 100_000 + b"]" * 100_000, "Not valid JSON"),
        ('[{"name": "Møte"}]'.encode("latin-1"), "not UTF-8"),
        (b"Time,Day,Name\x00,Slug\n", "NUL"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (b"just some words\nand more", "no header row"),
        (b"[1e99999999]", None),
    ],
)
def test_hostile_sources_are_refused_with_a_clear_error(tmp_path, content, message):
    path = tmp_path / ("hostile.csv" if message == "no header row" else "hostile.json")
    path.write_bytes(content)
    out, err = call_safely(path)
    assert "Traceback" not in err
    if message:
        assert message in err
        assert "Nothing was imported" in err
    assert Meeting.objects.count() == 0


def test_a_csv_cell_larger_than_the_field_limit_is_refused(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(TSML_HEADER + "\n" + tsml_row(Notes="x" * 200_000, Slug="x"))
    _, err = call_safely(path)
    assert "cannot be read" in err
    assert Meeting.objects.count() == 0


def test_a_source_over_the_size_limit_is_refused(tmp_path):
    path = write_feed(tmp_path, record())
    _, err = call_safely(path, "--max-bytes", "10")
    assert "the limit is 10" in err
    assert Meeting.objects.count() == 0


def test_a_missing_file_is_reported(tmp_path):
    _, err = call_safely(tmp_path / "nowhere.json")
    assert "no such file" in err


# --- URL source ---------------------------------------------------------------------------------------------


@pytest.fixture
def http_server(tmp_path):
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def test_a_feed_is_imported_from_a_url(tmp_path, http_server):
    write_feed(tmp_path, record(), record(slug="b"), name="feed.json")
    out, _ = call(f"{http_server}/feed.json", "--source-name", "remote")
    assert "created: 2" in out
    assert set(Meeting.objects.values_list("source", flat=True)) == {"remote"}


def test_a_url_that_fails_is_reported_without_writing(http_server):
    _, err = call_safely(f"{http_server}/missing.json")
    assert "HTTP 404" in err
    assert Meeting.objects.count() == 0


def test_only_http_urls_are_fetched():
    _, err = call_safely("ftp://127.0.0.1/feed.json")
    assert "only http and https" in err


# --- Side effects: history, feed cache, query count ---------------------------------------------------------


def test_import_records_history_for_created_and_changed_meetings():
    run_json(record())
    run_json(record(name="Nytt navn"))
    meeting = Meeting.objects.get()
    entries = LogEntry.objects.get_for_object(meeting).order_by("timestamp")
    assert [entry.action for entry in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert entries[1].changes_dict["name"] == ["Tirsdagsgruppa", "Nytt navn"]


def test_import_drops_the_cached_feed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_json(record())
    generation = cache.get(changes.GENERATION.key)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_json(record(name="Endret"))
    assert len(callbacks) == 1
    assert cache.get(changes.GENERATION.key) != generation


def test_import_query_count_does_not_grow_with_the_number_of_records():
    small = [record(slug=f"s-{index}", group=f"G{index}", types=["O", "D"]) for index in range(5)]
    large = [record(slug=f"l-{index}", group=f"H{index}", types=["C", "W", "BE"]) for index in range(60)]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run_json(record(slug="warm-up", group="W"))  # content types and other per-process caches
    with CaptureQueriesContext(connection) as small_queries:
        run_json(*small)
    with CaptureQueriesContext(connection) as large_queries:
        run_json(*large)
    # The same statements; only SQLite splits big inserts into more batches (999 parameters per query).
    assert len(large_queries) <= len(small_queries) + 4
    if connection.vendor == "postgresql":
        assert len(large_queries) == len(small_queries)
    with CaptureQueriesContext(connection) as reimport:
        result = run_json(*large)
    assert result.unchanged == 60
    assert len(reimport) <= 12


def test_taking_a_meeting_into_a_source_keeps_its_updated_time():
    with time_machine.travel(datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC), tick=False):
        MeetingFactory(slug="tirsdagsgruppa", end_time=None)
    meeting = Meeting.objects.get()
    meeting.types.set(["O", "C"])
    same_listing = record(
        name=meeting.name,
        time="19:00",
        end_time="20:00",
        location=meeting.venue,
        address=meeting.address,
        group=meeting.group.name,
        types=["C"],
    )
    result = run_json(same_listing)
    assert result.updated == 1
    meeting.refresh_from_db()
    assert meeting.source == "test-feed"
    assert meeting.updated_at == datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)
    assert run_json(same_listing).unchanged == 1


# --- Control characters, NUL and what our own feed adds -----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Møte\rBEGIN:VEVENT", "Remove the line break or other control character"),
        ("name", "Møte\nto linjer", "Remove the line break or other control character"),
        ("location", "Kirke\x1b[31m", "Remove the line break or other control character"),
        ("notes", "Ring\x07på", "Remove the control character"),
        ("group", "Grup\rpe", "Remove the line break or other control character"),
        ("group_notes", "No\x0btat", "Remove the control character"),
    ],
)
def test_control_characters_are_refused_naming_the_record_and_field(field, value, message):
    result = run_json(record(**{field: value}))
    assert [(problem.slug, problem.field) for problem in result.problems] == [("tirsdagsgruppa", field)]
    assert result.problems[0].message.startswith(message)
    assert Meeting.objects.count() == 0


def test_line_breaks_in_notes_are_kept():
    assert run_json(record(notes="Ring på.\r\nAndre etasje.\n\tBak")).ok
    assert Meeting.objects.get().notes == "Ring på.\r\nAndre etasje.\n\tBak"


@pytest.mark.parametrize("where", ["country", "unknown_key", "types"])
def test_a_nul_anywhere_in_a_record_refuses_it_even_in_a_field_that_is_not_read(where):
    value = ["O", "\x00"] if where == "types" else "\x00"
    result = run_json(record(**{where: value}))
    assert [(problem.field, problem.message) for problem in result.problems] == [(where, "contains a NUL character.")]
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize(
    ("extra", "name", "notes"),
    [
        (
            {"recurrence": "biweekly", "anchor_date": "2026-01-06"},
            "Tirsdagsgruppa (annenhver uke)",
            "Annenhver uke, i takt med 6. januar 2026.\nRing på.",
        ),
        (
            {"recurrence": "monthly", "week_of_month": -1},
            "Tirsdagsgruppa (siste tirsdag i måneden)",
            "Bare siste tirsdag i måneden.",
        ),
    ],
)
def test_the_rhythm_our_feed_adds_to_name_and_notes_is_taken_off_again(extra, name, notes):
    assert run_json(record(name=name, notes=notes, **extra)).ok
    meeting = Meeting.objects.get()
    assert meeting.name == "Tirsdagsgruppa"
    assert meeting.notes == ("Ring på." if "Ring" in notes else "")


def test_a_weekly_meeting_keeps_a_name_that_happens_to_end_like_a_rhythm():
    assert run_json(record(name="Tirsdagsgruppa (annenhver uke)")).ok
    assert Meeting.objects.get().name == "Tirsdagsgruppa (annenhver uke)"


def test_group_notes_website_and_contact_are_imported_for_a_new_group():
    assert run_json(record(group_notes="Siden 1985.", website="https://aa.example.org/", email="aa@example.org")).ok
    group = Group.objects.get(name="Kristiansand AA")
    assert (group.notes, group.website, group.contact) == ("Siden 1985.", "https://aa.example.org/", "aa@example.org")


def test_a_day_written_with_a_superscript_digit_is_refused_not_a_crash():
    result = run_json(record(day="²"))
    assert [problem.field for problem in result.problems] == ["day"]


def test_import_meetings_prints_progress_when_asked(tmp_path):
    path = write_feed(tmp_path, record(), record(slug="annen", name="Annen"))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_meetings", str(path), "--progress", stdout=out, stderr=err)
    assert err.getvalue().splitlines() == [
        "Checked 2 of 2 records",
        "Comparing 2 meetings with the registry",
        "Writing 2 changes",
    ]


def test_the_import_service_refuses_a_plan_with_problems_and_writes_nothing():
    from django.core.exceptions import ValidationError

    from registry import services
    from registry.importers.parse import parse_content
    from registry.importers.plan import plan_import

    _format, records = parse_content(feed_bytes(record(day=9)))
    plan = plan_import(records, source_name="test-feed")
    assert plan.problems
    with pytest.raises(ValidationError):
        services.meetings_import(plan=plan, actor=None)
    assert Meeting.objects.count() == 0


def test_a_csv_cell_with_a_carriage_return_in_a_name_is_refused_naming_the_row():
    content = "\n".join(
        [
            TSML_HEADER,
            tsml_row(Name="Mandag\rBEGIN:VEVENT", Address="Gyldenløves gate 1, 4611 Kristiansand, Norway", Slug="m"),
        ]
    ).encode()
    result = import_meetings(content=content, filename="meetings.csv", source_name="csv")
    assert [(problem.position, problem.field) for problem in result.problems] == [("row 2", "name")]
    assert Meeting.objects.count() == 0
