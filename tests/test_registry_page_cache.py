"""The whole-page cache of public registry pages for anonymous visitors."""

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from registry import feed, page_cache
from tests.factories import TypedMeetingFactory, login

URL = reverse("registry:search")


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.REGISTRY_PAGE_CACHE_SECONDS = 60
    cache.clear()
    feed.clear_process_cache()
    # Pages are cached per minute: a clock that ticks over a minute between two requests would miss the cache.
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, 0, 10, tzinfo=datetime.UTC), tick=False):
        yield
    cache.clear()


def csrf_token(content: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)


def test_a_page_asked_for_twice_is_kept_and_served_from_the_cache_without_queries(
    client, db, django_assert_num_queries, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # Committed (as far as the registry's change generation can tell); uncommitted changes are never cached.
    with django_capture_on_commit_callbacks(execute=True):
        TypedMeetingFactory(name="Hurtigmøtet")
    first = client.get(URL)
    assert "Hurtigmøtet" in first.content.decode()
    with django_assert_max_num_queries(10) as queries:  # asked once: only noted, not kept
        Client().get(URL)
    assert queries
    with django_assert_num_queries(0):
        third = Client().get(URL)
    assert third.status_code == 200
    page, kept = first.content.decode(), third.content.decode()
    assert kept.replace(csrf_token(kept), "TOKEN") == page.replace(csrf_token(page), "TOKEN")
    assert third["Content-Type"] == first["Content-Type"]


def stored_keys(monkeypatch) -> list[str]:
    """The keys the shared cache is given from now on (set and set_many), in order."""
    stored, set_one, set_many = [], cache.set, cache.set_many
    monkeypatch.setattr(cache, "set", lambda key, *args, **kwargs: set_one(stored.append(key) or key, *args, **kwargs))
    monkeypatch.setattr(
        cache, "set_many", lambda values, *args, **kwargs: set_many(stored.extend(values) or values, *args, **kwargs)
    )
    return stored


def test_a_page_asked_for_once_is_not_kept(db, monkeypatch):
    stored = stored_keys(monkeypatch)
    Client().get(URL, {"postal_code": "0150", "weekday": "3"})
    pages = [key for key in stored if key.startswith(page_cache.KEY_PREFIX)]
    assert len(pages) == 1 and pages[0].endswith(page_cache.ASKED)


def test_an_edit_shows_on_the_next_request(client, db, django_capture_on_commit_callbacks):
    # The change generation moves when a transaction commits; the test runs inside one, so commit by hand.
    with django_capture_on_commit_callbacks(execute=True):
        meeting = TypedMeetingFactory(name="Gammelt navn")
    assert "Gammelt navn" in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        meeting.name = "Nytt navn"
        meeting.save()
    assert "Nytt navn" in Client().get(URL).content.decode()


def test_cached_page_carries_a_working_csrf_token_for_each_visitor(db, django_assert_num_queries):
    Client().get(URL)
    Client().get(URL)  # asked for again: kept
    visitor = Client(enforce_csrf_checks=True)
    with django_assert_num_queries(0):
        page = visitor.get(URL)
    assert "csrftoken" in page.cookies
    response = visitor.post(
        reverse("set_language"),
        {"language": "en", "csrfmiddlewaretoken": csrf_token(page.content.decode()), "next": URL},
    )
    assert response.status_code == 302


def test_logged_in_users_share_the_search_body_but_get_their_own_page(
    client, clinician_a, lead_a, db, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        TypedMeetingFactory(name="Delt treff")
    anonymous = Client().get(URL).content.decode()
    first = login(Client(), lead_a).get(URL).content.decode()  # fills the shared body
    login(client, clinician_a)

    with django_assert_max_num_queries(4) as queries:  # session, user, memberships, quick-search units
        page = client.get(URL).content.decode()

    assert not any("registry_meeting" in query["sql"] for query in queries)
    assert "Delt treff" in page
    me, colleague = (user.get_full_name() or user.username for user in (clinician_a, lead_a))
    assert me in page and me not in anonymous and me not in first
    assert colleague in first and colleague not in page and "Delt treff" in first


def test_an_anonymous_page_is_kept_once_not_also_as_its_body(db, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        TypedMeetingFactory()
    stored = stored_keys(monkeypatch)
    Client().get(URL, {"weekday": "3"})
    Client().get(URL, {"weekday": "3"})
    pages = [key for key in stored if key.startswith(page_cache.KEY_PREFIX) and not key.endswith(page_cache.ASKED)]
    assert len(pages) == 1


def test_logged_in_users_see_an_edit_on_the_next_request(client, clinician_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = TypedMeetingFactory(name="Gammelt navn")
    login(client, clinician_a)
    assert "Gammelt navn" in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        meeting.name = "Nytt navn"
        meeting.save()
    assert "Nytt navn" in client.get(URL).content.decode()
    assert "Nytt navn" in client.get(URL, headers={"HX-Request": "true"}).content.decode()


def test_languages_and_htmx_partials_are_cached_apart(db):
    TypedMeetingFactory()
    english = Client().get(URL, headers={"Accept-Language": "en"}).content.decode()
    norwegian = Client().get(URL, headers={"Accept-Language": "nb"}).content.decode()
    assert 'lang="en"' in english and 'lang="nb"' in norwegian
    partial = Client().get(URL, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert "<html" in Client().get(URL).content.decode()


def test_calendar_files_keep_their_headers_when_cached(db):
    meeting = TypedMeetingFactory()
    url = reverse("registry:meeting_ics", kwargs={"slug": meeting.slug})
    first = Client().get(url)
    second = Client().get(url)
    assert second.content == first.content
    assert second["Content-Disposition"] == first["Content-Disposition"]
    assert second["Content-Type"].startswith("text/calendar")


def test_private_registry_is_never_served_from_the_cache_to_anonymous_visitors(settings, db):
    Client().get(URL)
    settings.REGISTRY_PUBLIC = False
    assert Client().get(URL).status_code == 302


def test_cache_off_renders_every_time(settings, db, django_assert_num_queries):
    settings.REGISTRY_PAGE_CACHE_SECONDS = 0
    Client().get(URL)
    TypedMeetingFactory(name="Straks synlig")
    assert "Straks synlig" in Client().get(URL).content.decode()


def test_pages_rendered_from_uncommitted_changes_are_not_cached(db, django_assert_max_num_queries):
    TypedMeetingFactory(name="Ikke lagret ennå")  # inside the test's transaction, never committed
    Client().get(URL)
    with django_assert_max_num_queries(10) as queries:
        Client().get(URL)
    assert len(queries) > 0


def fellowship_options(content: str) -> list[str]:
    menu = re.search(r'<select[^>]* name="fellowship".*?</select>', content, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", menu)


def test_the_fellowship_menu_is_read_once_and_shows_a_curators_edit_on_the_next_search(
    db, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import FellowshipFactory

    with django_capture_on_commit_callbacks(execute=True):
        fellowship = FellowshipFactory(code="NA")
    # Every address a new one, so that neither the page cache nor the shared body answers.
    first = fellowship_options(Client().get(URL, {"weekday": 1}, headers={"accept-language": "nb"}).content.decode())
    assert first[0] == "Alle"
    assert "Anonyme Narkomane (NA)" in first
    with CaptureQueriesContext(connection) as queries:
        second = Client().get(URL, {"weekday": 2}, headers={"accept-language": "nb"})
    assert not [query for query in queries if "registry_fellowship" in query["sql"]]
    assert fellowship_options(second.content.decode()) == first
    english = fellowship_options(Client().get(URL, {"weekday": 3}, headers={"accept-language": "en"}).content.decode())
    assert english[0] == "All"
    with django_capture_on_commit_callbacks(execute=True):
        fellowship.name = "Narcotics Anonymous"
        fellowship.save()
    renamed = fellowship_options(Client().get(URL, {"weekday": 4}, headers={"accept-language": "nb"}).content.decode())
    assert "Narcotics Anonymous (NA)" in renamed
    assert "Anonyme Narkomane (NA)" not in renamed


def test_the_page_around_a_new_search_is_the_one_its_template_renders(settings, db, django_capture_on_commit_callbacks):
    # The page around the search body is kept per language and path (page_cache.render_around); only the language
    # switch's token and return address are the visitor's. Compared with a render with every cache off.
    with django_capture_on_commit_callbacks(execute=True):
        TypedMeetingFactory(name="Skallmøtet")
    query = {"q": 'Skall"møtet & co', "weekday": 2}
    kept = {}
    for language in ("nb", "en"):
        Client().get(URL, {"weekday": 1}, headers={"accept-language": language})  # keeps the page around the body
        visitor = Client(enforce_csrf_checks=True)
        kept[language] = visitor.get(URL, query, headers={"accept-language": language}).content.decode()
        answer = visitor.post(
            reverse("set_language"), {"language": "en", "csrfmiddlewaretoken": csrf_token(kept[language]), "next": URL}
        )
        assert answer.status_code == 302
    settings.REGISTRY_PAGE_CACHE_SECONDS = 0
    for language, page in kept.items():
        rendered = Client().get(URL, query, headers={"accept-language": language}).content.decode()
        assert f'<html lang="{language}"' in page
        assert 'value="/meetings/?q=Skall%22m%C3%B8tet+%26+co&amp;weekday=2"' in page
        assert page.replace(csrf_token(page), "TOKEN") == rendered.replace(csrf_token(rendered), "TOKEN")


def test_a_search_reads_the_fellowship_menu_from_the_generation_its_page_lookup_read(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    from registry.changes import GENERATION
    from tests.factories import FellowshipFactory

    with django_capture_on_commit_callbacks(execute=True):
        fellowship = FellowshipFactory(code="NA", name="Anonyme Narkomane")
    Client().get(URL, {"weekday": 1})
    read = []
    get_many = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys, *args, **kwargs: read.append(keys) or get_many(keys))
    page = Client().get(URL, {"weekday": 2}).content.decode()
    assert "Anonyme Narkomane (NA)" in fellowship_options(page)
    # The page lookup (with the generation) and the cards': none for the menu.
    assert len(read) == 2
    assert not [keys for keys in read if any("fellowship" in key for key in keys)]
    assert GENERATION.read_in_this_request() is None  # nothing is remembered between requests
    with django_capture_on_commit_callbacks(execute=True):
        fellowship.name = "Narcotics Anonymous"
        fellowship.save()
    assert "Narcotics Anonymous (NA)" in fellowship_options(Client().get(URL, {"weekday": 3}).content.decode())


def test_the_search_bodys_frame_is_its_template_with_the_parts_in_place(settings):
    # The body's markup around the form's fields and the results is rendered once per language and kept
    # (page_cache.render_frame): the same as the template rendered with them, in each language.
    from django.template.loader import render_to_string
    from django.utils import translation
    from django.utils.safestring import mark_safe

    frame = {"map_tile_url": "https://tiles.example/{z}/{x}/{y}.png", "map_attribution": "© Kart & co"}
    pages = {}
    for language in ("nb", "en", "nb"):
        parts = {"filter_fields": f"<p>Felt {language} &amp; mer</p>", "results": f"<ol><li>{language}</li></ol>"}
        with translation.override(language):
            kept = page_cache.render_frame("registry/_search_body.html", frame, parts)
            rendered = render_to_string(
                "registry/_search_body.html", {**frame, **{name: mark_safe(part) for name, part in parts.items()}}
            )
        assert kept == rendered
        assert parts["filter_fields"] in kept and parts["results"] in kept
        pages[language] = kept
    assert 'data-label-map="Kart"' in pages["nb"] and 'data-label-map="Map"' in pages["en"]


def test_free_text_searched_again_looks_up_no_groups_and_a_renamed_group_shows_in_the_next_search(
    db, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import GroupFactory

    def group_lookups(query: dict) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            page = Client().get(URL, query).content.decode()
        return page, len([q for q in queries if 'FROM "registry_group" WHERE' in q["sql"]])

    with django_capture_on_commit_callbacks(execute=True):
        group = GroupFactory(name="Lysglimt")
        TypedMeetingFactory(group=group, name="Tirsdagsmøtet")
    # Every address a new one, so that the page cache does not answer.
    page, lookups = group_lookups({"q": "lysglimt"})
    assert "Tirsdagsmøtet" in page and lookups == 1
    page, lookups = group_lookups({"q": "lysglimt", "sort": "next"})
    assert "Tirsdagsmøtet" in page and lookups == 0
    with django_capture_on_commit_callbacks(execute=True):
        group.name = "Morgengry"
        group.save()
    page, lookups = group_lookups({"q": "lysglimt", "sort": "place"})
    assert "Tirsdagsmøtet" not in page and lookups == 1
    assert "Tirsdagsmøtet" in group_lookups({"q": "morgengry"})[0]
