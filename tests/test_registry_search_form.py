"""The search form's fixed-choice filters are rendered once per value and kept (registry/templatetags/search_form.py):
a repeated value costs no render, and every value, language and error still shows as the form says."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from registry.templatetags import search_form

URL = reverse("registry:search")
# The fields rendered on every search: free text, postal code and the fellowships (their choices change).
ALWAYS_RENDERED = 3


@pytest.fixture(autouse=True)
def nothing_kept():
    search_form._kept.clear()
    search_form._fields.clear()
    yield
    search_form._kept.clear()
    search_form._fields.clear()


def field_renders(response) -> int:
    return sum(template.name in ("_field.html", "_checkbox.html") for template in response.templates)


def selected(response, name: str) -> list[str]:
    import re

    select = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', response.content.decode(), re.S).group(1)
    return re.findall(r'<option value="([^"]*)" selected>', select)


def test_a_value_seen_before_is_not_rendered_again(client, db):
    first = client.get(URL, {"county": "42", "q": "kirke"})
    again = client.get(URL, {"county": "42", "q": "gata"})

    assert field_renders(first) == 13
    assert field_renders(again) == ALWAYS_RENDERED
    assert selected(again, "county") == ["42"]


def test_each_value_shows_its_own_choice(client, db):
    client.get(URL, {"county": "42", "weekday": ["1", "3"]})

    response = client.get(URL, {"county": "46", "weekday": "3"})

    assert selected(response, "county") == ["46"]
    content = response.content.decode()
    assert 'value="3" class="ds-input" id="id_weekday_2" checked' in content
    assert 'value="1" class="ds-input" id="id_weekday_0" checked' not in content


def test_each_language_gets_its_own_labels(client, db):
    with translation.override("en"):
        assert "Time of day" in client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="nb")
    assert "Tid på døgnet" in response.content.decode()
    assert "Time of day" not in response.content.decode()


def test_a_field_with_an_error_is_rendered_each_time_with_its_message(client, db):
    for _ in range(2):
        response = client.get(URL, {"time_of_day": "midnight"})
        assert "Select a valid choice. midnight is not one of the available choices." in response.content.decode()


def test_searches_share_the_form_class_but_not_each_others_state(db):
    """The filters and the form class are built once per process (registry/filters.py); each search still checks
    its own postal code, finds its own place and runs its filter methods on its own instance."""
    import datetime

    from django.http import QueryDict

    from registry.filters import MeetingFilter
    from registry.models import Meeting
    from tests.factories import MeetingFactory

    evening = MeetingFactory(start_time=datetime.time(19, 0))
    morning = MeetingFactory(start_time=datetime.time(9, 0))
    oslo = MeetingFilter(QueryDict("postal_code=0150&time_of_day=evening"), queryset=Meeting.objects.all())
    bergen = MeetingFilter(QueryDict("postal_code=5003"), queryset=Meeting.objects.all())
    unknown = MeetingFilter(QueryDict("postal_code=0000"), queryset=Meeting.objects.all())

    assert oslo.is_valid() and bergen.is_valid() and not unknown.is_valid()
    assert "(Oslo)" in oslo.place.name and "(Bergen)" in bergen.place.name and unknown.place is None
    assert set(oslo.qs) == {evening} and set(bergen.qs) == {evening, morning}
    shared = MeetingFilter.shared_form_class().base_fields["postal_code"]
    assert len(bergen.form.fields["postal_code"].validators) == len(shared.validators) + 1


def test_forms_that_share_fields_keep_their_own_values_errors_and_place(db):
    """Fields that no search changes are shared by every search's form (registry/filters.py, SharedFields): each
    search still keeps its own values, errors, rendered choice and place, however many searches came before."""
    from django.http import QueryDict

    from registry.filters import MeetingFilter
    from registry.models import Meeting

    def search(query):
        return MeetingFilter(QueryDict(query), queryset=Meeting.objects.all())

    oslo = search("municipality=0301&postal_code=0150&weekday=1")
    bergen = search("municipality=9999&postal_code=5003&weekday=2")
    nowhere = search("time_of_day=noon&weekday=3")
    for later in range(5):
        search(f"postal_code=0150&municipality=0301&weekday={later + 1}").is_valid()

    assert oslo.is_valid() and not bergen.is_valid() and not nowhere.is_valid()
    assert (oslo.form.cleaned_data["municipality"], oslo.form.cleaned_data["weekday"]) == ("0301", ["1"])
    assert list(bergen.form.errors) == ["municipality"] and list(nowhere.form.errors) == ["time_of_day"]
    assert "(Oslo)" in oslo.place.name and "(Bergen)" in bergen.place.name and nowhere.place is None
    assert '<option value="0301" selected>' in str(oslo.form["municipality"])
    assert '<option value="0301" selected>' not in str(nowhere.form["municipality"])
    shared = MeetingFilter.shared_form_class().base_fields["postal_code"]
    assert all(len(s.form.fields["postal_code"].validators) == len(shared.validators) + 1 for s in (oslo, nowhere))


def fields_markup(response) -> str:
    import re

    return re.search(r'<form method="get".*?</form>', response.content.decode(), re.S).group(0)


@pytest.mark.parametrize("typed", ["\"Tr<y> & co'", "1", "3", "__registry_typed_postal_code__", "Ålesund kirke", " "])
def test_the_fields_kept_for_what_was_chosen_show_what_each_search_typed(settings, client, db, typed):
    # With the page cache on, a search reads the registry's generation, under which the fields are kept.
    settings.REGISTRY_PAGE_CACHE_SECONDS = 60
    cache.clear()
    client.get(URL, {"weekday": "3", "q": "kirke", "postal_code": "0150", "sort": "next"})
    query = {"weekday": "3", "q": typed, "postal_code": "5003", "sort": "next"}

    kept = client.get(URL, query)

    assert field_renders(kept) == 0
    settings.REGISTRY_PAGE_CACHE_SECONDS = 0
    assert fields_markup(kept) == fields_markup(client.get(URL, query))
    assert 'value="5003"' in fields_markup(kept)


def test_fields_kept_without_typed_text_are_not_those_with_it(settings, client, db):
    settings.REGISTRY_PAGE_CACHE_SECONDS = 60
    cache.clear()
    client.get(URL, {"weekday": "2", "q": "kirke"})
    response = client.get(URL, {"weekday": "2", "postal_code": "0150"})
    assert 'value="kirke"' not in fields_markup(response)
    assert 'value="0150"' in fields_markup(response)
    assert field_renders(response) == ALWAYS_RENDERED
