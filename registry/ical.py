"""Calendar files (RFC 5545) for one meeting or a search result, with recurrence rules and the Oslo time zone.

The VTIMEZONE is written from the EU's yearly rule (summer time from the last Sunday of March 02:00 to the last
Sunday of October 03:00) as two RRULEs, valid in every year. A generated list of every change in one multi-value
RDATE, as icalendar's `add_missing_timezones` writes it, is read only up to its first value by Mozilla's ical.js
(Thunderbird and many web calendars), which then puts every summer meeting an hour late, and it ends in 2037.

Every text value goes through `_text`: line breaks become one LF (icalendar escapes it as \\n), other control
characters are dropped, so nothing a curator or an import wrote can end a content line early. Input refuses them
already (registry.models); this keeps old data and the calendar name safe too.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from registry import schedule
from registry.models import AttendanceMode, Meeting, Status

PRODUCT_ID = "-//Selvhjelpsregisteret//Meeting registry//NB"
TZID = "Europe/Oslo"
LINE_BREAKS = re.compile(r"\r\n|\r|\n|\x0b|\x0c|\x85|\u2028|\u2029")
OTHER_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _text(value: str) -> str:
    """A text value that cannot break a content line: one kind of line break (LF), no other control characters."""
    return OTHER_CONTROLS.sub("", LINE_BREAKS.sub("\n", value))


def oslo_timezone() -> Timezone:
    """Europe/Oslo as yearly rules (since 1996 the EU's); DTSTARTs are the first change under each rule."""
    timezone_component = Timezone()
    timezone_component.add("tzid", TZID)
    timezone_component.add("x-lic-location", TZID)
    # Local wall-clock times, as RFC 5545 wants a VTIMEZONE's DTSTART (no time zone of their own).
    for component, start, offsets, name, month in (
        (TimezoneDaylight(), datetime.datetime(1981, 3, 29, 2, 0), ("+0100", "+0200"), "CEST", 3),  # noqa: DTZ001
        (TimezoneStandard(), datetime.datetime(1996, 10, 27, 3, 0), ("+0200", "+0100"), "CET", 10),  # noqa: DTZ001
    ):
        component.add("tzname", name)
        component.add("dtstart", start)
        component["TZOFFSETFROM"] = offsets[0]
        component["TZOFFSETTO"] = offsets[1]
        component.add("rrule", {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": "-1SU"})
        timezone_component.add_component(component)
    return timezone_component


def _location(meeting: Meeting) -> str:
    parts = [meeting.venue, meeting.address]
    place = " ".join(p for p in [meeting.postal_code, meeting.municipality.name if meeting.municipality else ""] if p)
    parts.append(place)
    return ", ".join(p for p in parts if p)


def _description(meeting: Meeting, url: str) -> str:
    lines = []
    fellowship = meeting.group.fellowship
    lines.append(f"{fellowship.name} ({fellowship.code}) – {meeting.group.name}")
    openness = schedule.is_open(t.code for t in meeting.types.all())
    types = ", ".join(t.name for t in meeting.types.all())
    if types:
        lines.append(types)
    if openness is not None:
        if openness:
            lines.append(_("Open meeting: anyone may come"))
        else:
            lines.append(_("Closed meeting: for those who want to stop"))
    if meeting.attendance_mode != AttendanceMode.IN_PERSON:
        if meeting.conference_url:
            lines.append(_("Online: %(url)s") % {"url": meeting.conference_url})
            if meeting.conference_url_notes:
                lines.append(meeting.conference_url_notes)
        if meeting.conference_phone:
            lines.append(_("Phone: %(phone)s") % {"phone": meeting.conference_phone})
            if meeting.conference_phone_notes:
                lines.append(meeting.conference_phone_notes)
    if meeting.location_notes:
        lines.append(meeting.location_notes)
    if meeting.notes:
        lines.append(meeting.notes)
    lines.append(url)
    return "\n".join(lines)


def meeting_event(meeting: Meeting, *, base_url: str, host: str) -> Event | None:
    """One VEVENT with an RRULE; None when the meeting has no date left."""
    first = schedule.first_occurrence(meeting)
    if first is None:
        return None
    url = base_url.rstrip("/") + reverse("registry:meeting_detail", kwargs={"slug": meeting.slug})
    event = Event()
    event.add("uid", f"meeting-{meeting.slug}@{host}")
    event.add("dtstamp", timezone.now())
    event.add("summary", _text(f"{meeting.name} ({meeting.group.fellowship.code})"))
    event.add("dtstart", first.start)
    event.add("dtend", first.end)
    event.add("rrule", schedule.rrule(meeting))
    location = _location(meeting)
    if meeting.attendance_mode == AttendanceMode.ONLINE:
        location = meeting.conference_url or meeting.conference_phone or location
    if location:
        event.add("location", _text(location))
    event.add("url", url)
    event.add("description", _text(_description(meeting, url)))
    if meeting.updated_at:
        event.add("last-modified", meeting.updated_at)
    if meeting.latitude is not None and meeting.longitude is not None:
        event.add("geo", (meeting.latitude, meeting.longitude))
    if meeting.status != Status.ACTIVE:
        event.add("status", "CANCELLED")
    return event


def calendar_bytes(meetings: Iterable[Meeting], *, base_url: str, host: str, name: str) -> bytes:
    return events_calendar(meeting_events(meetings, base_url=base_url, host=host), name=name)


def events_calendar(events: list[Event], *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _text(name).replace("\n", " "))
    calendar.add("x-wr-timezone", TZID)
    # A VTIMEZONE for Europe/Oslo, so that clients without the IANA database keep 19:00 at 19:00 after DST.
    calendar.add_component(oslo_timezone())
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def meeting_events(meetings: Iterable[Meeting], *, base_url: str, host: str) -> list[Event]:
    """The events of meetings that still have a date (an ended meeting has none)."""
    events = (meeting_event(meeting, base_url=base_url, host=host) for meeting in meetings)
    return [event for event in events if event is not None]
