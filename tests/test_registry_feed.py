"""GET /meetings/feed.json: the Meeting Guide feed, its shared cache, conditional GET and stored gzip copy."""

import datetime
import gc
import gzip
import json

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils.http import http_date

from core.generations import is_private
from registry import changes, feed
from registry.models import AttendanceMode, Meeting, MeetingType, Municipality, Recurrence, Status
from tests.factories import FellowshipFactory, GroupFactory, MeetingFactory

FEED_URL = "/meetings/feed.json"
DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}}


@pytest.fixture(autouse=True)
def fresh_feed_cache():
    cache.clear()
    feed.clear_process_cache()
    yield
    cache.clear()
    feed.clear_process_cache()


def get_feed(client, **headers):
    response = client.get(FEED_URL, **headers)
    assert response.status_code == 200
    return response


def feed_by_slug(client) -> dict:
    return {record["slug"]: record for record in get_feed(client).json()}


def test_feed_url_is_named_and_not_taken_for_a_slug(db):
    assert reverse("registry:meeting_feed") == FEED_URL


def test_feed_lists_only_active_meetings(client, db):
    MeetingFactory(slug="open-one")
    MeetingFactory(slug="closed-for-now", status=Status.TEMPORARILY_CLOSED)
    MeetingFactory(slug="gone", status=Status.INACTIVE)
    assert set(feed_by_slug(client)) == {"open-one"}


@pytest.mark.parametrize(
    ("weekday", "day"),
    [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 0)],
)
def test_feed_day_counts_from_sunday_as_zero(client, db, weekday, day):
    MeetingFactory(slug="m", weekday=weekday)
    assert feed_by_slug(client)["m"]["day"] == day


def test_feed_times_are_hh_mm_and_a_missing_end_is_one_hour_later(client, db):
    MeetingFactory(slug="evening", start_time=datetime.time(9, 5), end_time=datetime.time(10, 30))
    MeetingFactory(slug="late", start_time=datetime.time(23, 30), end_time=None)
    records = feed_by_slug(client)
    assert (records["evening"]["time"], records["evening"]["end_time"]) == ("09:05", "10:30")
    assert (records["late"]["time"], records["late"]["end_time"]) == ("23:30", "00:30")
    assert records["late"]["timezone"] == "Europe/Oslo"


def test_feed_types_are_sorted_codes_and_closed_wins_over_open(client, db):
    both = MeetingFactory(slug="both")
    both.types.set(["O", "C", "BE", "X"])
    open_only = MeetingFactory(slug="open")
    open_only.types.set(["O"])
    records = feed_by_slug(client)
    assert records["both"]["types"] == ["BE", "C", "X"]
    assert records["open"]["types"] == ["O"]


def test_feed_place_fields_and_regions_come_from_the_municipality(client, db):
    MeetingFactory(slug="krs", venue="Kirkens bymisjon", address="Gyldenløves gate 1", postal_code="4611")
    record = feed_by_slug(client)["krs"]
    assert record["location"] == "Kirkens bymisjon"
    assert record["address"] == "Gyldenløves gate 1"
    assert record["postal_code"] == "4611"
    assert record["city"] == "Kristiansand"
    assert record["country"] == "NO"
    assert record["formatted_address"] == "Gyldenløves gate 1, 4611 Kristiansand, Norway"
    assert record["regions"] == ["Agder", "Kristiansand"]


def test_each_meeting_in_one_feed_gets_its_own_municipalitys_regions_and_place(client, db):
    """Regions are worked out once per municipality in a build: meetings elsewhere in the same feed keep theirs."""
    MeetingFactory(slug="krs", address="Gyldenløves gate 1", postal_code="4611")
    MeetingFactory(slug="oslo", address="Storgata 1", postal_code="0155", municipality_id="0301")
    MeetingFactory(slug="krs-2", address="Markens gate 2", postal_code="", municipality_id="4204")
    MeetingFactory(
        slug="online", attendance_mode=AttendanceMode.ONLINE, address="", postal_code="", municipality=None,
        conference_url="https://meet.example.org/x",
    )  # fmt: skip
    records = feed_by_slug(client)
    assert {slug: record["regions"] for slug, record in records.items()} == {
        "krs": ["Agder", "Kristiansand"],
        "krs-2": ["Agder", "Kristiansand"],
        "oslo": ["Oslo"],
        "online": [],
    }
    assert records["krs-2"]["formatted_address"] == "Markens gate 2, Kristiansand, Norway"
    assert records["oslo"]["formatted_address"] == "Storgata 1, 0155 Oslo, Norway"
    assert "formatted_address" not in records["online"]


def test_a_build_leaves_the_cycle_collector_as_it_found_it(db):
    MeetingFactory()
    assert gc.isenabled()
    feed.build_feed_entry(base_url="http://testserver/", generation="check", today=feed.feed_today())
    assert gc.isenabled()
    gc.disable()
    try:
        feed.build_feed_entry(base_url="http://testserver/", generation="check", today=feed.feed_today())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_feed_coordinates_are_the_meetings_own_and_a_municipality_centre_is_only_our_own_key(client, db):
    kristiansand = Municipality.objects.get(number="4204")
    MeetingFactory(slug="pinned", latitude=58.1467891, longitude=7.9956123)
    MeetingFactory(slug="unpinned")
    records = feed_by_slug(client)
    assert (records["pinned"]["latitude"], records["pinned"]["longitude"]) == (58.14679, 7.99561)
    # `approximate` is about the address (the spec): both have a street address, so neither looks inactive.
    assert records["pinned"]["approximate"] == "no"
    assert records["unpinned"]["approximate"] == "no"
    assert "latitude" not in records["unpinned"]
    assert records["unpinned"]["municipality_centre"] == [
        round(kristiansand.latitude, 5),
        round(kristiansand.longitude, 5),
    ]
    assert "municipality_centre" not in records["pinned"]


def test_oslo_is_one_region_level_not_two(client, db):
    MeetingFactory(slug="oslo", address="Storgata 1", postal_code="0155", municipality_id="0301")
    assert feed_by_slug(client)["oslo"]["regions"] == ["Oslo"]


def test_conference_phone_has_only_digits_and_dialling_characters(client, db):
    MeetingFactory(
        slug="phone",
        attendance_mode=AttendanceMode.HYBRID,
        conference_url="https://zoom.example.org/j/1",
        conference_phone="+47 22 00-00 00,,123#",
    )
    assert feed_by_slug(client)["phone"]["conference_phone"] == "+4722000000,,123#"


def test_online_meeting_without_a_place_has_no_country_as_its_address(client, db):
    MeetingFactory(
        slug="zoom",
        attendance_mode=AttendanceMode.ONLINE,
        venue="",
        address="",
        postal_code="",
        municipality=None,
        conference_url="https://zoom.example.org/j/1",
    )
    record = feed_by_slug(client)["zoom"]
    assert "formatted_address" not in record
    assert "Norway" not in json.dumps(record)
    assert (record["country"], record["approximate"]) == ("NO", "yes")


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "listed"),
    [
        (None, None, True),
        (datetime.date(2026, 3, 1), None, True),
        (datetime.date(2026, 3, 3), None, True),  # starts today
        (datetime.date(2026, 3, 4), None, False),  # not yet started
        (None, datetime.date(2026, 3, 3), True),  # ends today
        (None, datetime.date(2026, 3, 2), False),  # ended
    ],
)
def test_feed_lists_only_meetings_valid_today(client, db, valid_from, valid_to, listed):
    with time_machine.travel(datetime.datetime(2026, 3, 3, 12, 0, tzinfo=datetime.UTC), tick=False):
        MeetingFactory(slug="m", valid_from=valid_from, valid_to=valid_to)
        assert ("m" in feed_by_slug(client)) is listed


def test_a_meeting_whose_validity_ends_leaves_the_feed_at_midnight_without_an_edit(client, db):
    with time_machine.travel(datetime.datetime(2026, 3, 3, 22, 0, tzinfo=datetime.UTC), tick=False):  # 23:00 Oslo
        MeetingFactory(slug="last-day", valid_to=datetime.date(2026, 3, 3))
        first = get_feed(client)
        assert "last-day" in {record["slug"] for record in first.json()}
    with time_machine.travel(datetime.datetime(2026, 3, 3, 23, 30, tzinfo=datetime.UTC), tick=False):  # 00:30
        response = client.get(FEED_URL, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert response.status_code == 200
        assert response.json() == []


@pytest.mark.parametrize(
    ("recurrence", "extra", "suffix", "first_line"),
    [
        (
            Recurrence.BIWEEKLY,
            {"anchor_date": datetime.date(2026, 1, 7)},
            " (annenhver uke)",
            "Annenhver uke, i takt med 7. januar 2026.",
        ),
        (Recurrence.MONTHLY, {"week_of_month": 1}, " (1. onsdag i måneden)", "Bare 1. onsdag i måneden."),
        (Recurrence.MONTHLY, {"week_of_month": -1}, " (siste onsdag i måneden)", "Bare siste onsdag i måneden."),
    ],
)
def test_a_non_weekly_meeting_says_its_rhythm_in_its_name_and_notes(client, db, recurrence, extra, suffix, first_line):
    MeetingFactory(slug="m", name="Onsdagsmøtet", weekday=3, recurrence=recurrence, notes="Ring på.", **extra)
    record = feed_by_slug(client)["m"]
    assert record["name"] == "Onsdagsmøtet" + suffix
    assert record["notes"] == first_line + "\nRing på."
    assert record["day"] == 3
    assert record["recurrence"] == recurrence


def test_a_weekly_meeting_keeps_its_name_and_notes(client, db):
    MeetingFactory(slug="m", name="Onsdagsmøtet", notes="Ring på.")
    record = feed_by_slug(client)["m"]
    assert (record["name"], record["notes"]) == ("Onsdagsmøtet", "Ring på.")


def test_group_notes_website_and_contact_are_exported(client, db):
    group = GroupFactory(
        notes="Gruppa har møtt siden 1985.", website="https://aa.example.org/", contact="aa@example.org"
    )
    MeetingFactory(slug="m", group=group)
    record = feed_by_slug(client)["m"]
    assert record["group_notes"] == "Gruppa har møtt siden 1985."
    assert record["website"] == "https://aa.example.org/"
    assert record["email"] == "aa@example.org"


def test_feed_online_meeting_has_conference_fields_and_attendance_option(client, db):
    MeetingFactory(
        slug="zoom",
        attendance_mode=AttendanceMode.ONLINE,
        venue="",
        address="",
        postal_code="",
        municipality=None,
        conference_url="https://zoom.example.org/j/1",
        conference_url_notes="Passord 1234",
        conference_phone="+4722000000",
        conference_phone_notes="Tast #",
    )
    record = feed_by_slug(client)["zoom"]
    assert record["attendance_option"] == "online"
    assert record["conference_url"] == "https://zoom.example.org/j/1"
    assert record["conference_url_notes"] == "Passord 1234"
    assert record["conference_phone"] == "+4722000000"
    assert record["conference_phone_notes"] == "Tast #"
    assert record["regions"] == []
    assert "latitude" not in record


def test_feed_updated_is_utc(client, db):
    with time_machine.travel(datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC), tick=False):
        MeetingFactory(slug="summer")
    assert feed_by_slug(client)["summer"]["updated"] == "2026-07-01 12:00:00"


def test_feed_group_url_and_extensions(client, db):
    group = GroupFactory(name="Lørdagsgruppa", fellowship=FellowshipFactory(code="NA"))
    MeetingFactory(
        slug="monthly",
        group=group,
        weekday=6,
        recurrence=Recurrence.MONTHLY,
        week_of_month=-1,
        languages="nb,en",
    )
    record = feed_by_slug(client)["monthly"]
    assert record["group"] == "Lørdagsgruppa"
    assert record["url"] == "http://testserver/meetings/monthly/"
    assert record["fellowship"] == "NA"
    assert record["languages"] == ["nb", "en"]
    assert (record["recurrence"], record["week_of_month"]) == ("monthly", -1)


def test_cold_feed_build_uses_one_query_on_postgresql_and_two_elsewhere_however_many_meetings(
    client, db, django_assert_num_queries
):
    """On PostgreSQL one query reads every meeting with its type codes (and its row version, which
    test_registry_feed_incremental.py checks), after switching JIT compilation off; elsewhere the type links are a
    query of their own."""
    group = GroupFactory()
    for index in range(40):
        meeting = MeetingFactory(slug=f"m-{index}", group=group, weekday=index % 7 + 1)
        meeting.types.set(["C", "BE"])
    with django_assert_num_queries(2):
        response = get_feed(client)
    assert len(response.json()) == 40
    assert {tuple(record["types"]) for record in response.json()} == {("BE", "C")}


def test_warm_feed_comes_from_cache_without_queries(client, db, django_assert_num_queries):
    MeetingFactory.create_batch(5)
    get_feed(client)
    with django_assert_num_queries(0):
        get_feed(client)


@pytest.fixture
def database_cache(db, settings):
    """The production default: Django's database cache, shared by every worker."""
    settings.CACHES = DATABASE_CACHE
    call_command("createcachetable", verbosity=0)
    feed.clear_process_cache()


def test_warm_feed_from_the_shared_database_cache_costs_one_query(client, database_cache, django_assert_num_queries):
    MeetingFactory.create_batch(5)
    get_feed(client)
    with django_assert_num_queries(1):
        get_feed(client)


def test_another_worker_serves_the_stored_feed_without_rebuilding(
    client, database_cache, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # as if committed
        MeetingFactory.create_batch(5)
    first = get_feed(client)
    feed.clear_process_cache()  # as if this request reached another worker process
    with django_assert_num_queries(2):  # the generation, then the stored entry: no meeting queries
        second = get_feed(client)
    assert second.content == first.content


def test_editing_a_meeting_shows_in_the_next_request(client, db):
    meeting = MeetingFactory(slug="m", name="Gammelt navn")
    assert feed_by_slug(client)["m"]["name"] == "Gammelt navn"
    meeting.name = "Nytt navn"
    meeting.save()
    assert feed_by_slug(client)["m"]["name"] == "Nytt navn"


def test_renaming_a_group_shows_in_the_next_request(client, db):
    meeting = MeetingFactory(slug="m")
    feed_by_slug(client)
    meeting.group.name = "Omdøpt gruppe"
    meeting.group.save()
    assert feed_by_slug(client)["m"]["group"] == "Omdøpt gruppe"


def test_changing_a_meetings_types_shows_in_the_next_request(client, db):
    meeting = MeetingFactory(slug="m")
    assert feed_by_slug(client)["m"]["types"] == []
    meeting.types.add("W")
    assert feed_by_slug(client)["m"]["types"] == ["W"]
    meeting.types.clear()
    assert feed_by_slug(client)["m"]["types"] == []


def test_editing_a_meeting_type_or_fellowship_drops_the_cached_feed(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        MeetingFactory(slug="m")
    get_feed(client)
    generation = cache.get(changes.GENERATION.key)
    women = MeetingType.objects.get(code="W")
    women.name_nb = "Kvinnemøte"
    with django_capture_on_commit_callbacks(execute=True):
        women.save()
    after_type = cache.get(changes.GENERATION.key)
    with django_capture_on_commit_callbacks(execute=True):
        FellowshipFactory(code="AA").save()
    after_fellowship = cache.get(changes.GENERATION.key)
    assert len({generation, after_type, after_fellowship}) == 3


def test_deleting_a_meeting_drops_it_from_the_next_request(client, db):
    keep = MeetingFactory(slug="keep")
    gone = MeetingFactory(slug="gone", group=keep.group)
    assert set(feed_by_slug(client)) == {"keep", "gone"}
    gone.delete()
    assert set(feed_by_slug(client)) == {"keep"}


def test_bulk_update_with_explicit_invalidation_shows_in_the_next_request(client, db):
    MeetingFactory(slug="m")
    feed_by_slug(client)
    Meeting.objects.filter(slug="m").update(status=Status.INACTIVE)
    changes.registry_changed()
    assert feed_by_slug(client) == {}


def test_etag_if_none_match_gives_304_until_something_changes(client, db):
    meeting = MeetingFactory(slug="m")
    first = get_feed(client)
    etag = first["ETag"]
    assert etag.startswith('W/"')
    not_modified = client.get(FEED_URL, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    meeting.name = "Endret"
    meeting.save()
    changed = client.get(FEED_URL, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_if_modified_since_gives_304_for_an_unchanged_feed(client, db):
    MeetingFactory(slug="m")
    first = get_feed(client)
    assert client.get(FEED_URL, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    long_ago = http_date(946684800)  # 2000-01-01
    assert client.get(FEED_URL, HTTP_IF_MODIFIED_SINCE=long_ago).status_code == 200


def test_gzip_is_served_from_the_stored_copy_with_correct_headers(client, db):
    MeetingFactory.create_batch(20)
    plain = get_feed(client)
    compressed = get_feed(client, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert "Accept-Encoding" in plain["Vary"]
    assert compressed["Content-Type"] == "application/json; charset=utf-8"
    assert len(compressed.content) < len(plain.content)
    assert gzip.decompress(compressed.content) == plain.content
    assert compressed["ETag"] == plain["ETag"]


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [("gzip", True), ("GZIP;q=0.5", True), ("gzip;q=0", False), ("identity", False), ("*", True), ("br", False)],
)
def test_gzip_only_when_the_client_accepts_it(client, db, accept_encoding, gzipped):
    MeetingFactory()
    response = get_feed(client, HTTP_ACCEPT_ENCODING=accept_encoding)
    assert (response.get("Content-Encoding") == "gzip") is gzipped


def test_feed_is_public_and_cacheable_for_a_short_while(client, db):
    MeetingFactory()
    response = get_feed(client)
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Access-Control-Allow-Origin"] == "*"
    json.loads(response.content)


@override_settings(REGISTRY_PUBLIC=False)
def test_feed_needs_login_when_the_registry_is_not_public(client, db, clinician_a):
    from tests.factories import login

    response = client.get(FEED_URL)
    assert response.status_code == 302
    login(client, clinician_a)
    assert client.get(FEED_URL).status_code == 200


def test_feed_refuses_other_methods(client, db):
    assert client.post(FEED_URL).status_code == 405


def test_a_cors_preflight_is_answered_with_the_allowed_methods(client, db):
    response = client.options(
        FEED_URL, HTTP_ORIGIN="https://finder.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "If-None-Match, If-Modified-Since"


def test_a_304_also_allows_other_origins(client, db):
    MeetingFactory(slug="m")
    etag = get_feed(client)["ETag"]
    response = client.get(FEED_URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_shared_cache_holds_the_feed_once_gzip_compressed(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        MeetingFactory.create_batch(10)
    plain = get_feed(client)
    [key] = [key for key in cache._cache if feed.ENTRY_KEY_PREFIX in key]  # locmem: the stored keys
    stored = cache.get(key.split(":", 2)[2])
    assert set(vars(stored)) == {
        "generation",
        "gzip_body",
        "etag",
        "last_modified",
        "meeting_count",
        "body_length",
        "index",
    }  # no plain copy beside the compressed one
    assert gzip.decompress(stored.gzip_body) == plain.content
    feed.clear_process_cache()
    assert get_feed(client).content == plain.content  # a fresh worker decompresses it


def test_a_transaction_bumps_the_shared_generation_at_its_first_change_and_on_commit_only(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        MeetingFactory(slug="committed")
    get_feed(client)
    before = cache.get(changes.GENERATION.key)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        MeetingFactory(slug="open-0")
        first_change = cache.get(changes.GENERATION.key)
        assert first_change != before
        assert len(feed_by_slug(client)) == 2
        for index in range(1, 20):
            MeetingFactory(slug=f"open-{index}").types.set(["W"])
            # This connection sees each of its changes at once; the shared generation does not move again.
            assert len(feed_by_slug(client)) == index + 2
        assert cache.get(changes.GENERATION.key) == first_change
    assert len(callbacks) == 1  # one bump at commit for the whole transaction
    callbacks[0]()
    assert cache.get(changes.GENERATION.key) not in (before, first_change)


def test_a_private_generation_is_never_stored_for_other_workers(client, db):
    MeetingFactory(slug="uncommitted")
    assert is_private(changes.GENERATION.seen())
    get_feed(client)
    assert not [key for key in cache._cache if feed.ENTRY_KEY_PREFIX in key]


def test_head_gives_the_headers_without_the_body(client, db):
    MeetingFactory()
    response = client.head(FEED_URL)
    assert response.status_code == 200
    assert response["ETag"] == get_feed(client)["ETag"]
    assert response.content == b""


def test_a_large_feed_goes_to_a_client_without_gzip_decompressed_as_it_is_sent(client, db, settings):
    for index in range(30):
        MeetingFactory(slug=f"m-{index:02d}")
    whole = get_feed(client).content
    cache.clear()
    feed.clear_process_cache()
    settings.REGISTRY_FEED_WHOLE_BYTES = 1000

    response = client.get(FEED_URL)

    assert response.streaming
    streamed = b"".join(response.streaming_content)
    assert streamed == whole and len(json.loads(streamed)) == 30
    assert response["Content-Length"] == str(len(whole))
    assert client.head(FEED_URL)["Content-Length"] == str(len(whole))


def test_the_json_is_decompressed_in_pieces_of_the_size_asked():
    entry = feed.FeedEntry(
        generation="g",
        gzip_body=gzip.compress(b"[" + b"x" * 10_000 + b"]"),
        etag="",
        last_modified=0,
        meeting_count=0,
        body_length=10_002,
    )
    pieces = list(entry.plain_chunks(size=4096))
    assert [len(piece) for piece in pieces] == [4096, 4096, 1810]
    assert b"".join(pieces) == entry.body
