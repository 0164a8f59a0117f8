"""Registry demo data: about 300 fictional meetings across all 15 counties, safe to seed twice."""

import datetime
import io

import pytest
from django.utils import timezone

from registry import demo, selectors
from registry.models import AttendanceMode, County, Group, Meeting, Recurrence, Status


@pytest.fixture
def seeded(db):
    out = io.StringIO()
    demo.seed(out)
    return out.getvalue()


def test_seed_creates_about_300_varied_fictional_meetings_in_every_county(seeded, client):
    meetings = Meeting.objects.filter(source=demo.SOURCE)
    assert 280 <= meetings.count() <= 320
    assert set(meetings.values_list("municipality__county", flat=True).distinct()) - {None} == set(
        County.objects.values_list("number", flat=True)
    )
    assert all(slug.startswith("demo-") for slug in meetings.values_list("slug", flat=True))
    assert not meetings.exclude(notes=demo.DEMO_NOTE).exists()
    assert "created" in seeded

    # Mostly AA and NA, and the variety the search needs.
    total = meetings.count()
    aa_na = meetings.filter(group__fellowship__code__in=["AA", "NA"]).count()
    assert aa_na / total > 0.75
    assert meetings.filter(attendance_mode=AttendanceMode.ONLINE).count() >= 10
    assert meetings.filter(attendance_mode=AttendanceMode.HYBRID).count() >= 10
    assert meetings.filter(recurrence=Recurrence.BIWEEKLY).count() >= 10
    assert meetings.filter(recurrence=Recurrence.MONTHLY).count() >= 10
    assert meetings.filter(status=Status.TEMPORARILY_CLOSED).exists()
    stale = meetings.filter(selectors.stale_q(), status=Status.ACTIVE).count()
    assert 0.08 < stale / total < 0.25
    assert meetings.filter(types__code="C").count() > meetings.filter(types__code="O").count()
    # Kristiansand has open AA meetings on weekday evenings; Båtsfjord has none, so a search near 9990 widens.
    kristiansand = Meeting.objects.filter(
        municipality__number="4204",
        group__fellowship__code="AA",
        types__code="O",
        weekday__lte=5,
        start_time__gte=datetime.time(17, 0),
        status=Status.ACTIVE,
    ).exclude(types__code="C")
    assert kristiansand.count() >= 4
    assert not Meeting.objects.filter(municipality__number="5632").exists()
    response = client.get("/meetings/", {"postal_code": "9990"})
    assert response.context["radius_km"] is None or response.context["radius_km"] > 25
    assert response.content.decode().count('class="ds-card registry-result"') >= 5


def test_seeding_twice_changes_nothing_and_keeps_a_curators_edit(seeded):
    before = dict(Meeting.objects.values_list("slug", "updated_at"))
    groups = Group.objects.count()
    out = io.StringIO()
    demo.seed(out)
    assert dict(Meeting.objects.values_list("slug", "updated_at")) == before
    assert Group.objects.count() == groups
    assert "0 demo meetings created" in out.getvalue()

    Meeting.objects.filter(slug="demo-001").update(name="Rettet av kurator", last_verified_at=timezone.now())
    Meeting.objects.filter(slug="demo-002").delete()
    demo.seed(io.StringIO())
    assert Meeting.objects.get(slug="demo-001").name == "Rettet av kurator"
    assert Meeting.objects.filter(slug="demo-002").exists()
    assert Group.objects.count() == groups
