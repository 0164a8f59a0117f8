"""The contact form's meeting picker: the public search's filters as one shared component (issue 17: 6, 13, 18)."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from tests.factories import FellowshipFactory, TypedMeetingFactory, login, municipality
from tests.referrals_helpers import NOW

URL = reverse("referrals:contact_create")
PARTIAL = reverse("referrals:meeting_search")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def picker_names(response) -> list[str]:
    return [result.meeting.name for result in response.context["meeting_results"]]


def test_picker_has_the_public_searchs_filters(client, clinician_a):
    content = login(client, clinician_a).get(URL).content.decode()
    picker = re.search(r'<div id="meeting-search".*?id="search-meetings"', content, re.S).group(0)
    for field in ("q", "postal_code", "fellowship", "municipality", "weekday", "time_of_day", "sort"):
        name = f"ms-{field}"
        assert f'name="{name}"' in picker, name
    # The same component as the public search renders its fields.
    public = client.get(reverse("registry:search")).content.decode()
    assert public.count('name="weekday"') == picker.count('name="ms-weekday"') == 7


def test_picker_lists_municipalities_with_their_county(client, clinician_a):
    content = login(client, clinician_a).get(URL).content.decode()
    assert ">Herøy (Nordland)</option>" in content and ">Herøy (Møre og Romsdal)</option>" in content
    assert ">Våler (Innlandet)</option>" in content and ">Våler (Østfold)</option>" in content


def test_picker_finds_the_nearest_meetings_to_a_postal_code_on_a_weekday(client, clinician_a):
    aa = FellowshipFactory(code="AA")
    TypedMeetingFactory(name="Arendal tirsdag", group__fellowship=aa, municipality=municipality("4203"), weekday=2)
    TypedMeetingFactory(name="Kristiansand tirsdag", group__fellowship=aa, weekday=2, start_time=datetime.time(21, 0))
    TypedMeetingFactory(name="Kristiansand onsdag", group__fellowship=aa, weekday=3)
    response = login(client, clinician_a).get(
        PARTIAL, {"ms-postal_code": "4611", "ms-weekday": "2", "ms-sort": ""}, HTTP_HX_REQUEST="true"
    )
    assert picker_names(response) == ["Kristiansand tirsdag", "Arendal tirsdag"]
    content = response.content.decode()
    assert "Nearest first from 4611" in content and " km</span>" in content


def test_picker_announces_a_short_summary_in_a_stable_status_region(client, clinician_a):
    TypedMeetingFactory(name="Ett møte")
    login(client, clinician_a)
    page = client.get(URL).content.decode()
    assert '<div class="ds-sr-only" role="status"><p id="meeting-status"></p></div>' in page
    assert 'id="meeting-choices" class="meeting-choices">' in page  # the list is no live region
    content = client.get(PARTIAL, {"ms-q": "Ett"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<p id="meeting-status" hx-swap-oob="innerHTML">1 meeting found</p>' in content


def test_picker_starts_at_the_units_municipality(client, clinician_a, unit_a):
    unit_a.municipality = municipality("4204")
    unit_a.save()
    TypedMeetingFactory(name="Her")
    TypedMeetingFactory(name="Der", municipality=municipality("0301"))
    response = login(client, clinician_a).get(URL)
    assert picker_names(response) == ["Her"]
    assert '<option value="4204" selected>' in response.content.decode()


def test_patient_number_is_checked_when_the_field_changes(client, clinician_a):
    content = login(client, clinician_a).get(URL).content.decode()
    field = re.search(r'<input[^>]*name="patient_reference"[^>]*>', content, re.S).group(0)
    assert 'data-check-on-change="check-patient"' in field
    assert 'id="check-patient"' in content


def test_picker_results_say_open_or_closed_as_the_meetings_types_do(client, clinician_a):
    TypedMeetingFactory(name="Åpent", types=["O"])
    TypedMeetingFactory(name="Lukket", types=["C", "O"])  # closed wins over open
    TypedMeetingFactory(name="Uten", types=["BE"])
    response = login(client, clinician_a).get(PARTIAL, {"ms-q": "e"}, HTTP_HX_REQUEST="true")
    results = {result.meeting.name: result.is_open for result in response.context["meeting_results"]}
    assert results == {"Åpent": True, "Lukket": False, "Uten": None}
