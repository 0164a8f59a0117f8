"""The one-page patient handout: the suggested meetings, what a first meeting is like, answers to common worries.

Printed from the browser (HTML with a print stylesheet) or downloaded as a PDF made by WeasyPrint from the
same templates. The handout's language (?lang=nb|en) is chosen for the patient, independently of the user's
interface language. The text for patients lives in one template per language
(templates/referrals/handout/body_<lang>.html), which reads better than sentence-by-sentence gettext.

Nothing on the handout identifies the patient or the unit: no reference, fingerprint, date of contact,
clinician, notes or unit name. Printing and downloading are written to the access log.
"""

from __future__ import annotations

import base64
import datetime
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import patient_data_required
from referrals import audit
from referrals.access import get_contact_for_user
from referrals.services import MAX_SUGGESTED_MEETINGS
from registry import schedule
from registry.models import AttendanceMode, Meeting, PostalCode, Status

LANGUAGES = ("nb", "en")
DEFAULT_LANGUAGE = "nb"
STYLESHEET = "css/handout.css"
# More meetings than this do not fit on one A4 page with the rest of the text; the contact form refuses more.
MAX_MEETINGS = MAX_SUGGESTED_MEETINGS
PDF_FILENAMES = {"nb": "selvhjelpsgrupper.pdf", "en": "self-help-groups.pdf"}


@dataclass
class HandoutMeeting:
    """One meeting as the patient needs it, in the handout's language."""

    name: str
    fellowship_code: str
    fellowship_name: str
    weekday: str
    start: str
    end: str
    recurrence: str
    week_of_month: int | None
    next_date: datetime.date | None
    is_open: bool | None
    in_person: bool
    online: bool
    venue: str
    address: str
    place: str
    location_notes: str
    conference_url: str
    conference_url_notes: str
    conference_phone: str
    conference_phone_notes: str
    temporarily_closed: bool
    features: list[str] = field(default_factory=list)
    qr_image: str = ""


@dataclass
class PublicContact:
    name: str
    website: str
    contact: str

    @property
    def website_label(self) -> str:
        """The address as people type it: no scheme, no trailing slash."""
        return self.website.removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")


# Type codes worth telling a newcomer; open/closed has its own badge.
FEATURE_CODES = ("BE", "W", "M", "Y", "X", "EN", "DD", "ASL", "LGBTQ")


def handout_language(request) -> str:
    language = request.GET.get("lang", "")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _clock(value: datetime.time | None, language: str) -> str:
    if value is None:
        return ""
    # Norwegian writes "kl. 19.00" (Språkrådet); English here keeps the 24-hour clock used on Norwegian lists.
    return f"{value:%H.%M}" if language == "nb" else f"{value:%H:%M}"


@functools.lru_cache(maxsize=256)
def _qr_data_uri(url: str, *, raster: bool = False) -> str:
    """A QR code of an online meeting's link as a data URI, so a phone can open the link from the paper: SVG for the
    page, PNG for the PDF (WeasyPrint draws the SVG's many path segments slowly; 8 pixels a module print sharply at
    15 mm). A meeting's link rarely changes, so the image is kept per process."""
    import qrcode
    import qrcode.image.svg

    if raster:
        image = qrcode.make(url, box_size=8, border=1)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=1)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


def meetings_to_print(contact) -> list[Meeting]:
    """The contact's suggested meetings that are still held (temporarily closed ones included), in weekday order."""
    return list(
        contact.suggested_meetings.for_listing()
        .exclude(status=Status.INACTIVE)
        .order_by("weekday", "start_time", "name")[:MAX_MEETINGS]
    )


def handout_meetings(
    meetings: list[Meeting], language: str, *, now: datetime.datetime | None = None, raster_qr: bool = False
) -> list[HandoutMeeting]:
    """The meetings as the patient needs them, in the handout's language."""
    postal_places = {
        postal.code: postal.place.title()
        for postal in PostalCode.objects.filter(code__in={meeting.postal_code for meeting in meetings})
    }
    result = []
    with translation.override(language):
        for meeting in meetings:
            type_codes = {meeting_type.code for meeting_type in meeting.types.all()}
            occurrence = schedule.next_occurrence(meeting, after=now)
            place = postal_places.get(meeting.postal_code) or (
                meeting.municipality.name if meeting.municipality else ""
            )
            online = meeting.attendance_mode != AttendanceMode.IN_PERSON
            result.append(
                HandoutMeeting(
                    name=meeting.name,
                    fellowship_code=meeting.group.fellowship.code,
                    fellowship_name=meeting.group.fellowship.name,
                    weekday=str(WEEKDAYS[meeting.weekday - 1]),
                    start=_clock(meeting.start_time, language),
                    end=_clock(meeting.end_time, language),
                    recurrence=meeting.recurrence,
                    week_of_month=meeting.week_of_month,
                    next_date=occurrence.date if occurrence and meeting.status == Status.ACTIVE else None,
                    is_open=schedule.is_open(type_codes),
                    in_person=meeting.attendance_mode != AttendanceMode.ONLINE,
                    online=online,
                    venue=meeting.venue,
                    address=meeting.address,
                    place=" ".join(part for part in (meeting.postal_code, place) if part),
                    location_notes=meeting.location_notes[:160],
                    conference_url=meeting.conference_url if online else "",
                    conference_url_notes=meeting.conference_url_notes[:120] if online else "",
                    conference_phone=meeting.conference_phone if online else "",
                    conference_phone_notes=meeting.conference_phone_notes[:120] if online else "",
                    temporarily_closed=meeting.status == Status.TEMPORARILY_CLOSED,
                    features=[
                        meeting_type.name for meeting_type in meeting.types.all() if meeting_type.code in FEATURE_CODES
                    ],
                    qr_image=_qr_data_uri(meeting.conference_url, raster=raster_qr)
                    if online and meeting.conference_url
                    else "",
                )
            )
    return result


def public_contacts(contact, meetings: list[Meeting]) -> tuple[list[PublicContact], list[PublicContact]]:
    """The fellowships' and the groups' public channels for the handout's "find out more" section."""
    fellowships = {fellowship.pk: fellowship for fellowship in contact.fellowships.all()}
    groups = {}
    for meeting in meetings:
        fellowships.setdefault(meeting.group.fellowship_id, meeting.group.fellowship)
        groups.setdefault(meeting.group_id, meeting.group)
    fellowship_contacts = [
        PublicContact(
            name=f"{fellowship.name} ({fellowship.code})", website=fellowship.website, contact=fellowship.contact
        )
        for fellowship in sorted(fellowships.values(), key=lambda fellowship: fellowship.code)
        if fellowship.website or fellowship.contact
    ]
    group_contacts = [
        PublicContact(name=group.name, website=group.website, contact=group.contact)
        for group in sorted(groups.values(), key=lambda group: group.name)
        if group.website or group.contact
    ]
    return fellowship_contacts, group_contacts


# How densely the sheet is set. The text is the same at every level; only sizes and spacing shrink.
DENSITIES = ("", "handout--compact", "handout--tight")
# Estimated lines that fit on the page at the normal density (see estimated_lines); measured with the PDF.
NORMAL_LINES = 19
COMPACT_LINES = 25


def estimated_lines(meetings: list[HandoutMeeting], contacts: list[PublicContact]) -> int:
    """A rough height of the variable parts (meeting cards two by two, contact lines), in body lines."""

    def card(meeting: HandoutMeeting) -> int:
        lines = 4 + bool(meeting.venue)
        if meeting.location_notes:
            lines += 1 + len(meeting.location_notes) // 60
        if meeting.online:
            text = 1 + 2 * bool(meeting.conference_url) + bool(meeting.conference_phone)
            text += len(meeting.conference_phone_notes + meeting.conference_url_notes) // 40
            lines += max(3 if meeting.qr_image else 0, text)
        return lines + bool(meeting.features) + 2 * meeting.temporarily_closed

    heights = [card(meeting) for meeting in meetings]
    rows = sum(max(heights[index : index + 2]) for index in range(0, len(heights), 2))
    contact_lines = sum(1 + (len(item.name) + len(item.website_label) + len(item.contact) > 45) for item in contacts)
    return rows + (contact_lines + 1) // 2


def density_for(meetings: list[HandoutMeeting], contacts: list[PublicContact]) -> int:
    lines = estimated_lines(meetings, contacts)
    return 0 if lines <= NORMAL_LINES else 1 if lines <= COMPACT_LINES else 2


def handout_context(contact, language: str, *, for_pdf: bool = False) -> dict:
    suggested = meetings_to_print(contact)
    meetings = handout_meetings(suggested, language, raster_qr=for_pdf)
    fellowship_contacts, group_contacts = public_contacts(contact, suggested)
    density = density_for(meetings, fellowship_contacts + group_contacts)
    return {
        "lang": language,
        "meetings": meetings,
        "fellowship_contacts": fellowship_contacts,
        "group_contacts": group_contacts,
        "printed_on": timezone.localdate(),
        "body_template": f"referrals/handout/body_{language}.html",
        "density": density,
        "density_class": DENSITIES[density],
    }


def _handout_view(view):
    """The handout's two views, the page and the PDF: the contact within the user's units, the handout's language,
    and, when no suggested meeting is still held, a page that says there is nothing to print (logged as a view).

    The view gets the request and the page's context: contact, lang, suggested_total and left_out (how many of the
    suggested meetings are no longer held)."""

    @never_cache
    @patient_data_required
    @require_GET
    @functools.wraps(view)
    def wrapper(request, pk: int):
        contact = get_contact_for_user(request.user, pk)
        total = contact.suggested_meetings.count()
        inactive = contact.suggested_meetings.filter(status=Status.INACTIVE).count()
        context = {
            "contact": contact,
            "lang": handout_language(request),
            "suggested_total": total,
            "left_out": inactive,
        }
        if total - inactive > 0:
            return view(request, context)
        audit.log_access(
            user=request.user, action=audit.Action.VIEW, request=request, contact=contact, detail="handout: no meetings"
        )
        return render(request, "referrals/handout/no_meetings.html", context)

    return wrapper


@_handout_view
def handout(request, context):
    """The handout as a page to print, with a toolbar (print, PDF, language) that the print stylesheet hides."""
    contact, language = context["contact"], context["lang"]
    # The sheet is rendered in the handout's language (dates and weekdays too); the page around it in the user's.
    with translation.override(language):
        context["sheet"] = render_to_string("referrals/handout/_sheet.html", handout_context(contact, language))
    total, inactive = context["suggested_total"], context["left_out"]
    context["left_out"] = inactive + max(0, total - inactive - MAX_MEETINGS)
    audit.log_access(
        user=request.user, action=audit.Action.PRINT, request=request, contact=contact, detail=f"handout {language}"
    )
    return render(request, "referrals/handout/page.html", context)


@functools.cache
def _pdf_resources():
    """The parsed stylesheets and the font configuration, made once per process: they never change while it runs,
    and parsing and matching them was a fifth of every PDF."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    stylesheet = CSS(string=Path(finders.find(STYLESHEET)).read_text(encoding="utf-8"), font_config=fonts)
    return [stylesheet], fonts


def render_document(html: str):
    """The laid-out WeasyPrint document of the handout HTML. WeasyPrint may fetch nothing but data: URIs."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    stylesheets, fonts = _pdf_resources()
    # No network, no files: links in meeting data must never be fetched; the QR codes are data: URIs.
    fetcher = URLFetcher(allowed_protocols=("data",))
    return HTML(string=html, url_fetcher=fetcher).render(stylesheets=stylesheets, font_config=fonts)


def render_one_page_pdf(context: dict) -> bytes:
    """The PDF at the estimated density, set denser when it still runs onto a second page."""
    for density in range(context["density"], len(DENSITIES)):
        html = render_to_string("referrals/handout/pdf.html", {**context, "density_class": DENSITIES[density]})
        document = render_document(html)
        if len(document.pages) == 1 or density == len(DENSITIES) - 1:
            return document.write_pdf()
    raise AssertionError("unreachable")


@_handout_view
def handout_pdf(request, context):
    """The same handout as a PDF download."""
    contact, language = context["contact"], context["lang"]
    with translation.override(language):
        context = handout_context(contact, language, for_pdf=True)
        pdf = render_one_page_pdf(context)
    audit.log_access(
        user=request.user,
        action=audit.Action.EXPORT,
        request=request,
        contact=contact,
        detail=f"handout {language} (PDF)",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{PDF_FILENAMES[language]}"'
    return response
