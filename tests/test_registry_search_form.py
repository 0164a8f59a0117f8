"""The search form's fixed-choice filters are rendered once per value and kept (registry/templatetags/search_form.py):
a repeated value costs no render, and every value, language and error still shows as the form says."""

import pytest
from django.urls import reverse
from django.utils import translation

from registry.templatetags import search_form

URL = reverse("registry:search")
# The fields rendered on every search: free text, postal code and the fellowships (their choices change).
ALWAYS_RENDERED = 3


@pytest.fixture(autouse=True)
def nothing_kept():
    search_form._kept.clear()
    yield
    search_form._kept.clear()


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
