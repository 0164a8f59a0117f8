"""Issue 17's remaining journeys in the browser: the patient code shown on leaving the field (5), every bad row of
a contact import shown at once (3), and the site's own error pages in both languages (10)."""

import re

import pytest
from playwright.sync_api import expect

from referrals.models import AccessLogEntry, PatientContact
from referrals.pseudonyms import fingerprint, normalise_reference, pseudonym_for
from tests.factories import PatientContactFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REFERENCE = "Epi 2026/0077"


def test_leaving_the_patient_number_shows_the_patient_code_once_per_number(page, login_as, unit_a, clinician_a):
    """Issue 17.5: typing a number and leaving the field checks it; leaving it again unchanged does not."""
    login_as(clinician_a)
    page.goto("/contacts/new/")
    field = page.locator("input[name=patient_reference]")
    field.fill(REFERENCE)
    page.keyboard.press("Tab")

    code = fingerprint(pseudonym_for(normalise_reference(REFERENCE)))
    expect(page.locator("#patient-lookup .fingerprint")).to_have_text(code)
    expect(page.locator("#patient-lookup-status")).to_contain_text(code)
    field.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#patient-lookup .fingerprint")).to_have_text(code)
    assert AccessLogEntry.objects.filter(action=AccessLogEntry.Action.LOOKUP).count() == 1
    assert PatientContact.objects.count() == 0


def test_an_import_preview_lists_every_bad_row_at_once_and_imports_nothing(page, login_as, lead_a, unit_a, tmp_path):
    """Issue 17.3: two bad rows, one with two problems: every row and every problem is on the first preview."""
    upload = tmp_path / "uttrekk.csv"
    upload.write_text(
        "date,unit,patient_ref,setting,intensity,fellowships,response,clinician\n"
        "2026-03-01,RUS-POL,EP-1,outpatient,2,AA,,\n"
        "2026-03-02,RUS-POL,EP-2,outpatient,9,,,\n"
        "2099-01-01,NOPE,EP-3,outpatient,2,,,\n",
        encoding="utf-8",
    )
    login_as(lead_a)
    page.goto("/contacts/")
    page.locator("main a[href='/contacts/import/']").first.click()
    page.locator("input[type=file][name=file]").set_input_files(str(upload))
    page.locator("button[name=action][value=upload]").click()

    rows = page.locator("table.import-errors th[scope=row]")
    expect(rows).to_have_text(["3", "4"])
    row_four = page.locator("table.import-errors tr").filter(has=page.locator("th", has_text="4"))
    expect(row_four.locator("li")).to_have_count(2)
    expect(page.locator("main")).to_contain_text("2 av 3 rader er ugyldige")
    expect(page.locator("button[name=action][value=confirm]")).to_have_count(0)
    assert PatientContact.objects.count() == 0


def test_error_pages_are_the_sites_own_in_both_languages(page, login_as, analyst, unit_a, clinician_a):
    """Issue 17.10: a quality analyst opening a contact gets the site's 403 page, not a bare "403 Forbidden"."""
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a)
    login_as(analyst)

    response = page.goto(f"/contacts/{contact.pk}/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Du har ikke tilgang til denne siden")
    expect(page.locator("header.site-header")).to_be_visible()
    page.locator("main a[href='/']").first.click()
    expect(page).to_have_url(re.compile(r"/$"))

    response = page.goto("/finnes-ikke/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Fant ikke siden")
    page.locator("button[name=language][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    response = page.goto(f"/contacts/{contact.pk}/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("You do not have access to this page")
