"""A clinician logs in with the real form, in a real browser, and the page is styled."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_clinician_logs_in_and_sees_own_unit(page, clinician_a, unit_a):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("input[name=username]").fill(clinician_a.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main")).to_contain_text(unit_a.code)


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page, clinician_a):
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(clinician_a.username)
    page.locator("input[name=password]").fill("not-the-password")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert")).to_be_visible()


def test_stylesheets_load_from_the_live_server(page):
    """The live server serves static files: Designsystemet and app.css apply to the page."""
    loaded = []
    page.on("response", lambda response: loaded.append((response.url, response.status)))
    page.goto("/accounts/login/")
    stylesheets = [(url, status) for url, status in loaded if url.endswith(".css")]
    assert any(url.endswith("/css/app.css") for url, _ in stylesheets), stylesheets
    assert all(status == 200 for _, status in stylesheets), stylesheets
    # app.css puts a border under the header; unstyled, it would have none.
    border = page.locator(".site-header").evaluate("element => getComputedStyle(element).borderBottomStyle")
    assert border == "solid"
    # Designsystemet's button class gives buttons its own padding and colour.
    assert page.locator("button.ds-button").first.evaluate("element => getComputedStyle(element).cursor") == "pointer"
