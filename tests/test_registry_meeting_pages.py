"""Meeting and group pages, and their calendar files (parsed back with icalendar)."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from registry.models import AttendanceMode, Recurrence, Status
from tests.factories import GroupFactory, TypedMeetingFactory, login, municipality

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=OSLO)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def detail_url(meeting):
    return reverse("registry:meeting_detail", kwargs={"slug": meeting.slug})


def ics_url(meeting):
    return reverse("registry:meeting_ics", kwargs={"slug": meeting.slug})


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content).walk("VEVENT")


def test_meeting_page_shows_schedule_next_dates_place_and_types(client, db):
    meeting = TypedMeetingFactory(name="Onsdagsmøtet", weekday=3, types=["O", "X"], venue="Frivilligsentralen")
    content = client.get(detail_url(meeting), headers={"Accept-Language": "en"}).content.decode()
    assert "Onsdagsmøtet" in content
    assert "Frivilligsentralen" in content and "Kristiansand" in content
    assert "Wheelchair Access" in content
    assert 'data-color="success">Open' in content
    assert content.count("<time datetime=") == 4
    assert "2026-11-25T19:00:00+01:00" in content
    assert ics_url(meeting) in content


def test_online_meeting_page_shows_the_link_and_phone(client, db):
    meeting = TypedMeetingFactory(
        attendance_mode=AttendanceMode.ONLINE,
        address="",
        municipality=None,
        conference_url="https://meet.example.org/abc",
        conference_phone="+47 21 00 00 00",
    )
    content = client.get(detail_url(meeting)).content.decode()
    assert 'href="https://meet.example.org/abc"' in content
    assert 'href="tel:+4721000000"' in content


def test_inactive_meeting_page_stays_with_a_notice(client, db):
    meeting = TypedMeetingFactory(status=Status.INACTIVE)
    response = client.get(detail_url(meeting), headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "no longer held" in response.content.decode()
    assert response.context["upcoming"] == []


def test_unknown_meeting_is_404(client, db):
    assert client.get(reverse("registry:meeting_detail", kwargs={"slug": "finnes-ikke"})).status_code == 404
    assert client.get(reverse("registry:meeting_ics", kwargs={"slug": "finnes-ikke"})).status_code == 404


def test_group_page_lists_current_meetings(client, db):
    group = GroupFactory(name="Fyrlykta")
    TypedMeetingFactory(group=group, name="Mandag", weekday=1)
    TypedMeetingFactory(group=group, name="Stengt nå", weekday=2, status=Status.TEMPORARILY_CLOSED)
    TypedMeetingFactory(group=group, name="Nedlagt", status=Status.INACTIVE)
    response = client.get(reverse("registry:group_detail", kwargs={"pk": group.pk}))
    headings = re.findall(r'<h3 class="ds-heading" data-size="xs"><a [^>]*>([^<]*)</a></h3>', response.content.decode())
    assert headings == ["Mandag", "Stengt nå"]
    assert client.get(reverse("registry:group_detail", kwargs={"pk": 999999})).status_code == 404


def test_group_page_reads_its_meetings_in_a_fixed_number_of_queries(client, db, django_assert_num_queries):
    group = GroupFactory()
    for weekday in range(1, 8):
        TypedMeetingFactory(group=group, weekday=weekday, types=["O"])
    # The group with its fellowship and place, and its meetings as the cards' rows, each saying whether the meeting is
    # open (the type codes are no longer a query of their own).
    with django_assert_num_queries(2):
        response = client.get(reverse("registry:group_detail", kwargs={"pk": group.pk}))
    assert response.content.decode().count('class="ds-card registry-result"') == 7


@pytest.mark.parametrize("name", ["registry:meeting_detail", "registry:meeting_ics"])
def test_meeting_pages_need_login_when_the_registry_is_not_public(client, settings, clinician_a, name):
    settings.REGISTRY_PUBLIC = False
    meeting = TypedMeetingFactory()
    url = reverse(name, kwargs={"slug": meeting.slug})
    assert client.get(url).status_code == 302
    assert login(client, clinician_a).get(url).status_code == 200


def test_weekly_meeting_calendar_file(client, db):
    meeting = TypedMeetingFactory(
        name="Tirsdagsmøtet", weekday=2, types=["C"], notes="Inngang fra bakgården.", latitude=58.146, longitude=7.995
    )
    response = client.get(ics_url(meeting))
    assert response["Content-Disposition"] == f'attachment; filename="{meeting.slug}.ics"'
    calendar = Calendar.from_ical(response.content)
    timezones = calendar.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Oslo"]
    (event,) = calendar.walk("VEVENT")
    assert event["SUMMARY"] == "Tirsdagsmøtet (AA)"
    assert event.decoded("DTSTART") == datetime.datetime(2026, 12, 1, 19, 0, tzinfo=OSLO)
    assert event["DTSTART"].params["TZID"] == "Europe/Oslo"
    assert event.decoded("DTEND") == datetime.datetime(2026, 12, 1, 20, 30, tzinfo=OSLO)
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=TU"
    assert "Kirkens bymisjon" in event["LOCATION"] and "4611 Kristiansand" in event["LOCATION"]
    assert str(event["URL"]).endswith(detail_url(meeting))
    assert "Inngang fra bakgården." in event["DESCRIPTION"]
    assert event["UID"].startswith(f"meeting-{meeting.slug}@")
    assert (event["GEO"].latitude, event["GEO"].longitude) == (58.146, 7.995)


def test_fortnightly_meeting_starts_at_its_anchor_with_interval_two(client, db):
    meeting = TypedMeetingFactory(weekday=5, recurrence=Recurrence.BIWEEKLY, anchor_date=datetime.date(2026, 9, 4))
    (event,) = events(client.get(ics_url(meeting)))
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    assert event.decoded("DTSTART").date() == datetime.date(2026, 9, 4)


@pytest.mark.parametrize(("week", "byday"), [(1, b"1MO"), (-1, b"-1MO")])
def test_monthly_meeting_has_a_monthly_rule(client, db, week, byday):
    meeting = TypedMeetingFactory(weekday=1, recurrence=Recurrence.MONTHLY, week_of_month=week)
    (event,) = events(client.get(ics_url(meeting)))
    assert event["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=" + byday
    start = event.decoded("DTSTART").date()
    assert start.isoweekday() == 1
    assert start == (datetime.date(2026, 12, 7) if week == 1 else datetime.date(2026, 11, 30))


def test_valid_to_becomes_until(client, db):
    meeting = TypedMeetingFactory(weekday=3, valid_to=datetime.date(2027, 6, 30))
    (event,) = events(client.get(ics_url(meeting)))
    assert event["RRULE"]["UNTIL"] == [datetime.datetime(2027, 6, 30, 21, 59, 59, tzinfo=datetime.UTC)]


def test_meeting_across_midnight_ends_the_next_day(client, db):
    meeting = TypedMeetingFactory(weekday=6, start_time=datetime.time(23, 0), end_time=datetime.time(0, 30))
    (event,) = events(client.get(ics_url(meeting)))
    assert event.decoded("DTEND") - event.decoded("DTSTART") == datetime.timedelta(minutes=90)


def test_online_meeting_location_is_its_link(client, db):
    meeting = TypedMeetingFactory(
        attendance_mode=AttendanceMode.ONLINE,
        address="",
        municipality=None,
        conference_url="https://meet.example.org/abc",
    )
    (event,) = events(client.get(ics_url(meeting)))
    assert event["LOCATION"] == "https://meet.example.org/abc"
    assert "https://meet.example.org/abc" in event["DESCRIPTION"]


def test_search_calendar_file_holds_the_same_meetings_as_the_search(client, db):
    TypedMeetingFactory(name="Åpent i Kristiansand", types=["O"])
    TypedMeetingFactory(name="Lukket i Kristiansand", types=["C"])
    TypedMeetingFactory(name="Åpent i Oslo", types=["O"], municipality=municipality("0301"))
    query = {"municipality": "4204", "openness": "open"}
    response = client.get(reverse("registry:search_ics"), query)
    assert [str(e["SUMMARY"]) for e in events(response)] == ["Åpent i Kristiansand (AA)"]
    assert (
        client.get(reverse("registry:search"), query)
        .context["calendar_url"]
        .endswith("?municipality=4204&openness=open")
    )


def test_search_calendar_file_with_bad_input_is_still_a_calendar(client, db):
    TypedMeetingFactory()
    response = client.get(reverse("registry:search_ics"), {"postal_code": "x", "county": "zz"})
    assert len(events(response)) == 1


def test_search_calendar_file_needs_login_when_the_registry_is_not_public(client, settings, db):
    settings.REGISTRY_PUBLIC = False
    assert client.get(reverse("registry:search_ics")).status_code == 302
