"""A meeting's result card (registry/cards.py): what it says and how it is marked up, for the search and the group
page, in English and Norwegian."""

import dataclasses
import datetime
import re

import pytest
import time_machine
from django.urls import NoReverseMatch
from django.utils import translation

from registry import cards
from registry.models import AttendanceMode, Meeting, Status
from registry.views import card_results
from tests.factories import FellowshipFactory, GroupFactory, TypedMeetingFactory

# Thursday 26 November 2026, 13:00 in Oslo.
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def make_card(*, distance_km=None, types=("O",), **fields) -> str:
    fields.setdefault("last_verified_at", NOW - datetime.timedelta(weeks=3))
    meeting = TypedMeetingFactory(types=list(types), **fields)
    [result] = card_results(cards.load(Meeting.objects.filter(pk=meeting.pk)), NOW)
    return cards.card(dataclasses.replace(result, distance_km=distance_km), cards.detail_urls())


def text(card: str) -> str:
    """The card as a reader sees it: its text, each element's on one line."""
    lines = (re.sub(r"\s+", " ", line).strip() for line in re.split(r"<[^>]+>", card))
    return "\n".join(line for line in lines if line)


def tags(card: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="ds-tag" data-color="(\w+)"[^>]*>([^<]+)</span>', card)


def test_an_open_meeting_in_person_with_a_distance(db):
    group = GroupFactory(fellowship=FellowshipFactory(code="AA"))
    card = make_card(
        group=group, name="Tirsdagsmøtet", slug="tirsdagsmotet", postal_code="4611", distance_km=2.345, types=["O"]
    )

    assert card.startswith('<li class="ds-card registry-result">')
    assert card.rstrip().endswith("</li>")
    assert '<a class="ds-link" href="/meetings/tirsdagsmotet/">Tirsdagsmøtet</a>' in card
    assert '<ul class="registry-tags" aria-label="About this meeting">' in card
    assert '<span class="ds-tag" data-color="accent" title="Anonyme Alkoholikere">AA</span>' in card
    assert tags(card) == [("accent", "AA"), ("success", "Open"), ("info", "In person")]
    assert '<time datetime="2026-12-01T19:00:00+01:00">Tuesday December 1 19:00</time>' in card
    assert '<p class="ds-paragraph registry-freshness" data-size="sm">' in card
    assert text(card) == "\n".join(
        [
            "Tirsdagsmøtet",
            "AA",
            "Open",
            "In person",
            "When",
            "Every Tuesday 19:00–20:30",
            "Next",
            "Tuesday December 1 19:00",
            "Where",
            "Kirkens bymisjon, Gyldenløves gate 1, 4611 Kristiansand",
            "Distance",
            "2.3 km",
            "Verified 3 weeks ago",
        ]
    )


def test_a_closed_meeting_online_has_no_place_and_no_distance(db):
    card = make_card(types=["C"], attendance_mode=AttendanceMode.ONLINE, distance_km=None)

    assert tags(card)[1:] == [("neutral", "Closed"), ("info", "Online")]
    assert "Where\nOnline: link on the meeting page\nVerified 3 weeks ago" in text(card)
    assert "Distance" not in card and "Kristiansand" not in card


def test_a_hybrid_meeting_has_both_its_place_and_the_link(db):
    card = make_card(attendance_mode=AttendanceMode.HYBRID, venue="", postal_code="")

    assert "Where\nGyldenløves gate 1, Kristiansand · Online: link on the meeting page\n" in text(card)
    assert ("info", "Hybrid") in tags(card)


def test_a_meeting_neither_open_nor_closed_gets_no_badge_and_its_status_shows(db):
    card = make_card(types=(), status=Status.TEMPORARILY_CLOSED)

    assert [tag for _color, tag in tags(card)][1:] == ["In person", "Temporarily closed"]
    assert ("warning", "Temporarily closed") in tags(card)


@pytest.mark.parametrize(
    ("last_verified_at", "freshness"),
    [
        (None, '<span class="ds-tag" data-color="warning">Not verified yet</span>'),
        (
            NOW - datetime.timedelta(days=200),
            '<span class="ds-tag" data-color="warning">Not verified in over 6 months</span>',
        ),
        (NOW - datetime.timedelta(days=65), "Verified 2\xa0months ago"),
    ],
)
def test_the_card_says_how_fresh_the_meeting_is(db, last_verified_at, freshness):
    card = make_card(last_verified_at=last_verified_at)

    assert f'<p class="ds-paragraph registry-freshness" data-size="sm">{freshness}</p>' in card


def test_a_meeting_past_its_last_date_has_no_next_date(db):
    card = make_card(valid_to=datetime.date(2026, 11, 20))

    assert "Next\nNo date set\nWhere" in text(card)
    assert "<time" not in card


def test_the_meeting_s_own_words_are_escaped(db):
    card = make_card(name="<b>Møte</b> & prat", venue='"Huset"')

    assert "&lt;b&gt;Møte&lt;/b&gt; &amp; prat" in card
    assert "&quot;Huset&quot;" in card
    assert "<b>" not in card


def test_a_card_in_norwegian(db):
    with translation.override("nb"):
        card = make_card(name="Tirsdagsmøtet", types=["C"], distance_km=12.4)

    assert '<ul class="registry-tags" aria-label="Om dette møtet">' in card
    assert text(card) == "\n".join(
        [
            "Tirsdagsmøtet",
            "AA",
            "Lukket",
            "Fysisk oppmøte",
            "Når",
            "Hver tirsdag 19:00–20:30",
            "Neste",
            "Tirsdag 1. desember 19:00",
            "Hvor",
            "Kirkens bymisjon, Gyldenløves gate 1, 4611 Kristiansand",
            "Avstand",
            "12 km",
            "Verifisert for 3 uker siden",
        ]
    )


def test_the_page_address_is_built_once_and_matches_reverse(db):
    url = cards.detail_urls()

    assert url("tirsdag-19_00") == "/meetings/tirsdag-19_00/"
    # Anything but a plain slug is left to reverse(), which refuses it rather than make a wrong address.
    with pytest.raises(NoReverseMatch):
        url("../admin")


def test_the_search_reads_by_ids_exactly_what_a_queryset_reads(db):
    """cards.load_ids (compiled once, the ids as one array on PostgreSQL) gives each meeting as cards.load does."""
    meetings = [
        make_meeting
        for make_meeting in (
            TypedMeetingFactory(types=["O"], latitude=58.1455, longitude=7.9955),
            TypedMeetingFactory(types=["C", "O"], municipality=None, attendance_mode=AttendanceMode.ONLINE),
            TypedMeetingFactory(
                types=[], group=GroupFactory(fellowship=FellowshipFactory(code="NA")), last_verified_at=NOW
            ),
        )
    ]
    ids = [meeting.pk for meeting in meetings]

    by_ids = sorted(cards.load_ids(ids), key=lambda loaded: loaded[0].pk)
    by_queryset = cards.load(Meeting.objects.filter(pk__in=ids).order_by("pk"))

    def plain(loaded):  # the fellowship is an unsaved instance: compared by what a card shows of it
        return [
            ({**dataclasses.asdict(card), "fellowship": (card.fellowship.code, card.fellowship.name)}, is_open)
            for card, is_open in loaded
        ]

    assert plain(by_ids) == plain(by_queryset)
    assert [is_open for _card, is_open in by_ids] == [True, False, None]
    assert cards.load_ids(ids[1:2])[0][0].pk == ids[1]
