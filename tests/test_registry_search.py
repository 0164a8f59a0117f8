"""The public meeting search at /meetings/: access, every filter, nearest-first by postal code, HTMX, query count."""

import datetime
import html
import re
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import AttendanceMode, Meeting, Recurrence, Status
from tests.factories import FellowshipFactory, GroupFactory, MeetingFactory, TypedMeetingFactory, login, municipality

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
# Wednesday 25 November 2026, noon.
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=OSLO)
URL = reverse("registry:search")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


# A result card's heading, and its distance where the search has a place (registry/cards.py).
CARD_HEADING = re.compile(
    r'<h3 class="ds-heading" data-size="xs"><a class="ds-link" href="/meetings/([^"/]+)/">([^<]+)</a>'
)
CARD_DISTANCE = re.compile(r"<dd>([\d,\xa0]+) km</dd>")


def names(response) -> list[str]:
    """The names of the listed meetings, in order, as the page shows them."""
    return [html.unescape(name) for _slug, name in CARD_HEADING.findall(response.content.decode())]


def slugs(response) -> list[str]:
    return [slug for slug, _name in CARD_HEADING.findall(response.content.decode())]


def distances(response) -> list[float]:
    found = CARD_DISTANCE.findall(response.content.decode())
    return [float(text.replace("\xa0", "").replace(",", ".")) for text in found]


@pytest.fixture
def aa(db):
    return FellowshipFactory(code="AA")


@pytest.fixture
def na(db):
    return FellowshipFactory(code="NA")


def test_anyone_can_search_when_the_registry_is_public(client, settings, db):
    settings.REGISTRY_PUBLIC = True
    TypedMeetingFactory(name="Åpent møte")
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == ["Åpent møte"]


def test_anonymous_visitors_are_sent_to_log_in_when_the_registry_is_not_public(client, settings, db):
    settings.REGISTRY_PUBLIC = False
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logged_in_users_can_search_when_the_registry_is_not_public(client, settings, clinician_a):
    settings.REGISTRY_PUBLIC = False
    assert login(client, clinician_a).get(URL).status_code == 200


def test_only_active_meetings_with_a_date_left_are_listed(client, db):
    TypedMeetingFactory(name="Aktiv")
    TypedMeetingFactory(name="Stengt", status=Status.TEMPORARILY_CLOSED)
    TypedMeetingFactory(name="Nedlagt", status=Status.INACTIVE)
    TypedMeetingFactory(name="Avsluttet", valid_to=datetime.date(2026, 11, 1))
    assert names(client.get(URL)) == ["Aktiv"]


def test_results_are_sorted_by_next_date_with_today_first(client, db):
    TypedMeetingFactory(name="Tirsdag", weekday=2)
    TypedMeetingFactory(name="I dag kveld", weekday=3, start_time=datetime.time(19, 0))
    TypedMeetingFactory(name="I dag morges", weekday=3, start_time=datetime.time(8, 0), end_time=None)
    TypedMeetingFactory(name="Torsdag", weekday=4)
    assert names(client.get(URL)) == ["I dag kveld", "Torsdag", "Tirsdag", "I dag morges"]


def test_free_text_matches_name_group_place_and_address(client, db):
    TypedMeetingFactory(name="Lyspunktet", group=GroupFactory(name="Håpet"))
    TypedMeetingFactory(name="Andre", address="Kirkegata 4")
    TypedMeetingFactory(name="Bergen", municipality=municipality("4601"))
    assert names(client.get(URL, {"q": "håpet"})) == ["Lyspunktet"]
    assert names(client.get(URL, {"q": "kirkegata"})) == ["Andre"]
    assert names(client.get(URL, {"q": "bergen"})) == ["Bergen"]
    assert names(client.get(URL, {"q": "lyspunktet bergen"})) == []


def test_free_text_matches_venue_notes_and_postal_code_in_any_case(client, db):
    TypedMeetingFactory(name="Kirkestua", venue="Blå Kors-huset", postal_code="4631")
    TypedMeetingFactory(name="Notert", notes="Ring på døra ved inngangen.")
    assert names(client.get(URL, {"q": "blå KORS"})) == ["Kirkestua"]
    assert names(client.get(URL, {"q": "4631"})) == ["Kirkestua"]
    assert names(client.get(URL, {"q": "døra"})) == ["Notert"]


def test_free_text_word_in_more_group_names_than_are_listed_still_finds_them(client, db, settings, monkeypatch):
    from registry import selectors

    monkeypatch.setattr(selectors, "MAX_LISTED_GROUPS", 2)
    for number in range(3):
        TypedMeetingFactory(name=f"Møte {number}", group=GroupFactory(name=f"Tirsdagsgruppa {number}"))
    TypedMeetingFactory(name="Annet", group=GroupFactory(name="Onsdagsgruppa"))
    assert names(client.get(URL, {"q": "tirsdagsgruppa", "sort": "place"})) == ["Møte 0", "Møte 1", "Møte 2"]


def test_free_text_is_answered_from_the_trigram_index_on_postgresql(db):
    """Not a scan of every meeting: the plan reads the meeting text index (migration 0006)."""
    from django.db import connection

    from registry import selectors
    from registry.models import Meeting

    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")
    words = selectors.with_search_text(Meeting.objects.all()).filter(selectors.text_q(selectors.words("kirkegata")[0]))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # an empty test table would be scanned whatever the indexes
        plan = words.explain()
        cursor.execute("SET enable_seqscan = on")
    assert "registry_meeting_text_trgm" in plan


def test_new_meetings_wait_in_no_long_list_that_every_free_text_search_reads(db):
    """A GIN index keeps new rows in a pending list that each search reads whole, until it is merged: the trigram
    indexes merge theirs past 64 kB (migration 0008), so 500 new meetings leave at most 8 pages pending."""
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")
    group = GroupFactory()
    Meeting.objects.bulk_create(
        MeetingFactory.build(group=group, name=f"Møte {n} i Kirkegata", notes=f"Notat nummer {n} om stedet")
        for n in range(500)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('registry_meeting_text_trgm'::regclass)")
        assert cursor.fetchone()[0] <= 8


def test_filter_by_county_and_municipality(client, db):
    TypedMeetingFactory(name="Kristiansand")
    TypedMeetingFactory(name="Arendal", municipality=municipality("4203"))
    TypedMeetingFactory(name="Oslo", municipality=municipality("0301"))
    assert sorted(names(client.get(URL, {"county": "42"}))) == ["Arendal", "Kristiansand"]
    assert names(client.get(URL, {"municipality": "4203"})) == ["Arendal"]


def test_filter_by_fellowship_code(client, aa, na):
    TypedMeetingFactory(name="AA-møtet", group=GroupFactory(fellowship=aa))
    TypedMeetingFactory(name="NA-møtet", group=GroupFactory(fellowship=na))
    assert names(client.get(URL, {"fellowship": "NA"})) == ["NA-møtet"]


def test_filter_by_several_weekdays(client, db):
    for weekday, name in ((1, "Mandag"), (3, "Onsdag"), (6, "Lørdag")):
        TypedMeetingFactory(name=name, weekday=weekday)
    assert sorted(names(client.get(URL, {"weekday": ["1", "6"]}))) == ["Lørdag", "Mandag"]


@pytest.mark.parametrize(
    ("time_of_day", "expected"),
    [("morning", ["Morgen"]), ("afternoon", ["Ettermiddag", "Tolv"]), ("evening", ["Fem", "Kveld"])],
)
def test_filter_by_time_of_day(client, db, time_of_day, expected):
    for hour, name in ((8, "Morgen"), (12, "Tolv"), (15, "Ettermiddag"), (17, "Fem"), (20, "Kveld")):
        TypedMeetingFactory(name=name, weekday=4, start_time=datetime.time(hour, 0), end_time=None)
    assert sorted(names(client.get(URL, {"time_of_day": time_of_day}))) == expected


def test_open_and_closed_filters_let_closed_win(client, db):
    TypedMeetingFactory(name="Åpent", types=["O"])
    TypedMeetingFactory(name="Lukket", types=["C"])
    TypedMeetingFactory(name="Begge", types=["O", "C"])
    TypedMeetingFactory(name="Ukjent", types=["BE"])
    assert names(client.get(URL, {"openness": "open"})) == ["Åpent"]
    assert sorted(names(client.get(URL, {"openness": "closed"}))) == ["Begge", "Lukket"]


def test_attendance_filter_counts_hybrid_as_both(client, db):
    TypedMeetingFactory(name="Fysisk")
    TypedMeetingFactory(
        name="Hybrid", attendance_mode=AttendanceMode.HYBRID, conference_url="https://meet.example.org/h"
    )
    TypedMeetingFactory(
        name="Nett",
        attendance_mode=AttendanceMode.ONLINE,
        conference_url="https://meet.example.org/n",
        address="",
        municipality=None,
    )
    assert sorted(names(client.get(URL, {"attendance": "in_person"}))) == ["Fysisk", "Hybrid"]
    assert sorted(names(client.get(URL, {"attendance": "online"}))) == ["Hybrid", "Nett"]
    assert names(client.get(URL, {"attendance": "hybrid"})) == ["Hybrid"]


def test_language_filter_reads_language_codes_and_type_codes(client, db):
    TypedMeetingFactory(name="Norsk")
    TypedMeetingFactory(name="Tospråklig", languages="nb,en")
    TypedMeetingFactory(name="Engelsk type", types=["EN"])
    TypedMeetingFactory(name="Enkelt", languages="nb,ens")  # not "en"
    assert sorted(names(client.get(URL, {"language": "en"}))) == ["Engelsk type", "Tospråklig"]


def test_wheelchair_and_newcomer_filters(client, db):
    TypedMeetingFactory(name="Rullestol", types=["X"])
    TypedMeetingFactory(name="Nykommer", types=["BE"])
    TypedMeetingFactory(name="Begge", types=["X", "BE"])
    assert sorted(names(client.get(URL, {"wheelchair": "on"}))) == ["Begge", "Rullestol"]
    assert sorted(names(client.get(URL, {"newcomers": "on"}))) == ["Begge", "Nykommer"]
    assert sorted(names(client.get(URL, {"wheelchair": "on", "newcomers": "on"}))) == ["Begge"]


def test_next_7_days_leaves_out_fortnightly_and_monthly_meetings_held_later(client, db):
    TypedMeetingFactory(name="Ukentlig", weekday=1)
    TypedMeetingFactory(
        name="Denne uken", weekday=5, recurrence=Recurrence.BIWEEKLY, anchor_date=datetime.date(2026, 11, 27)
    )
    TypedMeetingFactory(
        name="Neste uke", weekday=5, recurrence=Recurrence.BIWEEKLY, anchor_date=datetime.date(2026, 11, 20)
    )
    TypedMeetingFactory(name="Første mandag", weekday=1, recurrence=Recurrence.MONTHLY, week_of_month=1)
    TypedMeetingFactory(name="Siste mandag", weekday=1, recurrence=Recurrence.MONTHLY, week_of_month=-1)
    TypedMeetingFactory(name="Starter senere", weekday=4, valid_from=datetime.date(2026, 12, 10))
    result = names(client.get(URL, {"next_7_days": "on"}))
    assert sorted(result) == ["Denne uken", "Siste mandag", "Ukentlig"]


def test_sort_by_place_groups_by_county_and_municipality(client, db):
    TypedMeetingFactory(name="Oslo", municipality=municipality("0301"))
    TypedMeetingFactory(name="Arendal", municipality=municipality("4203"))
    TypedMeetingFactory(name="Kristiansand")
    assert names(client.get(URL, {"sort": "place"})) == ["Oslo", "Arendal", "Kristiansand"]


def finnmark_meetings():
    """Båtsfjord (9990) has no meetings; its neighbours do, at 30–250 km."""
    for number, name in (("5607", "Vadsø"), ("5605", "Kirkenes"), ("5601", "Alta"), ("5603", "Hammerfest")):
        TypedMeetingFactory(name=name, municipality=municipality(number), postal_code="")
    TypedMeetingFactory(
        name="Berlevåg med koordinater", municipality=municipality("5630"), latitude=70.857, longitude=29.086
    )
    TypedMeetingFactory(name="Kristiansand")


def test_near_postal_code_9990_lists_the_nearest_first_with_distances(client, db):
    finnmark_meetings()
    response = client.get(URL, {"postal_code": "9990"})
    assert response.status_code == 200
    assert names(response)[:3] == ["Vadsø", "Berlevåg med koordinater", "Kirkenes"]
    shown = distances(response)
    assert len(shown) == len(names(response)) and shown == sorted(shown)
    assert 25 < shown[0] < 40  # Båtsfjord centre to Vadsø centre
    assert "Kristiansand" not in names(response)
    content = response.content.decode()
    assert "9990" in content and re.search(r"\d+ km", content)


def test_near_postal_code_widens_until_enough_meetings_are_found(client, db):
    finnmark_meetings()
    response = client.get(URL, {"postal_code": "9990"})
    # The fifth nearest (Alta, about 245 km) needs the 400 km radius.
    assert response.context["radius_km"] == 400
    assert len(names(response)) == 5


def test_near_postal_code_with_too_few_meetings_anywhere_lists_all_nearest_first(client, db):
    TypedMeetingFactory(name="Kristiansand")
    TypedMeetingFactory(name="Oslo", municipality=municipality("0301"))
    response = client.get(URL, {"postal_code": "9990"})
    assert response.context["radius_km"] is None
    assert names(response) == ["Oslo", "Kristiansand"]


def test_near_postal_code_ranks_online_only_meetings_out(client, db):
    TypedMeetingFactory(
        name="Nett",
        attendance_mode=AttendanceMode.ONLINE,
        conference_url="https://meet.example.org/n",
        address="",
        municipality=None,
    )
    TypedMeetingFactory(name="Kristiansand")
    assert names(client.get(URL, {"postal_code": "4611"})) == ["Kristiansand"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"postal_code": "99"}, "four digits"),
        ({"postal_code": "0000"}, "Unknown postal code"),
        ({"county": "99"}, "County"),
        ({"weekday": "9"}, "Weekday"),
        ({"sort": "sideways"}, "Sort"),
    ],
)
def test_bad_filter_values_are_explained_and_ignored(client, db, params, message):
    TypedMeetingFactory(name="Møtet")
    response = client.get(URL, params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert names(response) == ["Møtet"]


def test_bad_page_number_shows_a_page(client, db):
    TypedMeetingFactory()
    assert client.get(URL, {"page": "x"}).status_code == 200
    assert client.get(URL, {"page": "999"}).status_code == 200


def test_results_show_badge_next_date_place_and_freshness(client, db):
    from django.utils import timezone

    TypedMeetingFactory(
        name="Fersk", types=["O"], weekday=4, last_verified_at=timezone.now() - datetime.timedelta(days=90)
    )
    TypedMeetingFactory(
        name="Gammel",
        types=["C"],
        weekday=5,
        venue="Blå Kors-huset",
        last_verified_at=timezone.now() - datetime.timedelta(days=200),
    )
    content = client.get(URL, headers={"Accept-Language": "en"}).content.decode().replace("\xa0", " ")
    assert 'class="ds-tag" data-color="success"' in content
    assert 'class="ds-tag" data-color="neutral"' in content
    assert "2026-11-26T19:00:00+01:00" in content  # next date of the Thursday meeting
    assert "Blå Kors-huset" in content
    assert "Verified 2 months ago" in content or "Verified 3 months ago" in content
    assert "Not verified in over 6 months" in content


def test_results_are_paginated(client, db):
    for number in range(25):
        TypedMeetingFactory(name=f"Møte {number:02d}", weekday=1 + number % 7)
    first = client.get(URL)
    second = client.get(URL, {"page": 2})
    assert len(names(first)) == 20
    assert len(names(second)) == 5
    assert 'rel="next"' in first.content.decode()


@pytest.mark.parametrize("text", ["", "møte"])  # free text reads the page and the total in one query
@pytest.mark.parametrize(("asked", "shown"), [("3", 3), ("9", 3), ("0", 3), ("x", 1), ("", 1)])
def test_a_page_out_of_range_shows_the_last_and_one_not_a_number_the_first(client, db, asked, shown, text):
    for number in range(45):
        TypedMeetingFactory(name=f"Møte {number:02d}", weekday=1 + number % 7)
    query = {"page": asked, "q": text}
    content = client.get(URL, query).content.decode()
    assert f"Page {shown} of 3" in content or f"Side {shown} av 3" in content
    heading = re.search(r'<h2 class="ds-heading" data-size="sm" id="results-heading"[^>]*>([^<]+)</h2>', content)[1]
    assert "45" in heading
    assert len(names(client.get(URL, query))) == (5 if shown == 3 else 20)


def test_free_text_reads_the_page_and_the_total_in_one_query(client, db, django_assert_num_queries):
    for number in range(25):
        TypedMeetingFactory(name=f"Møte {number:02d}", group=GroupFactory(), weekday=1 + number % 7)
    # The groups whose names hold the word, the page's rows with the total, the page's meetings (each saying whether
    # it is open: no query for their types) and the fellowship choices.
    with django_assert_num_queries(4):
        response = client.get(URL, {"q": "møte"})
    assert len(names(response)) == 20 and "25" in response.content.decode()


def test_htmx_request_gets_only_the_results_partial(client, db):
    TypedMeetingFactory(name="Delvis")
    response = client.get(URL, {"q": "delvis"}, headers={"HX-Request": "true"})
    names = {t.name for t in response.templates}
    assert "registry/_results.html" in names and "registry/_search_body.html" not in names
    content = response.content.decode()
    assert "<html" not in content and "Delvis" in content


def test_search_form_works_without_javascript_and_with_htmx(client, db):
    content = client.get(URL).content.decode()
    assert 'method="get"' in content and f'action="{URL}"' in content
    assert 'hx-get="' in content and 'hx-target="#search-results"' in content


def test_kristiansand_open_aa_evening_meetings_in_two_clicks(client, unit_a, clinician_a, aa, na):
    unit_a.municipality = municipality("4204")
    unit_a.save()
    group = GroupFactory(fellowship=aa)
    TypedMeetingFactory(name="Mandag åpent", group=group, weekday=1, types=["O"])
    TypedMeetingFactory(name="Torsdag åpent", group=group, weekday=4, start_time=datetime.time(18, 0), types=["O"])
    TypedMeetingFactory(name="Lukket", group=group, weekday=2, types=["C"])
    TypedMeetingFactory(name="Formiddag", group=group, weekday=2, start_time=datetime.time(10, 0), types=["O"])
    TypedMeetingFactory(name="Lørdag", group=group, weekday=6, types=["O"])
    TypedMeetingFactory(name="NA åpent", group=GroupFactory(fellowship=na), weekday=1, types=["O"])
    TypedMeetingFactory(name="Arendal", group=group, municipality=municipality("4203"), types=["O"])
    login(client, clinician_a)

    # Click 1: the menu's "Meetings". Click 2: the quick search for the unit's municipality.
    page = client.get(URL).content.decode()
    label = "Open AA meetings on weekday evenings in Kristiansand"
    link = re.search(rf'<a class="ds-link" href="([^"]+)">{label}</a>', page)
    assert link
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert names(response) == ["Torsdag åpent", "Mandag åpent"]
    # And the calendar file of the first one.
    ics = client.get(reverse("registry:meeting_ics", kwargs={"slug": slugs(response)[0]}))
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")


def test_first_page_uses_a_fixed_number_of_queries(client, django_assert_num_queries, db):
    places = ["4204", "4203", "0301", "4601", "5001", "5501"]
    for number in range(60):
        TypedMeetingFactory(
            name=f"Møte {number}",
            group=GroupFactory(),
            weekday=1 + number % 7,
            municipality=municipality(places[number % len(places)]),
            types=["O", "BE"] if number % 2 else ["C", "X"],
        )
    # The count, the page's rows, the page's meetings with their joins (each saying whether it is open: no query for
    # their types), and the fellowship choices (county and municipality choices come from the reference files).
    with django_assert_num_queries(4):
        response = client.get(URL)
    assert len(names(response)) == 20
    # Near a postal code (read from the reference files, no query), instead of the count and the page's ids, the
    # rows within the radius: one query where the first radius holds five meetings, three where it does not (as
    # here: the fifth nearest picks the radius, then its rows).
    with django_assert_num_queries(5):
        response = client.get(URL, {"postal_code": "4611", "openness": "open", "weekday": ["1", "2"]})
    assert names(response)


def test_near_postal_code_where_meetings_are_dense_takes_one_query_for_the_radius(
    client, django_assert_num_queries, db
):
    for number in range(6):
        TypedMeetingFactory(name=f"Møte {number}", latitude=58.15 + number / 1000, longitude=8.0)
    # The rows within 10 km, the page's meetings (each saying whether it is open) and the fellowship choices.
    with django_assert_num_queries(3):
        response = client.get(URL, {"postal_code": "4611"})
    assert response.context["radius_km"] == 10
    assert len(names(response)) == 6


def test_every_page_in_next_date_order_matches_the_schedule(client, db):
    """The page query reads only the weekdays the page can reach; check it against the schedule, page by page."""
    from registry import schedule

    shapes = [
        {},
        {"recurrence": Recurrence.BIWEEKLY, "anchor_date": datetime.date(2026, 11, 16)},
        {"recurrence": Recurrence.MONTHLY, "week_of_month": -1},
        {"recurrence": Recurrence.MONTHLY, "week_of_month": 1},
        {"valid_from": datetime.date(2026, 12, 8)},
        {"valid_to": datetime.date(2026, 11, 27)},
    ]
    meetings = []
    for number in range(90):
        shape = dict(shapes[number % len(shapes)])
        weekday = 1 + (number * 5) % 7
        if "anchor_date" in shape:
            shape["anchor_date"] += datetime.timedelta(days=weekday - 1)
        meetings.append(
            TypedMeetingFactory(
                name=f"Møte {number:02d}",
                weekday=weekday,
                start_time=datetime.time(8 + number % 13, 0),
                end_time=None,
                **shape,
            )
        )

    def key(meeting):
        occurrence = schedule.next_occurrence(meeting, after=NOW)
        days = (occurrence.date - NOW.date()).days if occurrence else 10_000
        return (days, meeting.start_time, meeting.name)

    listed = [m for m in meetings if not (m.valid_to and m.valid_to < NOW.date())]
    expected = [m.name for m in sorted(listed, key=key)]
    shown = []
    for page in range(1, 6):
        shown += names(client.get(URL, {"page": page}))
    assert shown == expected


def test_place_choices_list_every_county_and_municipality_and_keep_the_selection(client, db):
    content = client.get(URL, {"municipality": "1818", "county": "18"}).content.decode()
    assert content.count('<option value="') >= 15 + 357 + 2
    assert '<option value="1818" selected>Herøy (Nordland)</option>' in content
    assert '<option value="1515">Herøy (Møre og Romsdal)</option>' in content
    assert '<option value="18" selected>Nordland</option>' in content


def test_htmx_partial_changes_the_text_of_the_stable_status_region(client, db):
    TypedMeetingFactory()
    content = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert '<p id="search-status" hx-swap-oob="innerHTML">1 meeting found</p>' in content
    page = client.get(URL).content.decode()
    assert "hx-swap-oob" not in page
    assert '<div class="ds-sr-only" role="status"><p id="search-status"></p></div>' in page


def test_htmx_pagination_says_which_page_and_sends_focus_to_the_results_heading(client, db):
    TypedMeetingFactory.create_batch(25)
    content = client.get(URL, {"page": "2"}, headers={"HX-Request": "true"}).content.decode()
    assert '<p id="search-status" hx-swap-oob="innerHTML">25 meetings found. Page 2 of 2</p>' in content
    assert '<h2 class="ds-heading" data-size="sm" id="results-heading" tabindex="-1">' in content
    previous = re.search(r'<a [^>]*rel="prev"[^>]*>', content).group(0)
    assert 'data-focus-after-swap="#results-heading"' in previous


def test_a_link_past_the_filters_to_the_results_is_there_on_every_screen(client, db):
    content = client.get(URL).content.decode()
    assert '<a class="ds-link registry-jump" href="#results-heading">' in content
    css = (settings.BASE_DIR / "static" / "css" / "registry.css").read_text()
    assert ".registry-jump { display: none" not in css


@pytest.mark.parametrize(
    ("params", "selected", "sort"),
    [
        ({"postal_code": "4611"}, "", "distance"),
        ({"postal_code": "4611", "sort": "place"}, "place", "place"),
        ({"postal_code": "4611", "sort": "next"}, "next", "next"),
        ({"sort": "distance"}, "", "next"),  # no postal code, no distance
        ({"q": "x"}, "", "next"),
    ],
)
def test_sort_menu_keeps_only_an_order_the_user_chose(client, db, params, selected, sort):
    TypedMeetingFactory()
    response = client.get(URL, params)
    content = response.content.decode()
    assert response.context["sort"] == sort
    assert re.findall(r'<select[^>]*name="sort"[^>]*>.*?</select>', content, re.S)[0].count(" selected>") == 1
    assert f'<option value="{selected}" selected>' in content


def test_search_near_a_postal_code_sorts_by_distance_when_the_form_sends_the_default_order(client, db):
    """Issue 17.1: 4611 and Tuesday listed 40 km, 42 km, <1 km because the form always sent sort=next."""
    TypedMeetingFactory(
        name="Arendal i dag", municipality=municipality("4203"), weekday=2, start_time=datetime.time(8, 0)
    )
    TypedMeetingFactory(name="Kristiansand senere", weekday=2, start_time=datetime.time(20, 0))
    first = client.get(URL, {"weekday": "2", "sort": ""})
    assert names(first) == ["Arendal i dag", "Kristiansand senere"]
    assert '<option value="" selected>' in first.content.decode()  # what the form sends next
    near = client.get(URL, {"weekday": "2", "postal_code": "4611", "sort": ""})
    assert names(near) == ["Kristiansand senere", "Arendal i dag"]
    assert "Sorted by distance." in near.content.decode()


def test_the_fellowship_choices_are_read_without_a_server_side_cursor(client, aa, na):
    # Django reads model choices through a cursor of their own on PostgreSQL: three round trips on every search.
    with CaptureQueriesContext(connection) as queries:
        content = client.get(URL).content.decode()
    assert [query["sql"] for query in queries if query["sql"].startswith("DECLARE")] == []
    assert re.search(r'<option value="AA">[^<]+</option>', content)
    assert re.search(r'<option value="NA">[^<]+</option>', content)


@pytest.mark.parametrize("word", ["tirsdag", "TIRSDAG", "%", "_", "\\", "søndag", "50%_rabatt", "ingen"])
def test_the_group_name_lookup_compiled_once_finds_what_the_queryset_finds(db, word):
    from registry import selectors

    for name in ("Tirsdagsgruppa", "Søndagsgruppa", "50%_rabatt\\gruppa", "Gruppe_1", "Annet"):
        GroupFactory(name=name)
    expected = sorted(selectors._groups_holding(word, selectors.MAX_LISTED_GROUPS))
    assert sorted(selectors.groups_holding(word)) == expected
    assert sorted(selectors.groups_holding(word)) == expected  # the compiled query again, with the same word
