"""The patient handout (referrals.handout): the print page and the PDF."""

import datetime
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from core.periods import OSLO
from referrals.models import AccessLogEntry
from registry.models import MeetingType
from tests.factories import (
    FellowshipFactory,
    GroupFactory,
    MeetingFactory,
    PatientContactFactory,
    UserFactory,
    login,
)

REFERENCE_PSEUDONYM = "ab12cd34" + "e" * 56


@pytest.fixture(autouse=True)
def thursday_26_november():
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0, tzinfo=OSLO), tick=False):
        yield


def typed(meeting, *codes):
    meeting.types.set(MeetingType.objects.filter(code__in=codes))
    return meeting


@pytest.fixture
def contact(unit_a, clinician_a):
    aa = FellowshipFactory(code="AA", name="Anonyme Alkoholikere", website="https://www.anonymealkoholikere.no/")
    clinician_a.first_name, clinician_a.last_name = "Kari", "Klinikersen"
    clinician_a.save()
    contact = PatientContactFactory(
        unit=unit_a,
        clinician=clinician_a,
        patient_pseudonym=REFERENCE_PSEUDONYM,
        notes="Hemmelig notat om pasienten",
        intensity=2,
    )
    contact.fellowships.set([aa])
    contact.suggested_meetings.set(
        [
            typed(MeetingFactory(name="Tirsdagsgruppa", group__fellowship=aa, weekday=2), "O", "BE"),
            typed(
                MeetingFactory(
                    name="Torsdagsmøtet",
                    group__fellowship=aa,
                    group__contact="900 00 000",
                    weekday=4,
                    start_time=datetime.time(18, 0),
                    end_time=None,
                ),
                "C",
            ),
        ]
    )
    return contact


def sheet_of(response) -> str:
    """The handout itself, without the page around it."""
    html = response.content.decode()
    return html[html.index('<article class="handout"') : html.index("</article>")]


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_handout_lists_meetings_with_weekday_time_address_and_next_date(client, clinician_a, contact):
    login(client, clinician_a)

    response = client.get(reverse("referrals:handout", args=[contact.pk]))

    assert response.status_code == 200
    sheet = sheet_of(response)
    assert 'lang="nb"' in sheet
    assert "Tirsdag kl. 19.00–20.30" in sheet
    assert "Torsdag kl. 18.00<" in sheet or "Torsdag kl. 18.00\n" in sheet
    assert "Tirsdagsgruppa" in sheet and "Torsdagsmøtet" in sheet
    assert "Kirkens bymisjon" in sheet and "Gyldenløves gate 1, 4611 Kristiansand" in sheet
    assert "neste gang 1. desember" in sheet
    assert "neste gang 26. november" in sheet  # Thursday 18:00 is later today
    assert "Åpent møte" in sheet and "Lukket møte" in sheet
    assert "For nykommere" in sheet


def test_handout_explains_first_meetings_and_answers_the_five_worries(client, clinician_a, contact):
    login(client, clinician_a)

    sheet = sheet_of(client.get(reverse("referrals:handout", args=[contact.pk])))

    for text in [
        "Det er gratis. Du trenger ikke melde deg på.",
        "også etter et tilbakefall",
        "bare å sitte og lytte",
        "Da blir du bedt om bare å lytte",
        "Prøv et par møter",
        "«Jeg klarer ikke å snakke når mange hører på.»",
        "«Jeg har psykiske plager. Jeg er ikke alkoholiker.»",
        "«Det er bare for dem som har mistet alt.»",
        "«Jeg vil ikke ha noe med en religiøs sekt å gjøre.»",
        "«Jeg liker ikke formen på møtene.»",
        "Lukket møte:</strong> for deg som selv ønsker å slutte",
    ]:
        assert text in sheet


def test_handout_gives_the_public_contact_channels(client, clinician_a, contact):
    login(client, clinician_a)

    sheet = sheet_of(client.get(reverse("referrals:handout", args=[contact.pk])))

    assert "Anonyme Alkoholikere (AA):</strong> anonymealkoholikere.no" in sheet
    assert "900 00 000" in sheet


def test_handout_in_english_when_asked(client, clinician_a, contact):
    login(client, clinician_a)

    sheet = sheet_of(client.get(reverse("referrals:handout", args=[contact.pk]), {"lang": "en"}))

    assert 'lang="en"' in sheet
    assert "Tuesday 19:00–20:30" in sheet
    assert "next on 1 December" in sheet
    assert "Open meeting" in sheet and "Closed meeting" in sheet
    assert "You do not have to say anything" in sheet
    assert "Tirsdag kl." not in sheet and "Åpent møte" not in sheet


def test_handout_language_does_not_follow_the_interface_language(client, clinician_a, contact, settings):
    login(client, clinician_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("referrals:handout", args=[contact.pk]), {"lang": "nb"})

    sheet = sheet_of(response)
    assert "neste gang 1. desember" in sheet
    assert "Printed" not in sheet and "Skrevet ut 26. november 2026" in sheet
    assert "Download PDF" in response.content.decode()  # the page around it stays in English


def test_unknown_handout_language_falls_back_to_norwegian(client, clinician_a, contact):
    login(client, clinician_a)

    response = client.get(reverse("referrals:handout", args=[contact.pk]), {"lang": "<script>"})

    assert response.status_code == 200
    assert 'lang="nb"' in sheet_of(response)
    assert "<script>" not in response.content.decode()


def test_handout_carries_no_patient_or_unit_data(client, clinician_a, contact):
    login(client, clinician_a)

    response = client.get(reverse("referrals:handout", args=[contact.pk]))

    html = response.content.decode()
    for secret in [REFERENCE_PSEUDONYM, REFERENCE_PSEUDONYM[:8], contact.fingerprint, "Hemmelig notat"]:
        assert secret not in html
    sheet = sheet_of(response)
    for internal in ["Rus poliklinikk", "RUS-POL", "Klinikersen", "klinikera", "2026-10-15", "15. oktober"]:
        assert internal not in sheet


def test_pdf_is_a_one_page_pdf_with_the_meetings_and_no_identifier(client, clinician_a, contact):
    login(client, clinician_a)

    response = client.get(reverse("referrals:handout_pdf", args=[contact.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="selvhjelpsgrupper.pdf"'
    assert response.content.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1
    text = pdf_text(response)
    assert "Tirsdagsgruppa" in text and "Torsdagsmøtet" in text
    assert "Slik er det å komme på møte" in text
    for secret in [contact.fingerprint, "Hemmelig", "Klinikersen", "Rus poliklinikk"]:
        assert secret not in text


def test_pdf_in_english(client, clinician_a, contact):
    login(client, clinician_a)

    response = client.get(reverse("referrals:handout_pdf", args=[contact.pk]), {"lang": "en"})

    assert response["Content-Disposition"] == 'attachment; filename="self-help-groups.pdf"'
    text = pdf_text(response)
    assert "What a meeting is like" in text and "Tuesday" in text


@pytest.mark.parametrize("language", ["nb", "en"])
def test_handout_with_four_busy_meetings_fits_on_one_page(client, clinician_a, unit_a, language):
    login(client, clinician_a)
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a, intensity=2)
    fellowships = [FellowshipFactory(code="AA"), FellowshipFactory(code="NA", website="https://nanorge.org/")]
    meetings = []
    for number in range(4):
        group = GroupFactory(
            name=f"Gruppe med et ganske langt navn nummer {number}",
            fellowship=fellowships[number % 2],
            contact="+47 400 00 00" + str(number),
            website=f"https://gruppe{number}.example.org/",
        )
        meeting = MeetingFactory(
            group=group,
            name=f"Et møte med et langt navn {number}",
            weekday=1 + number,
            attendance_mode="hybrid",
            conference_url=f"https://zoom.example.org/j/8123456789{number}?pwd=abcdefghijklmnopqrstuvwxyz",
            conference_phone="+47 21 00 00 00",
            conference_phone_notes="Møte-ID 812 3456 7890",
            location_notes="Inngang fra bakgården, ring på døra merket AA. Heis finnes.",
            recurrence="monthly" if number == 3 else "weekly",
            week_of_month=-1 if number == 3 else None,
        )
        meetings.append(typed(meeting, "O", "BE", "X", "W", "EN"))
    contact.suggested_meetings.set(meetings)
    contact.fellowships.set(fellowships)

    response = client.get(reverse("referrals:handout_pdf", args=[contact.pk]), {"lang": language})

    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    assert all(meeting.name in reader.pages[0].extract_text() for meeting in meetings)


def contact_with_an_online_meeting(client, clinician, unit):
    login(client, clinician)
    contact = PatientContactFactory(unit=unit, clinician=clinician, intensity=1)
    contact.suggested_meetings.set(
        [
            MeetingFactory(
                attendance_mode="online",
                address="",
                venue="",
                municipality=None,
                conference_url="https://meet.example.org/room",
                conference_phone="+47 21 00 00 00",
            )
        ]
    )
    return contact


def test_online_meeting_shows_link_phone_and_a_qr_code(client, clinician_a, unit_a):
    contact = contact_with_an_online_meeting(client, clinician_a, unit_a)

    sheet = sheet_of(client.get(reverse("referrals:handout", args=[contact.pk])))

    assert "Møtet er på nett." in sheet
    assert "https://meet.example.org/room" in sheet and "+47 21 00 00 00" in sheet
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="QR-kode til lenken">', sheet)


def test_pdf_of_an_online_meeting_carries_the_qr_code_as_an_image(client, clinician_a, unit_a):
    contact = contact_with_an_online_meeting(client, clinician_a, unit_a)

    response = client.get(reverse("referrals:handout_pdf", args=[contact.pk]))

    images = PdfReader(io.BytesIO(response.content)).pages[0].images
    assert len(images) == 1
    assert images[0].image.size[0] >= 150  # sharp enough to scan at 15 mm


def test_meetings_no_longer_held_are_left_out_and_the_clinician_is_told(client, clinician_a, unit_a):
    login(client, clinician_a)
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a, intensity=1)
    contact.suggested_meetings.set(
        [MeetingFactory(name="Holdes fortsatt"), MeetingFactory(name="Nedlagt møte", status="inactive")]
    )

    response = client.get(reverse("referrals:handout", args=[contact.pk]))

    assert "Holdes fortsatt" in sheet_of(response)
    assert "Nedlagt møte" not in response.content.decode()
    assert "1 suggested meeting is not on the handout" in response.content.decode()


def test_contact_without_suggested_meetings_gets_a_helpful_message(client, clinician_a, unit_a):
    login(client, clinician_a)
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a)

    for name in ["referrals:handout", "referrals:handout_pdf"]:
        response = client.get(reverse(name, args=[contact.pk]))

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert "No meetings were suggested" in response.content.decode()
    assert not AccessLogEntry.objects.filter(action__in=["print", "export"]).exists()


def test_printing_and_downloading_are_logged(client, clinician_a, contact):
    login(client, clinician_a)

    client.get(reverse("referrals:handout", args=[contact.pk]), {"lang": "en"}, REMOTE_ADDR="10.1.2.3")
    client.get(reverse("referrals:handout_pdf", args=[contact.pk]))

    entries = list(AccessLogEntry.objects.order_by("id"))
    assert [(entry.action, entry.detail) for entry in entries] == [
        ("print", "handout en"),
        ("export", "handout nb (PDF)"),
    ]
    assert all(entry.contact == contact and entry.user == clinician_a for entry in entries)
    assert entries[0].client_address == "10.1.2.3"
    assert entries[0].patient_pseudonym == REFERENCE_PSEUDONYM


@pytest.mark.parametrize("name", ["referrals:handout", "referrals:handout_pdf"])
def test_clinician_of_another_unit_gets_404_and_nothing_is_logged(client, clinician_b, contact, name):
    login(client, clinician_b)

    assert client.get(reverse(name, args=[contact.pk])).status_code == 404
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("name", ["referrals:handout", "referrals:handout_pdf"])
def test_unit_lead_of_the_unit_may_print(client, lead_a, contact, name):
    login(client, lead_a)

    assert client.get(reverse(name, args=[contact.pk])).status_code == 200


@pytest.mark.parametrize("persona", ["analyst", "curator"])
def test_roles_without_patient_data_are_refused(client, request, contact, persona):
    login(client, request.getfixturevalue(persona))

    assert client.get(reverse("referrals:handout", args=[contact.pk])).status_code == 403


def test_deleted_contact_has_no_handout(client, clinician_a, contact):
    contact.deleted_at = datetime.datetime(2026, 11, 1, tzinfo=OSLO)
    contact.save()
    login(client, clinician_a)

    assert client.get(reverse("referrals:handout", args=[contact.pk])).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, contact):
    response = client.get(reverse("referrals:handout_pdf", args=[contact.pk]))

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_handout_page_is_not_cached(client, clinician_a, contact):
    login(client, clinician_a)

    response = client.get(reverse("referrals:handout", args=[contact.pk]))

    assert "no-store" in response["Cache-Control"]


def test_more_meetings_cost_no_more_queries(client, clinician_a, unit_a):
    # A first page loads the user and the units, which later requests are given (accounts/principals.py).
    login(client, clinician_a).get(reverse("home"))
    fellowship = FellowshipFactory(code="AA")

    def queries_for(count: int) -> int:
        contact = PatientContactFactory(unit=unit_a, clinician=clinician_a, intensity=1)
        contact.suggested_meetings.set(
            [
                typed(MeetingFactory(group=GroupFactory(fellowship=fellowship, contact="1"), weekday=1 + n), "O")
                for n in range(count)
            ]
        )
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("referrals:handout", args=[contact.pk])).status_code == 200
        return len(captured)

    assert queries_for(1) == queries_for(4)


def test_user_without_any_unit_is_refused(client, contact):
    login(client, UserFactory(username="nobody"))

    assert client.get(reverse("referrals:handout", args=[contact.pk])).status_code == 403
