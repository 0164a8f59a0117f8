"""The whole identity-provider login in Chromium: login page → provider → back logged in → logout at both ends.

The provider is npm oidc-provider on loopback, registered with the live server's callback addresses.
"""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from accounts.models import ExternalIdentity
from accounts.oidc import forget_provider_apps
from tests.factories import UserFactory
from tests.oidc import PID, require_provider_installed, start_provider

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser_provider(live_server):
    require_provider_installed()
    provider = start_provider([live_server.url])
    yield provider
    provider.stop()


@pytest.fixture
def providers_configured(settings, browser_provider):
    settings.OIDC_PROVIDERS = (browser_provider.helseid(), browser_provider.entra())
    settings.REQUIRE_2FA = True
    forget_provider_apps()
    yield browser_provider
    forget_provider_apps()


def test_helseid_login_and_logout_in_the_browser(page, live_server, providers_configured, log_watch):
    log_watch.forbid(PID)
    kari = UserFactory(username="kari", first_name="Kari", last_name="Nordmann", hpr_number="565501872")
    page.goto("/accounts/login/")
    page.locator('button[data-provider="helseid"]').click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(providers_configured.issuer)}/interaction/"))
    page.locator("#login").fill("hpr-level4")
    page.get_by_role("button", name="Log in").click()
    # Security level 4: straight to the home page, no one-time code asked.
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("header.site-header")).to_contain_text("Kari Nordmann")
    assert ExternalIdentity.objects.get().user == kari
    assert all(PID not in repr(session.get_decoded()) for session in Session.objects.all())

    page.locator("header.site-header form[action='/accounts/logout/'] button").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(providers_configured.issuer)}/session/end"))
    page.get_by_role("button", name="Yes, log me out").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/accounts/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_entra_login_without_mfa_goes_on_to_the_one_time_code(page, live_server, providers_configured):
    UserFactory(username="per", email="per.pwd@sykehus.example")
    page.goto("/accounts/login/")
    page.locator('button[data-provider="entra"]').click()
    page.locator("#login").fill("entra-password-only")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/setup/"))


def test_an_unknown_identity_is_told_to_ask_the_administrator(page, providers_configured, assert_accessible):
    page.goto("/accounts/login/")
    assert_accessible()
    page.locator('button[data-provider="helseid"]').click()
    page.locator("#login").fill("hpr-unknown")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert")).to_contain_text("administrator")
    assert_accessible()
