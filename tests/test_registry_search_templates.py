"""Searches near a postal code run queries compiled once per shape and filled in with each search's place and time
(core/sql_templates.py). The tests' settings compare every filled-in query with its queryset compiled afresh
(SQL_TEMPLATE_CHECKS), so a search whose kept query differs in anything raises."""

import datetime
import random
import zoneinfo
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core import generations, sql_templates
from registry import views
from registry.changes import GENERATION
from registry.models import Meeting, Recurrence
from tests.factories import FellowshipFactory, GroupFactory, TypedMeetingFactory, municipality

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
DAY = datetime.date(2026, 11, 25)
# Dense (Oslo, Bergen), sparse (Båtsfjord) and in between (Kristiansand).
POSTAL_CODES = ["0150", "5003", "9990", "4611"]


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("queries are kept on PostgreSQL only")
    sql_templates._kept.clear()
    yield
    sql_templates._kept.clear()


@pytest.fixture
def register(postgresql, django_capture_on_commit_callbacks):
    """Meetings around the postal codes' places, with and without their own point, of every rhythm; committed as
    far as the registry's generation can tell (nothing is kept under a writer's own uncommitted generation)."""
    with django_capture_on_commit_callbacks(execute=True):
        _meetings()


def _meetings():
    rng = random.Random(7)
    fellowships = [FellowshipFactory(code="NA"), FellowshipFactory(code="CA")]
    for number in ("0301", "4601", "5632", "4204", "3201"):
        town = municipality(number)
        for index in range(12):
            own_point = index % 3 != 0
            recurrence = [Recurrence.WEEKLY, Recurrence.BIWEEKLY, Recurrence.MONTHLY][index % 3]
            TypedMeetingFactory(
                group=GroupFactory(fellowship=fellowships[index % 2]),
                municipality=town,
                latitude=town.latitude + rng.uniform(-0.3, 0.3) if own_point else None,
                longitude=town.longitude + rng.uniform(-0.3, 0.3) if own_point else None,
                weekday=rng.randint(1, 7),
                start_time=datetime.time(rng.randint(7, 21), rng.choice([0, 30])),
                recurrence=recurrence,
                anchor_date=DAY if recurrence == Recurrence.BIWEEKLY else None,
                week_of_month=rng.choice([1, 2, -1]) if recurrence == Recurrence.MONTHLY else None,
                types=rng.choice([["O"], ["C"], ["O", "X"], []]),
            )


def search(query: list[tuple[str, str]], moment: datetime.datetime, *, as_in_a_request: bool = True):
    """run_search as the search page runs it: in a request that has read the registry's generation (its page
    lookup), which lets it keep its queries; or without, so that every query is built afresh."""
    generations._request_starts()
    try:
        if as_in_a_request:
            GENERATION.lookup("registry:page:test")
        return views.run_search(QueryDict(urlencode(query)), moment)
    finally:
        generations._request_ends()


filters = st.lists(
    st.sampled_from(
        [
            ("weekday", "1"),
            ("weekday", "3"),
            ("weekday", "6"),
            ("time_of_day", "evening"),
            ("openness", "open"),
            ("fellowship", "NA"),
            ("wheelchair", "on"),
            ("sort", "next"),
            ("sort", "place"),
            ("q", "møte"),
        ]
    ),
    max_size=4,
    unique=True,
)
moments = st.datetimes(
    min_value=datetime.datetime.combine(DAY, datetime.time(0, 0, 1)),
    max_value=datetime.datetime.combine(DAY, datetime.time(23, 59, 59)),
).map(lambda moment: moment.replace(tzinfo=OSLO))


def test_kept_queries_filled_in_are_the_queries_django_compiles_for_every_search(register):
    @given(
        query=filters,
        first=st.tuples(st.sampled_from(POSTAL_CODES), moments),
        second=st.tuples(st.sampled_from(POSTAL_CODES), moments),
    )
    @hypothesis_settings(max_examples=60, deadline=None)
    def check(query, first, second):
        # The first search keeps its queries, unless an earlier example of the same filters has; the second, elsewhere
        # at another time, fills them in (and the settings compare each with the queryset compiled afresh).
        for code, moment in (first, second):
            kept = search([*query, ("postal_code", code)], moment)
            fresh = search([*query, ("postal_code", code)], moment, as_in_a_request=False)
            assert kept.rows == fresh.rows
            assert kept.radius_km == fresh.radius_km
        assert sql_templates._kept  # the searches kept their queries

    check()


def test_a_second_search_of_the_same_filters_elsewhere_compiles_nothing(register):
    moment = datetime.datetime(2026, 11, 25, 18, 0, 5, tzinfo=OSLO)
    search([("postal_code", "0150"), ("weekday", "3")], moment)
    kept = len(sql_templates._kept)
    assert kept
    result = search([("postal_code", "5003"), ("weekday", "3")], moment + datetime.timedelta(minutes=7))
    assert len(sql_templates._kept) == kept
    assert result.rows
    assert {Meeting.objects.get(pk=row[0]).weekday for row in result.rows} == {3}
    search([("postal_code", "5003"), ("weekday", "4")], moment)
    assert len(sql_templates._kept) > kept  # other filters, another query


def test_a_key_that_leaves_out_what_the_query_depends_on_is_caught(postgresql):
    def weekday(day: int):
        return lambda: Meeting.objects.filter(weekday=day).values_list("pk")

    sql_templates.rows("one key", weekday(1), {})
    with pytest.raises(AssertionError, match="differs from its queryset"):
        sql_templates.rows("one key", weekday(2), {})


texts = st.lists(
    st.sampled_from(["møte", "MØTE", "bymisjon", "Oslo", "bergen", "Båtsfjord", "gruppe", "kirke", "50%_", "ingen"]),
    min_size=1,
    max_size=3,
).map(" ".join)


def test_kept_free_text_queries_filled_in_are_the_queries_django_compiles(register, monkeypatch):
    from registry import selectors

    @given(
        query=filters, first=st.tuples(texts, moments), second=st.tuples(texts, moments), page=st.sampled_from([1, 2])
    )
    @hypothesis_settings(max_examples=60, deadline=None)
    def check(query, first, second, page):
        # Without a postal code: one page and the count, in one query (views.paginate).
        query = [(name, value) for name, value in query if name != "q"]
        for text, moment in (first, second):
            kept = search([*query, ("q", text)], moment)
            fresh = search([*query, ("q", text)], moment, as_in_a_request=False)
            page_kept, page_fresh = views.paginate(kept, page), views.paginate(fresh, page)
            assert list(page_kept.object_list) == list(page_fresh.object_list)
            assert page_kept.paginator.count == page_fresh.paginator.count
        assert sql_templates._kept

    check()
    # A word in more group names than are listed is matched by name: part of the shape, never filled in.
    monkeypatch.setattr(selectors, "MAX_LISTED_GROUPS", 2)
    moment = datetime.datetime.combine(DAY, datetime.time(12, 0), tzinfo=OSLO)
    for text in ("gruppe", "møte", "gruppe"):
        kept = views.paginate(search([("q", text)], moment), 1)
        fresh = views.paginate(search([("q", text)], moment, as_in_a_request=False), 1)
        assert list(kept.object_list) == list(fresh.object_list)
