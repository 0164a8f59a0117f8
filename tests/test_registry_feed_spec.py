"""The feed against the Meeting Guide spec and TSML UI's reading of it, for fixed meetings and for any meeting that
the curation form accepts (a hypothesis property test; deterministic under a derandomized profile)."""

import datetime

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from registry import feed, services
from registry.admin import MeetingForm
from registry.models import AttendanceMode, Meeting, Recurrence
from tests.factories import GroupFactory, MeetingFactory
from tests.feed_spec import place_problems, spec_problems, tsml_ui_view

TODAY = datetime.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def fresh_feed_cache():
    cache.clear()
    feed.clear_process_cache()


def records_by_slug() -> dict:
    return {record["slug"]: record for record in feed.meeting_feed_records(base_url="http://localhost/", today=TODAY)}


def test_in_person_meetings_are_active_and_in_person_in_tsml_ui_whether_pinned_or_not(db):
    MeetingFactory(slug="pinned", latitude=58.14679, longitude=7.99561)
    MeetingFactory(slug="centre-only")
    MeetingFactory(slug="hybrid", attendance_mode=AttendanceMode.HYBRID, conference_url="https://zoom.example.org/j/1")
    records = records_by_slug()
    for slug in ("pinned", "centre-only", "hybrid"):
        view = tsml_ui_view(records[slug])
        assert (view["listed"], view["active"], view["in_person"]) == (True, True, True), slug
    assert tsml_ui_view(records["hybrid"])["online"] is True


def test_an_online_meeting_without_a_place_is_listed_online_and_not_in_person(db):
    MeetingFactory(
        slug="zoom",
        attendance_mode=AttendanceMode.ONLINE,
        address="",
        postal_code="",
        municipality=None,
        venue="",
        conference_url="https://zoom.example.org/j/1",
    )
    view = tsml_ui_view(records_by_slug()["zoom"])
    assert (view["listed"], view["active"], view["online"], view["in_person"]) == (True, True, True, False)


def test_the_place_rules_catch_what_misled_tsml_ui():
    misleading = {
        "attendance_option": "in_person",
        "approximate": "yes",
        "formatted_address": "Norway",
        "regions": ["Oslo", "Oslo"],
    }
    problems = place_problems(misleading)
    assert "an in-person meeting's street address is sent as approximate" in problems
    assert "formatted_address is only the country" in problems
    assert "regions repeat a level: ['Oslo', 'Oslo']" in problems


# --- Property: whatever the curation form accepts, the feed carries in a form that passes --------------------

POSTAL_PLACES = [("4611", "4204"), ("0155", "0301"), ("9990", "5632"), ("5017", "4601")]
one_line = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=60)
lines = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\n\t\r"), max_size=120)
times = st.times().map(lambda value: value.strftime("%H:%M"))
dates = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31)).map(str)


NAMES = ["Onsdagsmøtet", "Tirsdagsgruppa «Håp»", "AA & NA <Bergen>", "Tre < fire > to", 'Møte #1, "Oslo"']
names = st.one_of(st.sampled_from(NAMES), one_line.filter(str.strip), st.just("Navn\rmed CR"))


@st.composite
def curation_form_data(draw) -> dict:
    """Form data, mostly coherent (so that most of it is accepted), with free text anywhere a curator types."""
    postal_code, municipality = draw(st.sampled_from(POSTAL_PLACES))
    recurrence = draw(st.sampled_from(Recurrence.values))
    weekday = draw(st.integers(1, 7))
    attendance = draw(st.sampled_from(AttendanceMode.values))
    has_place = attendance != AttendanceMode.ONLINE or draw(st.booleans())
    pinned = draw(st.booleans())
    anchor = datetime.date(2026, 1, 4) + datetime.timedelta(days=weekday + 7 * draw(st.integers(0, 60)))
    return {
        "name": draw(names),
        "slug": "",
        "status": "active",
        "weekday": str(weekday),
        "start_time": draw(times),
        "end_time": draw(st.one_of(st.just(""), times)),
        "recurrence": recurrence,
        "anchor_date": str(anchor) if recurrence == Recurrence.BIWEEKLY else draw(st.sampled_from(["", str(anchor)])),
        "week_of_month": draw(st.sampled_from(["1", "2", "3", "4", "-1"] + ([""] if recurrence != "monthly" else []))),
        "valid_from": draw(st.sampled_from(["", "2026-01-01", "2027-01-01"])),
        "valid_to": draw(st.sampled_from(["", "2026-06-30", "2027-12-31"])),
        "attendance_mode": attendance,
        "venue": draw(one_line),
        "address": draw(names) if has_place else "",
        "postal_code": postal_code if has_place else "",
        "municipality": municipality if has_place else "",
        "latitude": str(draw(st.floats(58, 71))) if pinned else "",
        "longitude": str(draw(st.floats(5, 30))) if pinned else "",
        "location_notes": draw(lines),
        "conference_url": draw(st.sampled_from(["https://zoom.example.org/j/1", "http://meet.example.no/a?b=c"]))
        if attendance != AttendanceMode.IN_PERSON
        else "",
        "conference_url_notes": draw(one_line),
        "conference_phone": draw(st.text(alphabet="0123456789 +-,*#()", max_size=20)),
        "conference_phone_notes": draw(one_line),
        "types": draw(st.lists(st.sampled_from(["O", "C", "BE", "X", "D", "EN", "W"]), unique=True)),
        "languages": draw(st.sampled_from(["nb", "nb,en", "se"])),
        "notes": draw(lines),
    }


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=curation_form_data())
def test_any_meeting_the_curation_form_accepts_exports_to_a_record_that_passes_the_spec(db, data):
    group = GroupFactory()
    form = MeetingForm(data={**data, "group": str(group.pk)})
    event("accepted" if form.is_valid() else "refused: " + ",".join(sorted(form.errors)))
    if not form.is_valid():
        return
    values = {name: value for name, value in form.cleaned_data.items() if name in services.MEETING_FIELDS | {"types"}}
    meeting = services.meeting_create(data=values, actor=None)
    try:
        records = [record for record in records_by_slug().values() if record["slug"] == meeting.slug]
        listed = (not meeting.valid_from or meeting.valid_from <= TODAY) and (
            not meeting.valid_to or meeting.valid_to >= TODAY
        )
        assert len(records) == (1 if listed else 0)
        if records:
            assert spec_problems(records) == []
            view = tsml_ui_view(records[0])
            assert view["listed"]
            assert view["in_person"] == (meeting.attendance_mode != AttendanceMode.ONLINE)
            assert view["active"]
    finally:
        Meeting.objects.filter(pk=meeting.pk).delete()
        group.delete()
