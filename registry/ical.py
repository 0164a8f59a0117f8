"""Calendar files (RFC 5545) for one meeting or a search result, with recurrence rules and the Oslo time zone."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from registry import schedule
from registry.models import AttendanceMode, Meeting, Status

PRODUCT_ID = "-//Selvhjelpsregisteret//Meeting registry//NB"


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
    event.add("summary", f"{meeting.name} ({meeting.group.fellowship.code})")
    event.add("dtstart", first.start)
    event.add("dtend", first.end)
    event.add("rrule", schedule.rrule(meeting))
    location = _location(meeting)
    if meeting.attendance_mode == AttendanceMode.ONLINE:
        location = meeting.conference_url or meeting.conference_phone or location
    if location:
        event.add("location", location)
    event.add("url", url)
    event.add("description", _description(meeting, url))
    if meeting.updated_at:
        event.add("last-modified", meeting.updated_at)
    if meeting.latitude is not None and meeting.longitude is not None:
        event.add("geo", (meeting.latitude, meeting.longitude))
    if meeting.status != Status.ACTIVE:
        event.add("status", "CANCELLED")
    return event


def calendar_bytes(meetings: Iterable[Meeting], *, base_url: str, host: str, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Oslo")
    for meeting in meetings:
        event = meeting_event(meeting, base_url=base_url, host=host)
        if event is not None:
            calendar.add_component(event)
    # A VTIMEZONE for Europe/Oslo, so that clients without the IANA database keep 19:00 at 19:00 after DST.
    calendar.add_missing_timezones()
    return calendar.to_ical()
