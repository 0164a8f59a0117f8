"""Names rather than codes, dates in the user's language, and freshness of new entries (issue 17: 4, 7, 9)."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from registry import services
from registry.models import Fellowship
from tests.factories import GroupFactory, TypedMeetingFactory, login

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=OSLO)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def select_options(content: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', content, re.S).group(1)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_public_search_names_fellowships_instead_of_codes(client, db):
    options = select_options(client.get(reverse("registry:search")).content.decode(), "fellowship")
    assert "Anonyme Alkoholikere (AA)" in options
    assert "Other 12-step fellowship" in options and "Other peer support" in options
    assert not {"OTHER-12", "PEER", "AA"} & set(options)


def test_admin_import_names_fellowships_instead_of_codes(client, curator):
    content = login(client, curator).get(reverse("admin:registry_meeting_import")).content.decode()
    options = select_options(content, "fellowship")
    assert "Other peer support" in options and "PEER" not in options


def test_generic_fellowship_names_follow_the_language_but_a_curators_name_stays():
    peer = Fellowship(code="PEER", name="Annen likepersonstøtte")
    with translation.override("en"):
        assert peer.label == "Other peer support"
        assert peer.short_label == "Other peer support"
    assert Fellowship(code="PEER", name="Likepersoner i Agder").label == "Likepersoner i Agder"
    assert Fellowship(code="NA", name="Anonyme Narkomane").short_label == "NA"


def test_meeting_result_tag_shows_a_name_for_a_fellowship_without_a_short_code(client, db):
    TypedMeetingFactory(name="Likepersonmøtet", group__fellowship=Fellowship.objects.get(code="PEER"))
    content = client.get(reverse("registry:search")).content.decode()
    assert 'data-color="accent" title="Other peer support">Other peer support</span>' in content


def test_verified_date_is_written_the_english_way_in_english(client, db):
    meeting = TypedMeetingFactory(last_verified_at=datetime.datetime(2026, 11, 10, 12, 0, tzinfo=OSLO))
    content = client.get(reverse("registry:meeting_detail", args=[meeting.slug])).content.decode()
    assert "Verified 3\xa0weeks ago (Nov. 10, 2026)." in content
    assert "10. November" not in content


def test_a_meeting_a_curator_creates_counts_as_verified_now(curator, db):
    group = GroupFactory()
    meeting = TypedMeetingFactory.build(group=group)
    data = {
        field: getattr(meeting, field)
        for field in ("name", "weekday", "start_time", "venue", "address", "postal_code", "municipality")
    }
    created = services.meeting_create(data={**data, "group": group}, actor=curator)
    assert created.last_verified_at == timezone.now()
    assert created.last_verified_by == curator
    assert not created.is_stale


def test_a_meeting_never_verified_says_so_instead_of_over_six_months(client, db):
    meeting = TypedMeetingFactory(last_verified_at=None)
    search = client.get(reverse("registry:search")).content.decode()
    detail = client.get(reverse("registry:meeting_detail", args=[meeting.slug])).content.decode()
    for content in (search, detail):
        assert "Not verified yet" in content
        assert "Not verified in over 6 months" not in content
