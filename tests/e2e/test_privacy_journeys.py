"""Two-factor enrolment and log-in, and the patient access report, in a real browser (CSP, axe, logs)."""

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from referrals.audit import Action, log_access
from referrals.pseudonyms import pseudonym_for
from tests.factories import PASSWORD, PatientContactFactory, authenticator_for, totp_now

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _password_login(page, user):
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_first_login_enrols_the_authenticator_and_shows_recovery_codes(
    page, settings, clinician_a, unit_a, assert_accessible
):
    settings.REQUIRE_2FA = True
    _password_login(page, clinician_a)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/setup/\?next=%2F$"))
    expect(page.locator("svg.qr-code")).to_be_visible()
    assert page.locator("svg.qr-code").bounding_box()["width"] >= 150
    assert_accessible()
    secret = page.locator(".secret-key code").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.locator("input[name=code]").fill(f"{totp(key):06d}")
    page.locator("form[action$='/2fa/setup/'] button[type=submit]").click()
    expect(page.locator(".code-list li")).to_have_count(10)
    assert_accessible()
    page.locator(".recovery-codes a.ds-button").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main")).to_contain_text(unit_a.code)


def test_later_logins_ask_for_the_code(page, settings, clinician_a, assert_accessible):
    settings.REQUIRE_2FA = True
    device = authenticator_for(clinician_a)
    _password_login(page, clinician_a)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/"))
    assert_accessible()
    page.locator("input[name=code]").fill(totp_now(device))
    page.locator("form[action$='/2fa/verify/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_administrator_prints_the_patient_access_report(
    page, login_as, administrator, clinician_a, unit_a, log_watch, assert_accessible
):
    reference = "EP-2026-0042"
    pseudonym = pseudonym_for(reference)
    log_watch.forbid(reference, pseudonym)
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a, patient_pseudonym=pseudonym)
    log_access(user=clinician_a, action=Action.VIEW, contact=contact)
    login_as(administrator)
    page.goto("/privacy/patient-access/")
    page.locator("input[name=reference]").fill(reference)
    page.locator("button[value=html]").click()
    expect(page.locator("table.access-table tbody tr")).to_have_count(2)
    assert reference not in page.url
    assert_accessible()
    page.emulate_media(media="print")
    expect(page.locator("form.no-print")).to_be_hidden()
    expect(page.locator("table.access-table")).to_be_visible()
