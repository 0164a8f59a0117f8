"""Reads of the meeting registry: distance from a postal code, freshness, duplicates, and counts for curators.

Distances are computed in the database (haversine with Django's math functions, which SQLite gets from Django
and PostgreSQL has built in), after a bounding-box prefilter on latitude and longitude so that the trigonometry
runs only on rows that can be inside the radius. A meeting without coordinates takes its municipality's point.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import ASin, Coalesce, Cos, Power, Radians, Sin, Sqrt
from django.utils import timezone

from registry.models import Group, Meeting, PostalCode, Status

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = 111.2
# Widen until at least MIN_NEARBY meetings are inside; after the last radius, take all and sort by distance.
RADII_KM = (10, 25, 50, 100, 200, 400)
MIN_NEARBY = 5
STALE_AFTER = datetime.timedelta(days=182)


# Freshness -----------------------------------------------------------------------------------------------------


def stale_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - STALE_AFTER


def stale_q(now: datetime.datetime | None = None) -> Q:
    """Entries never verified, or not verified in the last six months."""
    return Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=stale_cutoff(now))


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


def with_coordinates(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Alias each meeting's effective point: its own coordinates, else its municipality's centre."""
    return queryset.alias(
        point_latitude=Coalesce(F("latitude"), F("municipality__latitude")),
        point_longitude=Coalesce(F("longitude"), F("municipality__longitude")),
    )


def bounding_box_q(place: Place, radius_km: float) -> Q:
    """A latitude/longitude box that contains the circle: cheap comparisons before the exact distance."""
    delta_latitude = radius_km / KM_PER_DEGREE_LATITUDE
    cos_latitude = max(math.cos(math.radians(place.latitude)), 0.01)
    delta_longitude = min(radius_km / (KM_PER_DEGREE_LATITUDE * cos_latitude), 180.0)
    return Q(
        point_latitude__gte=place.latitude - delta_latitude,
        point_latitude__lte=place.latitude + delta_latitude,
        point_longitude__gte=place.longitude - delta_longitude,
        point_longitude__lte=place.longitude + delta_longitude,
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

    One query: the distance of the MIN_NEARBY-th nearest meeting within the largest radius.
    """
    located = with_coordinates(queryset).filter(bounding_box_q(place, RADII_KM[-1]))
    nearest = list(
        located.annotate(distance_km=distance_km_expression(place))
        .filter(distance_km__lte=RADII_KM[-1])
        .order_by("distance_km")
        .values_list("distance_km", flat=True)[MIN_NEARBY - 1 : MIN_NEARBY]
    )
    if not nearest:
        return None
    return next(radius for radius in RADII_KM if radius >= nearest[0])


def near(queryset: QuerySet[Meeting], place: Place, radius_km: float | None) -> QuerySet[Meeting]:
    """Meetings with a location within the radius (or all with a location), annotated with `distance_km`."""
    located = with_coordinates(queryset).filter(point_latitude__isnull=False, point_longitude__isnull=False)
    if radius_km is not None:
        located = located.filter(bounding_box_q(place, radius_km))
    located = located.annotate(distance_km=distance_km_expression(place))
    if radius_km is not None:
        located = located.filter(distance_km__lte=radius_km)
    return located
