"""Reads of the meeting registry: distance from a postal code, freshness, duplicates, and counts for curators.

Distances are computed in the database (haversine with Django's math functions, which SQLite gets from Django
and PostgreSQL has built in), after a bounding-box prefilter on latitude and longitude so that the trigonometry
runs only on rows that can be inside the radius. A meeting without coordinates takes its municipality's point.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Upper
from django.db.models.lookups import Contains

from core import sql_templates
from core.freshness import stale_q
from core.lookups import AnyOf
from core.sql_templates import marked
from registry import schedule
from registry.models import Group, Meeting, Status

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


# Free text -----------------------------------------------------------------------------------------------------

# A meeting's own columns that free text searches; a word may also be in its group's or municipality's name.
TEXT_COLUMNS = ("name", "venue", "address", "postal_code", "notes")
# Past this many groups whose name holds a word (a word common to every group name), their ids are not listed.
MAX_LISTED_GROUPS = 300


def meeting_text() -> Upper:
    """A meeting's searchable text in upper case, as one expression. Migration 0006 indexes exactly this expression
    with trigrams on PostgreSQL (a change here needs a new migration). The columns are NOT NULL; the space between
    them keeps a word from matching across two."""
    joined = Func(*(F(column) for column in TEXT_COLUMNS), template="(%(expressions)s)", arg_joiner=" || ' ' || ")
    return Upper(joined, output_field=TextField())


def group_name_text():
    """A group's name in upper case: the expression of the group trigram index (migration 0006)."""
    return Upper("name")


@functools.cache
def _municipality_names() -> tuple[tuple[str, str], ...]:
    from registry.reference_data import read_rows

    rows = read_rows("norway_municipalities_2024.csv")
    return tuple((row["municipality_number"], row["name"].upper()) for row in rows)


@dataclass(frozen=True)
class Word:
    """A word of a free-text search with what it finds besides the meetings' own text: the ids of the groups and
    municipalities whose names hold it (`words`)."""

    text: str
    groups: tuple[int, ...]
    towns: tuple[str, ...]

    @property
    def shape(self) -> tuple:
        """What the word's condition looks like, but for the word and the ids (core/sql_templates.py): a word in
        more group names than are listed is matched by name, so it is part of the shape itself."""
        many = len(self.groups) > MAX_LISTED_GROUPS
        return (self.text if many else None, many or bool(self.groups), bool(self.towns))


def words(value: str) -> list[Word]:
    """The first eight words of a free-text search, with the groups (the group trigram index) and municipalities
    (the reference file) whose names hold each."""
    found = []
    for word in value.split()[:8]:
        upper = word.upper()
        towns = tuple(number for number, name in _municipality_names() if upper in name)
        found.append(Word(word, tuple(groups_holding(word)), towns))
    return found


def text_values(found: list[Word]) -> dict:
    """The words' parameters by slot (core/sql_templates.py), as `text_q` marks them."""
    values = {}
    for index, word in enumerate(found):
        values |= {f"word_{index}": word.text, f"groups_{index}": list(word.groups), f"towns_{index}": list(word.towns)}
    return values


def text_q(word: Word, index: int = 0) -> Q:
    """Meetings whose own text (`TEXT_COLUMNS`), group name or municipality name holds `word`, in any case.

    Needs the `search_text` alias (`with_search_text`). Each part is a condition on the meeting row that an index
    answers: the trigram index on the meeting's text, and the group and municipality indexes for the ids of the
    groups and municipalities whose names hold the word (`words`). PostgreSQL then combines the indexes instead of
    reading every meeting; SQLite scans. The word and the ids are marked parameters (core/sql_templates.py), the
    ids one array each on PostgreSQL, so the condition's text is the same for every word of the same `Word.shape`.
    """
    # Upper-cased by the database, as the indexed text is (SQLite's UPPER leaves æøå alone, Python's would not).
    matches = Q(search_text__contains=Upper(Value(marked(f"word_{index}", word.text))))
    as_array = connection.vendor == "postgresql"
    if len(word.groups) > MAX_LISTED_GROUPS:
        matches |= Q(group__name__icontains=word.text)
    elif word.groups:
        groups = marked(f"groups_{index}", list(word.groups))
        matches |= Q(AnyOf(F("group_id"), groups)) if as_array else Q(group_id__in=word.groups)
    if word.towns:
        towns = marked(f"towns_{index}", list(word.towns))
        matches |= Q(AnyOf(F("municipality_id"), towns)) if as_array else Q(municipality_id__in=word.towns)
    return matches


def groups_holding(word: str) -> list[int]:
    """Ids of at most MAX_LISTED_GROUPS + 1 groups whose name holds `word`, in any case (the group trigram index).

    On PostgreSQL the query is compiled once per process and run with the word as its one parameter: Django took
    longer to build and compile it than the database took to answer, for every word of every free-text search
    (issue 15). Elsewhere the queryset runs; a test compares the two."""
    if connection.vendor != "postgresql":
        return list(_groups_holding(word, MAX_LISTED_GROUPS))
    sql, params, position = _groups_holding_sql(MAX_LISTED_GROUPS)
    params = list(params)
    params[position] = word
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _groups_holding(word: str, listed: int) -> QuerySet[Group]:
    # A lookup as the condition: no annotate call.
    matching = Group.objects.filter(Contains(group_name_text(), Upper(Value(word)))).order_by()
    return matching.values_list("pk", flat=True)[: listed + 1]


@functools.cache
def _groups_holding_sql(listed: int) -> tuple[str, tuple, int]:
    """(SQL, parameters, the position of the word among them) of `_groups_holding`'s query."""
    marker = "registry-groups-holding-word"
    sql, params = _groups_holding(marker, listed).query.sql_with_params()
    [position] = [index for index, value in enumerate(params) if value == marker]
    return sql, tuple(params), position


def with_search_text(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return queryset.alias(search_text=meeting_text())


# Type codes ----------------------------------------------------------------------------------------------------


def is_open_sql() -> RawSQL:
    """For a Meeting queryset: whether the meeting is open, as schedule.is_open says from its type codes (closed wins;
    NULL for neither), computed on the meeting's row, so that the cards need no second query for the codes.

    Written as SQL because Django took longer to compile the same Case/When/Exists than the database took to run the
    whole query. It names the meeting table as Django aliases it in a query that joins it once; `true` and `false`
    are booleans on PostgreSQL and 1 and 0 on SQLite, which the output field turns into booleans."""
    links = Meeting.types.through._meta.db_table
    meetings = Meeting._meta.db_table
    # Table names from the models; the codes are parameters.
    has = f"EXISTS (SELECT 1 FROM {links} t WHERE t.meeting_id = {meetings}.id AND t.meetingtype_id = %s)"  # noqa: S608
    return RawSQL(  # noqa: S611
        f"CASE WHEN {has} THEN false WHEN {has} THEN true END",
        (schedule.CLOSED, schedule.OPEN),
        output_field=BooleanField(),
    )


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
    return _postal_code_places().get(code)


@functools.cache
def _postal_code_places() -> dict[str, Place]:
    """Every postal code with a municipality, as a Place: read once per process from the reference files that
    migrations 0002 and later load (the admin cannot change them), so a search near a postal code needs no query
    for it."""
    from registry.reference_data import read_rows

    municipalities = {row["municipality_number"]: row for row in read_rows("norway_municipalities_2024.csv")}
    places = {}
    for row in read_rows("norway_postal_codes.csv"):
        municipality = municipalities.get(row["municipality_number"])
        if municipality is not None:
            places[row["postal_code"]] = Place(
                postal_code=row["postal_code"],
                name=f"{row['place'].title()} ({municipality['name']})",
                latitude=float(municipality["lat"]),
                longitude=float(municipality["lon"]),
            )
    return places


def distance_km(place: Place, latitude: float | None, longitude: float | None) -> float | None:
    """The same haversine distance as `DistanceKm`, for rows already loaded."""
    if latitude is None or longitude is None:
        return None
    phi1, phi2 = math.radians(place.latitude), math.radians(latitude)
    half_chord = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(longitude - place.longitude) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(half_chord))


def effective_point() -> tuple[Coalesce, Coalesce]:
    """A meeting's (latitude, longitude): its own coordinates, else its municipality's centre."""
    return Coalesce(F("latitude"), F("municipality__latitude")), Coalesce(F("longitude"), F("municipality__longitude"))


def with_coordinates(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Alias each meeting's effective point (`point_latitude`, `point_longitude`)."""
    latitude, longitude = effective_point()
    return queryset.alias(point_latitude=latitude, point_longitude=longitude)


@functools.cache
def municipality_centres() -> tuple[tuple[str, float, float], ...]:
    """(number, latitude, longitude) of every municipality, read once per process from the reference file that
    migration 0002 loaded (the admin cannot change it), so that box searches need no extra query."""
    from registry.reference_data import read_rows

    return tuple(
        (row["municipality_number"], float(row["lat"]), float(row["lon"]))
        for row in read_rows("norway_municipalities_2024.csv")
    )


class InBox(Func):
    """Meetings whose point is in the box (south, north, west, east), as one condition written as SQL text, in
    conditions indexes can answer: their own coordinates through the (latitude, longitude) index, or, for meetings
    without, their municipality's centre through the municipality index. The same conditions as Q objects (four
    BETWEEN lookups, two IS NULL and an IN) took Django about a quarter of a millisecond to build and compile in
    every search near a postal code (issue 15)."""

    output_field = BooleanField()

    def __init__(self, south: float, north: float, west: float, east: float):
        super().__init__(F("latitude"), F("longitude"), F("municipality_id"))
        self.box = (south, north, west, east)

    def as_sql(self, compiler, connection, **extra_context):
        columns = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            if params:  # plain columns carry none; anything else would break the text below
                raise ValueError("InBox expects columns")
            columns.append(sql)
        latitude, longitude, municipality = columns
        values = box_values(self.box)
        sql = f"({latitude} BETWEEN %s AND %s AND {longitude} BETWEEN %s AND %s)"
        params = [marked(name, values[name]) for name in ("box_south", "box_north", "box_west", "box_east")]
        without_point = f"({latitude} IS NULL OR {longitude} IS NULL)"
        numbers = values["box_municipalities"]
        if connection.vendor == "postgresql":
            # One array, however many municipalities: the same text for every box (core/sql_templates.py).
            params.append(marked("box_municipalities", numbers))
            return f"({sql} OR ({without_point} AND {municipality} = ANY(%s)))", params
        if numbers:
            placeholders = ", ".join(["%s"] * len(numbers))
            return f"({sql} OR ({without_point} AND {municipality} IN ({placeholders})))", params + numbers
        return sql, params


def box_values(box: tuple[float, float, float, float]) -> dict:
    """`InBox`'s parameters by slot (core/sql_templates.py): the box and the municipalities whose centre is in it
    (found among those within its latitudes: a look at all 357 was a fiftieth of a search near a postal code)."""
    south, north, west, east = box
    centres, latitudes = _centres_by_latitude()
    within_latitudes = centres[bisect.bisect_left(latitudes, south) : bisect.bisect_right(latitudes, north)]
    numbers = [number for number, _latitude, longitude in within_latitudes if west <= longitude <= east]
    return {"box_south": south, "box_north": north, "box_west": west, "box_east": east, "box_municipalities": numbers}


@functools.cache
def _centres_by_latitude() -> tuple[list[tuple[str, float, float]], list[float]]:
    centres = sorted(municipality_centres(), key=lambda centre: centre[1])
    return centres, [latitude for _number, latitude, _longitude in centres]


def bounding_box(place: Place, radius_km: float) -> tuple[float, float, float, float]:
    """(south, north, west, east): a box that contains the circle."""
    delta_latitude = radius_km * OUTER_MARGIN / KM_PER_DEGREE_LATITUDE
    # Degrees of longitude are shortest at the box's edge nearest the pole: measure there.
    narrowest = math.cos(math.radians(min(abs(place.latitude) + delta_latitude, 89.0)))
    delta_longitude = min(radius_km * OUTER_MARGIN / (KM_PER_DEGREE_LATITUDE * narrowest), 180.0)
    return (
        place.latitude - delta_latitude,
        place.latitude + delta_latitude,
        place.longitude - delta_longitude,
        place.longitude + delta_longitude,
    )


class DistanceKm(Func):
    """Great-circle distance in km from a place to each meeting's effective point (haversine, the same formula as
    `distance_km`), written as SQL text: the same formula as a tree of Django's math functions took a millisecond to
    compile in every query near a postal code. SQLite gets the functions from Django, PostgreSQL has them built in."""

    output_field = FloatField()

    def __init__(self, place: Place):
        # The point itself rather than `with_coordinates`'s aliases: one annotate call, not an alias call before it.
        super().__init__(*effective_point())
        self.place = place

    def as_sql(self, compiler, connection, **extra_context):
        (latitude, latitude_params), (longitude, longitude_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        if latitude_params or longitude_params:  # the point is columns; anything else would break the text below
            raise ValueError("DistanceKm expects columns")
        sql = (
            f"(%s * ASIN(SQRT(POWER(SIN((RADIANS({latitude}) - %s) / 2.0), 2)"
            f" + %s * COS(RADIANS({latitude})) * POWER(SIN((RADIANS({longitude}) - %s) / 2.0), 2))))"
        )
        values = place_values(self.place)
        params = [
            2 * EARTH_RADIUS_KM,
            *(marked(name, values[name]) for name in ("place_phi", "place_cos", "place_lambda")),
        ]
        return sql, params


def place_values(place: Place) -> dict:
    """`DistanceKm`'s parameters by slot (core/sql_templates.py): the place's latitude in radians, its cosine and
    its longitude in radians."""
    phi = math.radians(place.latitude)
    return {"place_phi": phi, "place_cos": math.cos(phi), "place_lambda": math.radians(place.longitude)}


def nearest(
    filtered: Callable[[], QuerySet[Meeting]],
    place: Place,
    *,
    order_by,
    also: tuple[str, ...] = (),
    key: Hashable | None = None,
    values: dict | None = None,
) -> tuple[float | None, list[tuple]]:
    """(radius, rows): the smallest radius in RADII_KM with at least MIN_NEARBY meetings and, for every meeting
    within it in `order_by` order (which may use `distance_km`), a row (id, distance in km, *`also`); (None, a row
    for every meeting with a place) when no radius has MIN_NEARBY. `filtered()` gives the meetings to look among.

    The rows replace a COUNT and a page query (a radius holds few enough meetings to keep them; the page then loads
    20). Where meetings are dense, one query: the rows in the first radius's box (read through the latitude/
    longitude and municipality indexes, distances computed for those only). Elsewhere three: the MIN_NEARBY-th
    nearest distance in the largest box picks the radius, then its rows.

    With a `key` (everything the meetings' conditions and `order_by` depend on but the place and what `values` holds,
    slot name → value), each query is compiled once per key and filled in with this place's values
    (core/sql_templates.py), and `filtered` is called only to compile one. The order is the caller's to put in the key
    (the search's sort): hashing Django's expressions for every search cost a tenth of running the kept query.
    """
    # A box holds only meetings with a point (their own, or their municipality's centre, which every municipality
    # has): only the last query, of every meeting, needs to leave out those without.
    located = functools.cache(lambda: filtered().annotate(distance_km=DistanceKm(place)))
    values = {**(values or {}), **place_values(place)}

    def within(radius_km: float) -> list[tuple]:
        box = bounding_box(place, radius_km)
        rows = sql_templates.rows(
            key and (key, "within", also),
            lambda: located().filter(InBox(*box)).order_by(*order_by).values_list("pk", "distance_km", *also),
            {**values, **box_values(box)},
        )
        return [row for row in rows if row[1] <= radius_km]

    inside = within(RADII_KM[0])
    if len(inside) >= MIN_NEARBY:
        return RADII_KM[0], inside
    box = bounding_box(place, RADII_KM[-1])
    kth = sql_templates.rows(
        key and (key, "kth"),
        lambda: (
            located()
            .filter(InBox(*box))
            .order_by("distance_km")
            .values_list("distance_km")[MIN_NEARBY - 1 : MIN_NEARBY]
        ),
        {**values, **box_values(box)},
    )
    radius = next((radius for radius in RADII_KM if kth and radius >= kth[0][0]), None)
    if radius is None:
        with_point = lambda: (  # noqa: E731
            with_coordinates(located())
            .filter(point_latitude__isnull=False, point_longitude__isnull=False)
            .order_by(*order_by)
            .values_list("pk", "distance_km", *also)
        )
        return None, sql_templates.rows(key and (key, "all", also), with_point, values)
    return radius, within(radius)
