"""Result cards are shared between different searches (registry/page_cache.py, `result_cards`): a meeting's card is
rendered once per day, language and next date, each search puts in its own distance, and a change to the meeting
shows in the next search."""

import datetime
import json
import re
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from registry import cards, feed
from tests.factories import TypedMeetingFactory, municipality

URL = reverse("registry:search")


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.REGISTRY_PAGE_CACHE_SECONDS = 60
    cache.clear()
    feed.clear_process_cache()
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, 0, 10, tzinfo=datetime.UTC), tick=False):
        yield
    cache.clear()


@pytest.fixture
def meeting(db, django_capture_on_commit_callbacks):
    # Committed, as far as the registry's change generation can tell: nothing uncommitted is ever cached.
    with django_capture_on_commit_callbacks(execute=True):
        return TypedMeetingFactory(
            name="Kvadraturen tirsdag", municipality=municipality("4204"), latitude=58.1455, longitude=7.9955, weekday=2
        )


def search(client, **query):
    # A logged-in page or a new address: neither whole-page cache answers, so only the cards can be shared.
    with mock.patch.object(cards, "card_pieces", wraps=cards.card_pieces) as render:
        response = client.get(URL, query)
    assert response.status_code == 200
    response.cards_rendered = render.call_count
    return response


def cards_rendered(response) -> int:
    """How many cards the search built (registry/cards.py) rather than took from the cache."""
    return response.cards_rendered


def distances(response) -> list[str]:
    return re.findall(r"<dd>([^<]*km)</dd>", response.content.decode())


def test_a_different_search_listing_the_same_meeting_takes_its_card_from_the_cache(client, meeting):
    first = search(client, postal_code="4611")
    second = search(client, q="Kvadraturen")

    assert cards_rendered(first) == 1
    assert cards_rendered(second) == 0
    assert "Kvadraturen tirsdag" in second.content.decode()


def test_each_search_puts_in_its_own_distance(client, meeting):
    near = search(client, postal_code="4611")  # Kristiansand
    far = search(client, postal_code="0150")  # Oslo

    assert cards_rendered(far) == 0
    assert len(distances(near)) == len(distances(far)) == 1
    assert float(distances(near)[0].split()[0].replace(",", ".").replace("\xa0", "")) < 20
    assert float(distances(far)[0].split()[0].replace(",", ".").replace("\xa0", "")) > 200
    assert distances(search(client, q="Kvadraturen")) == []


def test_an_edited_meeting_shows_in_the_next_search(client, meeting, django_capture_on_commit_callbacks):
    search(client, postal_code="4611")
    with django_capture_on_commit_callbacks(execute=True):
        meeting.name = "Kvadraturen, nytt navn"
        meeting.save()

    response = search(client, postal_code="4612")

    assert cards_rendered(response) == 1
    assert "Kvadraturen, nytt navn" in response.content.decode()


def test_each_language_gets_its_own_card(client, meeting):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    search(client, postal_code="4611")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = search(client, postal_code="4612")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    norwegian = search(client, postal_code="4613")

    assert cards_rendered(english) == 1 and "<dt>Next</dt>" in english.content.decode()
    assert cards_rendered(norwegian) == 0 and "<dt>Neste</dt>" in norwegian.content.decode()


def test_a_passed_meeting_gets_a_card_with_its_new_next_date(client, meeting):
    before = search(client, postal_code="4611").content.decode()
    with time_machine.travel(datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC), tick=False):
        after = search(client, postal_code="4612")

    assert cards_rendered(after) == 1
    assert re.findall(r'<time datetime="([^"]+)"', before) != re.findall(
        r'<time datetime="([^"]+)"', after.content.decode()
    )


def map_points(response) -> list[dict]:
    found = re.search(
        r'<script id="registry-map-points" type="application/json">(.*?)</script>', response.content.decode()
    )
    return json.loads(found.group(1))


def test_a_search_whose_cards_are_all_cached_loads_no_meeting(client, meeting, django_assert_num_queries):
    first = search(client, postal_code="4611")
    # The rows within 10 km (too few), the fifth nearest distance and the rows within the radius it picks. The
    # fellowship menu, the page's meetings and their types are not read: the menu, every card and map point come
    # from the cache.
    with django_assert_num_queries(3):
        second = search(client, postal_code="4612")

    assert cards_rendered(second) == 0
    assert "Kvadraturen tirsdag" in second.content.decode()
    assert map_points(second) == map_points(first) != []
    assert map_points(second)[0]["name"] == "Kvadraturen tirsdag"


NOW = datetime.datetime(2026, 11, 26, 12, 0, 10, tzinfo=datetime.UTC)


def verified(meeting, ago: datetime.timedelta, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        meeting.last_verified_at = NOW - ago
        meeting.save()


def freshness(response) -> str:
    found = re.search(r'registry-freshness" data-size="sm">(.*?)</p>', response.content.decode()).group(1)
    return found.replace("\xa0", " ")  # timesince puts a no-break space between number and unit


def later(minutes: float):
    return time_machine.travel(NOW + datetime.timedelta(minutes=minutes), tick=False)


def test_a_card_verified_weeks_ago_is_kept_past_the_minute(client, meeting, django_capture_on_commit_callbacks):
    verified(meeting, datetime.timedelta(days=21, hours=3), django_capture_on_commit_callbacks)
    search(client, postal_code="4611")
    with later(45):
        kept = search(client, postal_code="4612")

    assert cards_rendered(kept) == 0
    assert freshness(kept) == "Verified 3 weeks ago"


def test_a_card_verified_minutes_ago_is_rendered_again_the_next_minute(
    client, meeting, django_capture_on_commit_callbacks
):
    verified(meeting, datetime.timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert freshness(search(client, postal_code="4611")) == "Verified 5 minutes ago"
    with later(1):
        again = search(client, postal_code="4612")

    assert cards_rendered(again) == 1
    assert freshness(again) == "Verified 6 minutes ago"


def test_a_card_is_rendered_again_when_its_days_since_verification_tick_over(
    client, meeting, django_capture_on_commit_callbacks
):
    verified(meeting, datetime.timedelta(days=2, hours=23, minutes=50), django_capture_on_commit_callbacks)
    assert freshness(search(client, postal_code="4611")) == "Verified 2 days ago"
    with later(9):
        same = search(client, postal_code="4612")
    with later(11):
        ticked = search(client, postal_code="4613")

    assert cards_rendered(same) == 0
    assert cards_rendered(ticked) == 1
    assert freshness(ticked) == "Verified 3 days ago"


def test_a_card_turns_stale_when_six_months_have_passed(client, meeting, django_capture_on_commit_callbacks):
    verified(meeting, datetime.timedelta(days=181, hours=23, minutes=55), django_capture_on_commit_callbacks)
    assert "Not verified in over 6 months" not in freshness(search(client, postal_code="4611"))
    with later(6):
        stale = search(client, postal_code="4612")

    assert "Not verified in over 6 months" in freshness(stale)


def test_a_write_that_moves_no_generation_shows_within_an_hour(client, meeting, django_capture_on_commit_callbacks):
    from registry.models import Meeting

    verified(meeting, datetime.timedelta(days=30), django_capture_on_commit_callbacks)
    search(client, postal_code="4611")
    Meeting.objects.filter(pk=meeting.pk).update(name="Endret uten signal")  # no save(): no generation moves
    with later(59):
        assert "Endret uten signal" not in search(client, postal_code="4612").content.decode()
    with later(61):
        assert "Endret uten signal" in search(client, postal_code="4613").content.decode()
