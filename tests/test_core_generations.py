"""Change generations (core/generations.py): what is cached from data goes stale when the data changes, and a
change inside a transaction is announced again when it commits."""

import pytest
from django.core.cache import cache
from django.db import transaction

from core.generations import Generation, Generations, is_private, token_time

SHARED = Generation("test:shared:generation")
PRIVATE = Generation("test:private:generation", private_until_commit=True)
BOTH = Generations(SHARED, PRIVATE)
TIMEOUT = 60


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_value_is_served_until_the_generation_moves():
    assert SHARED.get_or_render("k", lambda: "first", TIMEOUT) == "first"
    assert SHARED.get_or_render("k", lambda: "second", TIMEOUT) == "first"
    SHARED.bump()
    assert SHARED.get_or_render("k", lambda: "third", TIMEOUT) == "third"


def test_without_a_timeout_every_call_renders():
    assert SHARED.get_or_render("k", lambda: "first", 0) == "first"
    assert SHARED.get_or_render("k", lambda: "second", 0) == "second"


def test_two_workers_agree_on_the_first_token():
    first = SHARED.current()
    assert SHARED.current() == first
    assert abs(token_time(first) - token_time(SHARED.current())) < 1e-9


@pytest.mark.django_db(transaction=True)
def test_a_change_inside_a_transaction_moves_the_token_now_and_again_at_commit():
    before = SHARED.current()
    with transaction.atomic():
        SHARED.bump()
        at_change = SHARED.current()
        SHARED.bump()
        in_between = SHARED.current()
    assert len({before, at_change, in_between, SHARED.current()}) == 4


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_moves_the_token_only_at_the_change():
    with pytest.raises(RuntimeError), transaction.atomic():
        SHARED.bump()
        at_change = SHARED.current()
        raise RuntimeError
    assert SHARED.current() == at_change


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_request_cannot_keep_old_figures_under_the_new_token():
    """The writer's token moves at its save; a request that reads that token and, not yet seeing the uncommitted
    row, the old figures, stores them. The commit moves the token again, so they are not served after it."""
    SHARED.get_or_render("report", lambda: "3 of 12", TIMEOUT)
    with transaction.atomic():
        SHARED.bump()  # the writer saves a contact
        # A concurrent request (another connection, so it still sees the old data) renders under the new token.
        assert SHARED.get_or_render("report", lambda: "3 of 12", TIMEOUT) == "3 of 12"
    assert SHARED.get_or_render("report", lambda: "4 of 13", TIMEOUT) == "4 of 13"


@pytest.mark.django_db(transaction=True)
def test_a_private_generation_moves_once_per_transaction_and_keeps_the_writers_view_to_itself():
    before = PRIVATE.current()
    with transaction.atomic():
        PRIVATE.bump()
        shared_during = PRIVATE.current()
        own_first = PRIVATE.seen()
        PRIVATE.bump()
        own_second = PRIVATE.seen()
        assert PRIVATE.current() == shared_during != before
        assert is_private(own_first) and is_private(own_second) and own_first != own_second
        assert PRIVATE.get_or_render("page", lambda: "uncommitted", TIMEOUT) == "uncommitted"
        assert cache.get("page") is None  # nothing stored for others
    after = PRIVATE.seen()
    assert not is_private(after)
    assert after not in (before, shared_during)
    assert PRIVATE.get_or_render("page", lambda: "committed", TIMEOUT) == "committed"
    assert PRIVATE.get_or_render("page", lambda: "again", TIMEOUT) == "committed"


def test_a_value_of_several_generations_is_served_until_any_of_them_moves():
    assert BOTH.get_or_render("k", lambda: "first", TIMEOUT) == "first"
    assert BOTH.get_or_render("k", lambda: "second", TIMEOUT) == "first"
    SHARED.bump()
    assert BOTH.get_or_render("k", lambda: "third", TIMEOUT) == "third"
    PRIVATE.bump()
    assert BOTH.get_or_render("k", lambda: "fourth", TIMEOUT) == "fourth"
    assert BOTH.get_or_render("k", lambda: "fifth", TIMEOUT) == "fourth"


@pytest.mark.django_db(transaction=True)
def test_nothing_of_several_generations_is_stored_while_one_is_private_to_this_thread():
    with transaction.atomic():
        PRIVATE.bump()
        assert BOTH.get_or_render("k", lambda: "uncommitted", TIMEOUT) == "uncommitted"
        assert cache.get("k") is None
    assert BOTH.get_or_render("k", lambda: "committed", TIMEOUT) == "committed"
    assert BOTH.get_or_render("k", lambda: "again", TIMEOUT) == "committed"
