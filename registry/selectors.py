"""Reads of the meeting registry: distance from a postal code, freshness, duplicates, and counts for curators.

Distances are computed in the database (haversine with Django's math functions, which SQLite gets from Django
and PostgreSQL has built in), after a bounding-box prefilter on latitude and longitude so that the trigonometry
runs only on rows that can be inside the radius. A meeting without coordinates takes its municipality's point.
"""

from __future__ import annotations

import datetime
import functools
import math
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import ASin, Coalesce, Cos, Power, Radians, Sin, Sqrt

from core.freshness import stale_q
from registry.models import Group, Meeting, PostalCode, Status

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = math.pi * EARTH_RADIUS_KM / 180
# The outer box is made 1% larger than the circle, so rounding never leaves a meeting on the edge outside.
OUTER_MARGIN = 1.01
# Widen until at least MIN_NEARBY meetings are inside; after the last radius, take all and sort by distance.
RADII_KM = (10, 25, 50, 100, 200, 400)
MIN_NEARBY = 5


# Freshness -----------------------------------------------------------------------------------------------------


def stale_counts(now: datetime.datetime | None = None) -> dict[str, int]:
    """Stale active meetings and groups, for the curator's home page (two queries)."""
    return {
        "meetings": Meeting.objects.filter(stale_q(now), status=Status.ACTIVE).count(),
        "groups": Group.objects.filter(stale_q(now), status=Status.ACTIVE).count(),
    }


# Duplicates ----------------------------------------------------------------------------------------------------


def duplicates_of(meeting: Meeting) -> QuerySet[Meeting]:
    """Other active meetings of the same group on the same weekday at the same start time."""
    return Meeting.objects.filter(
        group_id=meeting.group_id, weekday=meeting.weekday, start_time=meeting.start_time, status=Status.ACTIVE
    ).exclude(pk=meeting.pk)


def has_duplicate_expression() -> Exists:
    """For a Meeting queryset: whether another active meeting shares group, weekday and start time."""
    return Exists(
        Meeting.objects.filter(
            group_id=OuterRef("group_id"),
            weekday=OuterRef("weekday"),
            start_time=OuterRef("start_time"),
            status=Status.ACTIVE,
        ).exclude(pk=OuterRef("pk"))
    )


# Distance ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """The point a search is measured from: a postal code's municipality centre."""

    postal_code: str
    name: str
    latitude: float
    longitude: float


def place_for_postal_code(code: str) -> Place | None:
    """The municipality centre point of a postal code, or None when the code is unknown or has no municipality."""
    row = (
        PostalCode.objects.filter(code=code, municipality__isnull=False)
        .values("code", "place", "municipality__name", "municipality__latitude", "municipality__longitude")
        .first()
    )
    if row is None:
        return None
    return Place(
        postal_code=row["code"],
        name=f"{row['place'].title()} ({row['municipality__name']})",
        latitude=row["municipality__latitude"],
        longitude=row["municipality__longitude"],
    )


def distance_km(place: Place, latitude: float | None, longitude: float | None) -> float | None:
    """The same haversine distance as `distance_km_expression`, for rows already loaded."""
    if latitude is None or longitude is None:
        return None
    phi1, phi2 = math.radians(place.latitude), math.radians(latitude)
    half_chord = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(longitude - place.longitude) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(half_chord))


def with_coordinates(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Alias each meeting's effective point: its own coordinates, else its municipality's centre."""
    return queryset.alias(
        point_latitude=Coalesce(F("latitude"), F("municipality__latitude")),
        point_longitude=Coalesce(F("longitude"), F("municipality__longitude")),
    )


@functools.cache
def municipality_centres() -> tuple[tuple[str, float, float], ...]:
    """(number, latitude, longitude) of every municipality, read once per process from the reference file that
    migration 0002 loaded (the admin cannot change it), so that box searches need no extra query."""
    from registry.reference_data import read_rows

    return tuple(
        (row["municipality_number"], float(row["lat"]), float(row["lon"]))
        for row in read_rows("norway_municipalities_2024.csv")
    )


def _box_q(south: float, north: float, west: float, east: float) -> Q:
    """Meetings whose point is in the box, in conditions indexes can answer: their own coordinates through the
    (latitude, longitude) index, or, for meetings without, their municipality's centre through the
    municipality index."""
    in_box = {"latitude__gte": south, "latitude__lte": north, "longitude__gte": west, "longitude__lte": east}
    numbers = [
        number
        for number, latitude, longitude in municipality_centres()
        if south <= latitude <= north and west <= longitude <= east
    ]
    without_own_point = Q(latitude__isnull=True) | Q(longitude__isnull=True)
    return Q(**in_box) | (without_own_point & Q(municipality_id__in=numbers))


def bounding_box_q(place: Place, radius_km: float) -> Q:
    """A box that contains the circle: cheap comparisons before the exact distance."""
    delta_latitude = radius_km * OUTER_MARGIN / KM_PER_DEGREE_LATITUDE
    # Degrees of longitude are shortest at the box's edge nearest the pole: measure there.
    narrowest = math.cos(math.radians(min(abs(place.latitude) + delta_latitude, 89.0)))
    delta_longitude = min(radius_km * OUTER_MARGIN / (KM_PER_DEGREE_LATITUDE * narrowest), 180.0)
    return _box_q(
        place.latitude - delta_latitude,
        place.latitude + delta_latitude,
        place.longitude - delta_longitude,
        place.longitude + delta_longitude,
    )


def inner_box_q(place: Place, radius_km: float) -> Q:
    """A box that lies inside the circle (half-sides r/√2, with a margin): cheap comparisons that prove a
    meeting is within the radius."""
    half_side = radius_km / math.sqrt(2) * 0.95
    delta_latitude = half_side / KM_PER_DEGREE_LATITUDE
    # Degrees of longitude are longest at the box's edge nearest the equator: measure there.
    widest = math.cos(math.radians(max(abs(place.latitude) - delta_latitude, 0.0)))
    delta_longitude = half_side / (KM_PER_DEGREE_LATITUDE * widest)
    return _box_q(
        place.latitude - delta_latitude,
        place.latitude + delta_latitude,
        place.longitude - delta_longitude,
        place.longitude + delta_longitude,
    )


def distance_km_expression(place: Place):
    """Great-circle distance in km from the place to each meeting's effective point (haversine)."""
    latitude = Radians(F("point_latitude"))
    longitude = Radians(F("point_longitude"))
    place_latitude = Value(math.radians(place.latitude))
    place_longitude = Value(math.radians(place.longitude))
    half_chord = Power(Sin((latitude - place_latitude) / Value(2.0)), Value(2)) + Value(
        math.cos(math.radians(place.latitude))
    ) * Cos(latitude) * Power(Sin((longitude - place_longitude) / Value(2.0)), Value(2))
    return Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(half_chord))


def choose_radius(queryset: QuerySet[Meeting], place: Place) -> float | None:
    """The smallest radius in RADII_KM with at least MIN_NEARBY meetings; None means "all, nearest first".

    Two queries. The first counts, with comparisons only, the meetings in a box inside each circle: the smallest
    radius whose inner box holds MIN_NEARBY meetings surely contains the MIN_NEARBY nearest. The second finds the
    distance of the MIN_NEARBY-th nearest meeting with trigonometry only inside that radius's outer box.
    """
    located = with_coordinates(queryset).filter(point_latitude__isnull=False, point_longitude__isnull=False)
    # Only rows in the largest inner box can count; saying so lets the indexes skip the rest.
    inside = located.filter(inner_box_q(place, RADII_KM[-1])).aggregate(
        **{f"within_{radius}": Count("pk", filter=inner_box_q(place, radius)) for radius in RADII_KM}
    )
    candidate = next((radius for radius in RADII_KM if inside[f"within_{radius}"] >= MIN_NEARBY), None)
    if candidate is not None:
        located = located.filter(bounding_box_q(place, candidate))
    nearest = list(
        located.annotate(distance_km=distance_km_expression(place))
        .order_by("distance_km")
        .values_list("distance_km", flat=True)[MIN_NEARBY - 1 : MIN_NEARBY]
    )
    if not nearest:
        return None
    return next((radius for radius in RADII_KM if radius >= nearest[0]), None)


def near(queryset: QuerySet[Meeting], place: Place, radius_km: float | None) -> QuerySet[Meeting]:
    """Meetings with a location within the radius (or all with a location), annotated with `distance_km`."""
    located = with_coordinates(queryset).filter(point_latitude__isnull=False, point_longitude__isnull=False)
    if radius_km is not None:
        located = located.filter(bounding_box_q(place, radius_km))
    located = located.annotate(distance_km=distance_km_expression(place))
    if radius_km is not None:
        located = located.filter(distance_km__lte=radius_km)
    return located
