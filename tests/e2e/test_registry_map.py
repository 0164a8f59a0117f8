"""The search page's map in Chromium: a list/map switch, keyboard markers, pins only where a meeting has a place
(approximate ones marked), and a page that stays a list when the map tiles cannot load (tests run offline: tile
requests are answered here with a blank tile, or refused)."""

import base64
import os
import re

import pytest
from playwright.sync_api import expect

from registry.models import AttendanceMode
from tests.factories import MeetingFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TILES = re.compile(r"^https://cache\.kartverket\.no/")
BLANK_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)


@pytest.fixture
def meetings(db):
    MeetingFactory(name="Pinned møte", slug="pinned", latitude=58.1467, longitude=7.9956)
    MeetingFactory(name="Sentrum møte", slug="centre", municipality_id="0301", postal_code="0155")
    MeetingFactory(
        name="Nettmøtet",
        slug="online",
        attendance_mode=AttendanceMode.ONLINE,
        address="",
        postal_code="",
        municipality=None,
        conference_url="https://zoom.example.org/j/1",
    )


def screenshot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=False)


def test_the_map_shows_a_keyboard_marker_per_meeting_with_a_place_and_marks_the_approximate_one(page, meetings):
    page.route(TILES, lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_TILE))
    page.goto("/meetings/")
    list_button = page.get_by_role("button", name="Liste", exact=True)
    map_button = page.get_by_role("button", name="Kart", exact=True)
    expect(list_button).to_have_attribute("aria-pressed", "true")
    screenshot(page, "search-list")
    map_button.click()
    expect(map_button).to_have_attribute("aria-pressed", "true")
    markers = page.locator(".leaflet-marker-icon")
    expect(markers).to_have_count(2)
    expect(page.locator(".registry-map__note")).to_contain_text("Møter uten sted på kartet")
    approximate = page.locator(".registry-map__approximate")
    expect(approximate).to_have_count(1)
    assert "kommunesenteret" in approximate.get_attribute("title")
    expect(page.locator(".registry-result-list")).to_be_hidden()
    screenshot(page, "search-map")
    page.locator(".leaflet-marker-icon[title='Pinned møte']").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup a.ds-link")).to_have_attribute("href", "/meetings/pinned/")
    list_button.click()
    expect(page.locator(".registry-result-list")).to_be_visible()


def test_when_the_tiles_cannot_load_the_page_stays_a_list(page, meetings):
    page.route(TILES, lambda route: route.abort())
    page.goto("/meetings/")
    page.get_by_role("button", name="Kart", exact=True).click()
    expect(page.locator(".registry-map__note")).to_contain_text("Kartbakgrunnen kunne ikke lastes")
    expect(page.locator(".registry-result-list")).to_be_visible()
    expect(page.locator(".registry-result-list > li")).to_have_count(3)


def test_english_and_phone_width(page, meetings):
    page.route(TILES, lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_TILE))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/meetings/")
    page.locator("button[name=language][value=en]").click()
    expect(page.locator("h1")).to_have_text("Find a self-help meeting")
    page.get_by_role("button", name="Map", exact=True).click()
    expect(page.locator(".leaflet-marker-icon")).to_have_count(2)
    screenshot(page, "search-map-en-phone")
