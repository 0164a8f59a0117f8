"""Registry reads: distance from a postal code, the widening radius, freshness and duplicates."""

import datetime
import random

import pytest
from django.utils import timezone

from registry import selectors
from registry.models import Meeting, PostalCode, Status
from tests.factories import GroupFactory, TypedMeetingFactory, municipality


def test_place_for_postal_code_uses_the_municipality_centre(db):
    place = selectors.place_for_postal_code("9990")
    kommune = municipality("5632")
    assert (place.latitude, place.longitude) == (kommune.latitude, kommune.longitude)
    assert place.name == "Båtsfjord (Båtsfjord)"
    assert selectors.place_for_postal_code("0000") is None
    assert selectors.place_for_postal_code("9170") is None  # Longyearbyen: no municipality


def test_distance_in_python_and_sql_agree(db):
    place = selectors.place_for_postal_code("4611")
    meeting = TypedMeetingFactory(latitude=59.9139, longitude=10.7522)  # Oslo
    in_sql = Meeting.objects.annotate(distance_km=selectors.DistanceKm(place)).get(pk=meeting.pk).distance_km
    in_python = selectors.distance_km(place, 59.9139, 10.7522)
    assert in_sql == pytest.approx(in_python, abs=0.01)
    assert 250 < in_python < 270  # Kristiansand to Oslo, as the crow flies


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nearest_takes_the_smallest_radius_that_holds_five_meetings_and_all_inside_it(db, seed):
    """Against brute force, with meetings scattered from a few km to several hundred km away."""
    rng = random.Random(seed)
    place = selectors.place_for_postal_code("9990")
    group = GroupFactory()
    count = rng.randint(3, 12)
    for _ in range(count):
        TypedMeetingFactory(
            group=group,
            municipality=municipality("5632"),
            latitude=place.latitude + rng.uniform(-4, 4),
            longitude=place.longitude + rng.uniform(-10, 10),
        )
    by_distance = sorted((selectors.distance_km(place, m.latitude, m.longitude), m.pk) for m in Meeting.objects.all())
    expected_radius = None
    if len(by_distance) >= selectors.MIN_NEARBY:
        fifth = by_distance[selectors.MIN_NEARBY - 1][0]
        expected_radius = next((r for r in selectors.RADII_KM if r >= fifth), None)
    by_pk = {pk: distance for distance, pk in by_distance}
    expected_ids = [pk for distance, pk in by_distance if expected_radius is None or distance <= expected_radius]
    radius, rows = selectors.nearest(Meeting.objects.all, place, order_by=("distance_km", "pk"), also=("name",))
    assert (radius, [pk for pk, _distance, _name in rows]) == (expected_radius, expected_ids)
    names = dict(Meeting.objects.values_list("pk", "name"))
    assert all(distance == pytest.approx(by_pk[pk]) and name == names[pk] for pk, distance, name in rows)


@pytest.mark.parametrize("code", ["9990", "4611", "0150"])
def test_the_box_holds_the_whole_circle(db, code):
    place = selectors.place_for_postal_code(code)
    for radius in selectors.RADII_KM:
        south, north, west, east = selectors.bounding_box(place, radius)
        # Points on the circle due north, south, east and west lie inside the outer box.
        for bearing_latitude, bearing_longitude in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            step = 0.001
            latitude, longitude = place.latitude, place.longitude
            while selectors.distance_km(place, latitude, longitude) < radius:
                latitude += bearing_latitude * step
                longitude += bearing_longitude * step
            assert south <= latitude <= north
            assert west <= longitude <= east


def test_meetings_without_coordinates_are_found_at_their_municipality_centre(db):
    place = selectors.place_for_postal_code("9990")
    TypedMeetingFactory(name="Vadsø", municipality=municipality("5607"))
    TypedMeetingFactory(name="Oslo", municipality=municipality("0301"))
    located = Meeting.objects.annotate(distance_km=selectors.DistanceKm(place))
    near = located.filter(selectors.InBox(*selectors.bounding_box(place, 50)), distance_km__lte=50)
    assert [m.name for m in near] == ["Vadsø"]


def test_stale_counts_cover_active_meetings_and_groups(db):
    now = timezone.now()
    TypedMeetingFactory(last_verified_at=now - datetime.timedelta(days=200))
    TypedMeetingFactory(last_verified_at=None)
    TypedMeetingFactory(last_verified_at=now - datetime.timedelta(days=10))
    TypedMeetingFactory(last_verified_at=None, status=Status.INACTIVE)
    GroupFactory(last_verified_at=now)
    counts = selectors.stale_counts()
    assert counts["meetings"] == 2
    # The factories' groups were never verified; one group was.
    assert counts["groups"] == 4


def test_municipality_centres_from_the_file_match_the_database(db):
    from registry.models import Municipality

    in_database = {(m.number, m.latitude, m.longitude) for m in Municipality.objects.all()}
    assert set(selectors.municipality_centres()) == in_database


def test_every_postal_code_has_the_place_the_database_gives_it(db):
    """Searches read postal codes from the reference files, once per process: the same places as the tables."""
    rows = PostalCode.objects.values_list(
        "code", "place", "municipality__name", "municipality__latitude", "municipality__longitude"
    )
    expected = {
        code: selectors.Place(code, f"{place.title()} ({name})", latitude, longitude) if name else None
        for code, place, name, latitude, longitude in rows
    }
    assert len(expected) > 5000
    assert {code: selectors.place_for_postal_code(code) for code in expected} == expected
    assert selectors.place_for_postal_code("0000") is None


def test_whether_a_meeting_is_open_is_read_on_its_row_as_its_type_codes_say(db):
    types = {"open": ["O", "BE"], "closed": ["C"], "both": ["O", "C"], "neither": ["BE"], "none": []}
    meetings = {name: TypedMeetingFactory(types=codes).pk for name, codes in types.items()}
    rows = dict(Meeting.objects.values_list("pk", selectors.is_open_sql()))

    assert {name: rows[pk] for name, pk in meetings.items()} == {
        "open": True,
        "closed": False,
        "both": False,  # closed wins, as schedule.is_open says
        "neither": None,
        "none": None,
    }


def test_the_box_holds_own_points_inside_and_municipality_centres_only_for_meetings_without_a_point(db):
    centres = {number: (latitude, longitude) for number, latitude, longitude in selectors.municipality_centres()}
    vadso_latitude, vadso_longitude = centres["5607"]
    box = (vadso_latitude - 0.1, vadso_latitude + 0.1, vadso_longitude - 0.2, vadso_longitude + 0.2)
    oslo = municipality("0301")
    TypedMeetingFactory(name="own point inside", latitude=vadso_latitude, longitude=vadso_longitude, municipality=oslo)
    TypedMeetingFactory(name="own point outside", latitude=59.9, longitude=10.7, municipality=municipality("5607"))
    TypedMeetingFactory(name="centre inside", latitude=None, longitude=None, municipality=municipality("5607"))
    TypedMeetingFactory(name="half a point", latitude=vadso_latitude, longitude=None, municipality=municipality("5607"))
    TypedMeetingFactory(name="centre outside", latitude=None, longitude=None, municipality=oslo)
    TypedMeetingFactory(name="no place", latitude=None, longitude=None, municipality=None)
    inside = Meeting.objects.filter(selectors.InBox(*box)).order_by("name").values_list("name", flat=True)
    assert list(inside) == ["centre inside", "half a point", "own point inside"]
    # A box around no municipality centre: only the meetings' own points count.
    at_sea = (vadso_latitude + 0.5, vadso_latitude + 0.7, vadso_longitude - 0.2, vadso_longitude + 0.2)
    assert not Meeting.objects.filter(selectors.InBox(*at_sea)).exists()
    TypedMeetingFactory(name="at sea", latitude=vadso_latitude + 0.6, longitude=vadso_longitude, municipality=oslo)
    assert list(Meeting.objects.filter(selectors.InBox(*at_sea)).values_list("name", flat=True)) == ["at sea"]


@pytest.mark.parametrize(
    "box",
    [
        (59.0, 60.5, 9.5, 11.5),  # around Oslo
        (69.0, 71.5, 15.0, 31.5),  # the north
        (0.0, 90.0, -180.0, 180.0),  # all of them
        (10.0, 11.0, 10.0, 11.0),  # none
    ],
)
def test_a_box_lists_exactly_the_municipalities_whose_centre_is_in_it(box):
    south, north, west, east = box
    inside = {
        number
        for number, latitude, longitude in selectors.municipality_centres()
        if south <= latitude <= north and west <= longitude <= east
    }
    assert set(selectors.box_values(box)["box_municipalities"]) == inside


def test_a_municipality_centre_on_a_boxs_edge_is_in_the_box():
    number, latitude, longitude = selectors.municipality_centres()[7]
    assert number in selectors.box_values((latitude, latitude, longitude, longitude))["box_municipalities"]
