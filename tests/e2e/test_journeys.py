"""The product's user journeys in a real browser, in Norwegian as a Norwegian browser would ask.

Selectors use form field names, URLs and element roles rather than visible text, so that the
tests hold whatever the translation says. Every page must also pass the `page` fixture's checks
(no CSP violation, no script error, no failed static file, no 5xx) and the log watch (no patient
reference or pseudonym in any log line).
"""

import csv
import datetime
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from referrals.models import FollowUp, PatientContact
from referrals.pseudonyms import normalise_reference, pseudonym_for
from registry.models import Meeting
from tests.factories import FellowshipFactory, MeetingFactory, PatientContactFactory
from tests.main_pages import build_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REFERENCE = "Epi 2026/0042-b"


@pytest.fixture
def meetings(db):
    aa = FellowshipFactory(code="AA")
    return [
        MeetingFactory(name="Tirsdagsgruppa Kvadraturen", group__fellowship=aa, weekday=2),
        MeetingFactory(name="Torsdagsmøtet Lund", group__fellowship=aa, weekday=4),
        MeetingFactory(name="Lørdagsmøtet Vågsbygd", group__fellowship=aa, weekday=6),
    ]


def test_anyone_searches_meetings_and_opens_one(page, meetings):
    page.goto("/meetings/")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    page.locator("input[name=q]").fill("Torsdagsmøtet")
    page.locator("form.registry-filters button[type=submit]").click()
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name="Torsdagsmøtet Lund")).to_be_visible()
    expect(results.get_by_role("link", name="Tirsdagsgruppa Kvadraturen")).to_have_count(0)
    results.get_by_role("link", name="Torsdagsmøtet Lund").click()
    expect(page).to_have_url(re.compile(rf"/meetings/{meetings[1].slug}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Torsdagsmøtet Lund")


def test_clinician_records_a_contact_with_a_referral_to_two_meetings(page, login_as, log_watch, clinician_a, meetings):
    log_watch.forbid(REFERENCE, normalise_reference(REFERENCE), pseudonym_for(REFERENCE))
    login_as(clinician_a)
    page.goto("/contacts/new/")
    page.locator("input[name=patient_reference]").fill(REFERENCE)
    page.locator("input[name=intensity][value='2']").check()
    page.locator("input[name=fellowships]").first.check()
    page.locator(f"input[name=suggested_meetings][value='{meetings[0].pk}']").check()
    page.locator(f"input[name=suggested_meetings][value='{meetings[2].pk}']").check()
    page.locator("input[name=response][value=positive]").check()
    page.locator("button[name=action][value=save]").click()

    expect(page).to_have_url(re.compile(r"/contacts/\d+/$"))
    contact = PatientContact.objects.get()
    assert contact.patient_pseudonym == pseudonym_for(REFERENCE)
    assert contact.intensity == 2
    assert set(contact.suggested_meetings.all()) == {meetings[0], meetings[2]}
    main = page.locator("main")
    expect(main).to_contain_text(meetings[0].name)
    expect(main).to_contain_text(meetings[2].name)
    expect(main).not_to_contain_text(REFERENCE)


def test_clinician_opens_the_handout_of_a_referral(page, login_as, log_watch, unit_a, clinician_a):
    world = build_world(unit=unit_a, clinician=clinician_a)
    log_watch.forbid(world.contact.patient_pseudonym)
    login_as(clinician_a)
    page.goto(f"/contacts/{world.contact.pk}/")
    page.locator(f"a[href='/contacts/{world.contact.pk}/handout/']").click()
    expect(page).to_have_url(re.compile(rf"/contacts/{world.contact.pk}/handout/$"))
    main = page.locator("main")
    for meeting in world.meetings:
        expect(main).to_contain_text(meeting.name)
    # No patient identifier on a sheet that leaves the clinic.
    expect(page.locator("body")).not_to_contain_text(world.contact.fingerprint)


def test_clinician_records_the_follow_up(page, login_as, log_watch, unit_a, clinician_a, meetings):
    contact = PatientContactFactory(
        unit=unit_a,
        clinician=clinician_a,
        intensity=2,
        follow_up_planned_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    contact.suggested_meetings.add(meetings[0])
    log_watch.forbid(contact.patient_pseudonym)
    login_as(clinician_a)
    page.goto("/contacts/worklist/")
    page.locator(f"main a[href='/contacts/{contact.pk}/follow-up/']").first.click()
    expect(page).to_have_url(re.compile(rf"/contacts/{contact.pk}/follow-up/$"))
    page.locator("input[name=attended][value=yes]").check()
    page.locator("input[name=meetings_last_30_days]").fill("3")
    page.locator("input[name=has_sponsor]").check()
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(rf"/contacts/{contact.pk}/$"))
    follow_up = FollowUp.objects.get(contact=contact)
    assert follow_up.attended == "yes"
    assert follow_up.meetings_last_30_days == 3
    assert follow_up.has_sponsor


def test_unit_lead_opens_the_report_and_downloads_the_csv(page, login_as, unit_a, lead_a, clinician_a):
    last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=15)
    moment = timezone.make_aware(datetime.datetime.combine(last_month, datetime.time(10)))
    for index in range(12):
        PatientContactFactory(unit=unit_a, clinician=clinician_a, contacted_at=moment, intensity=2 if index < 3 else 0)
    login_as(lead_a)
    page.goto("/reports/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(unit_a.code)
    with page.expect_download() as download_info:
        page.locator("a[href*='/reports/export.csv']").first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    for column in ("month", "unit_code", "unit_name", "eligible", "referred", "rate_percent", "target_percent"):
        assert column in rows[0], f"{column} missing from {list(rows[0])}"
    month_row = next(row for row in rows if row["month"].startswith(last_month.strftime("%Y-%m")))
    assert month_row["unit_code"] == unit_a.code
    assert month_row["eligible"] == "12"
    assert month_row["referred"] == "<5" or month_row["referred"] == "3"
    assert month_row["rate_percent"] in ("25.0", "")


def test_curator_edits_a_meeting_in_the_admin(page, login_as, curator, meetings):
    meeting = meetings[0]
    login_as(curator)
    page.goto(f"/admin/registry/meeting/{meeting.pk}/change/")
    page.locator("input[name=name]").fill("Tirsdagsgruppa Kvadraturen (ny sal)")
    page.locator("input[name=_save]").click()
    expect(page).to_have_url(re.compile(r"/admin/registry/meeting/(\?.*)?$"))
    expect(page.locator(".messagelist, .success").first).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.name == "Tirsdagsgruppa Kvadraturen (ny sal)"
    assert Meeting.objects.count() == 3


def test_user_switches_the_language_to_english_and_back(page, login_as, clinician_a, settings):
    settings.LANGUAGE_CODE = "nb"  # the product's default (the test settings default to English)
    login_as(clinician_a)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    log_out = page.locator("form[action='/accounts/logout/'] button[type=submit]")
    expect(log_out).to_have_text("Logg ut")
    page.locator("form.language-switch button[name=language][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(log_out).to_have_text("Log out")
    # The choice sticks to the following pages.
    page.goto("/meetings/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("form.language-switch button[name=language][value=nb]").click()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(log_out).to_have_text("Logg ut")
