"""Fictional demo groups and about 300 meetings across all 15 counties (called by `manage.py seed_demo`).

Every group and meeting here is invented: the names, addresses and links are made up, the notes say so, and
all slugs start with "demo-". The same seed always gives the same data; running it again adds only what is
missing and never overwrites an entry a curator has since edited.

Shape, on purpose: mostly AA and NA, most meetings closed (as in Norway), some online or hybrid, some every other
week or monthly, about one in seven not verified for over six months, a few temporarily closed. Kristiansand has
several open AA meetings on weekday evenings. Båtsfjord (postal code 9990) has none, so a search near 9990 shows
the radius widening to the nearest towns.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from registry import services
from registry.models import AttendanceMode, Fellowship, Group, Meeting, Municipality, PostalCode, Recurrence, Status
from registry.reference_data import load_fellowships

SEED = 2026
SOURCE = "demo"
DEMO_NOTE = "Fiktivt demomøte – ikke et ekte møte."

# County → (meetings, main towns that get most of them).
COUNTIES = {
    "03": (40, ["0301"]),
    "11": (24, ["1103", "1108", "1106"]),
    "15": (14, ["1508", "1506", "1505"]),
    "18": (14, ["1804", "1833", "1806"]),
    "31": (16, ["3107", "3105", "3103", "3101"]),
    "32": (28, ["3201", "3203", "3205", "3222"]),
    "33": (14, ["3301", "3303", "3305"]),
    "34": (18, ["3403", "3405", "3407", "3420"]),
    "39": (14, ["3905", "3907", "3909"]),
    "40": (10, ["4003", "4001", "4005"]),
    "42": (14, ["4203", "4202"]),
    "46": (30, ["4601", "4614", "4621", "4647"]),
    "50": (24, ["5001", "5035", "5037", "5006"]),
    "55": (12, ["5501", "5503", "5530"]),
    "56": (8, ["5601", "5603", "5605", "5607", "5634"]),
}
KRISTIANSAND = "4204"
BATSFJORD = "5632"
ONLINE_MEETINGS = 14

GROUP_WORDS = [
    "Håpet",
    "Fyrlykta",
    "Morgenlys",
    "Sentrum",
    "Veien videre",
    "Fellesskapet",
    "Nytt liv",
    "Ankeret",
    "Broen",
    "Solgløtt",
    "Frihet",
    "Kilden",
    "Tolv trinn",
    "Stille stund",
    "Hverdag",
    "Fjordlys",
]
VENUES = [
    "Frivilligsentralen",
    "Menighetshuset",
    "Kirkens bymisjon",
    "Bydelshuset",
    "Kulturhuset",
    "Helsehuset",
    "Blå Kors-huset",
    "Misjonshuset",
    "Samfunnshuset",
]
STREETS = ["Storgata", "Kirkegata", "Skolegata", "Parkveien", "Torget", "Strandgata", "Jernbanegata", "Fjordveien"]
WEEKDAY_MEETINGS = {
    1: "Mandagsmøtet",
    2: "Tirsdagsmøtet",
    3: "Onsdagsmøtet",
    4: "Torsdagsmøtet",
    5: "Fredagsmøtet",
    6: "Lørdagsmøtet",
    7: "Søndagsmøtet",
}
FELLOWSHIP_WEIGHTS = [("AA", 55), ("NA", 30), ("Al-Anon", 6), ("GA", 5), ("CA", 4)]
EVENING_HOURS = [(17, 30), (18, 0), (18, 30), (19, 0), (19, 30), (20, 0)]
DAY_HOURS = [(8, 0), (10, 0), (11, 0), (12, 0), (14, 0)]


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _municipalities_by_county() -> dict[str, list[Municipality]]:
    result: dict[str, list[Municipality]] = {}
    for municipality in Municipality.objects.exclude(number=BATSFJORD).order_by("number"):
        result.setdefault(municipality.county_id, []).append(municipality)
    return result


def _meeting_name(rng: random.Random, weekday: int, fellowship: str) -> str:
    roll = rng.random()
    if roll < 0.4:
        return WEEKDAY_MEETINGS[weekday]
    if roll < 0.8:
        return f"{WEEKDAY_MEETINGS[weekday]} {rng.choice(GROUP_WORDS)}"
    return f"{fellowship}-møtet {rng.choice(GROUP_WORDS)}"


def _types(rng: random.Random, *, open_meeting: bool, extra=()) -> list[str]:
    types = ["O" if open_meeting else "C", "NO"]
    for code, chance in (("BE", 0.2), ("X", 0.45), ("D", 0.4), ("ST", 0.15), ("SP", 0.1), ("LIT", 0.1)):
        if rng.random() < chance:
            types.append(code)
    types.extend(extra)
    return sorted(set(types))


class _MeetingPlanner:
    """Numbers the demo meetings and draws what every meeting has: time, name, types and, in person, a place."""

    def __init__(self, rng: random.Random, today: datetime.date):
        self.rng = rng
        self.today = today
        self.number = 0
        self.postal_codes: dict[str, list[str]] = {}
        for code, municipality_number in PostalCode.objects.order_by("code").values_list("code", "municipality_id"):
            self.postal_codes.setdefault(municipality_number, []).append(code)

    def base(
        self, municipality: Municipality | None, fellowship: str, *, open_meeting: bool, evening=True, weekday=None
    ):
        rng = self.rng
        self.number += 1
        hour, minute = rng.choice(EVENING_HOURS if evening else DAY_HOURS)
        start = datetime.time(hour, minute)
        length = rng.choice([60, 60, 90, 90, 120])
        end = (datetime.datetime.combine(self.today, start) + datetime.timedelta(minutes=length)).time()
        weekday = weekday or rng.randint(1, 7)
        data = {
            "slug": f"demo-{self.number:03d}",
            # "Tirsdagsmøtet", "Tirsdagsmøtet Håpet", "Kveldsmøtet Broen": distinct within a group.
            "name": _meeting_name(rng, weekday, fellowship),
            "weekday": weekday,
            "start_time": start,
            "end_time": end,
            "notes": DEMO_NOTE,
            "source": SOURCE,
            "types": _types(rng, open_meeting=open_meeting),
        }
        if municipality is not None:
            data.update(
                {
                    "venue": rng.choice(VENUES),
                    "address": f"{rng.choice(STREETS)} {rng.randint(1, 60)}",
                    "postal_code": rng.choice(self.postal_codes.get(municipality.number, [""])),
                    "municipality": municipality,
                }
            )
            if rng.random() < 0.7:
                data["latitude"] = round(municipality.latitude + rng.uniform(-0.03, 0.03), 5)
                data["longitude"] = round(municipality.longitude + rng.uniform(-0.05, 0.05), 5)
        return data


def _kristiansand_plans(planner: _MeetingPlanner):
    """Open AA meetings on weekday evenings, plus closed AA and NA meetings."""
    rng, base = planner.rng, planner.base
    kristiansand = Municipality.objects.get(number=KRISTIANSAND)
    for weekday, hour in ((1, 19), (2, 18), (3, 19), (4, 20), (5, 18)):
        data = base(kristiansand, "AA", open_meeting=True, weekday=weekday)
        data["start_time"], data["end_time"] = datetime.time(hour, 0), datetime.time(hour + 1, 30)
        data["types"] = sorted(set(data["types"]) | {"X"})
        yield ("AA", kristiansand), data
    for weekday in (2, 6):
        yield ("AA", kristiansand), base(kristiansand, "AA", open_meeting=False, weekday=weekday)
    for weekday in (1, 4, 7):
        yield ("NA", kristiansand), base(kristiansand, "NA", open_meeting=rng.random() < 0.4, weekday=weekday)


def _county_plans(planner: _MeetingPlanner, by_county: dict[str, list[Municipality]]):
    """Each county's meetings, most in its main towns; some every other week or monthly, a few hybrid."""
    rng, today = planner.rng, planner.today
    for county, (count, towns) in COUNTIES.items():
        municipalities = by_county[county]
        town_rows = [m for m in municipalities if m.number in towns]
        for _index in range(count):
            municipality = rng.choice(town_rows) if rng.random() < 0.75 else rng.choice(municipalities)
            fellowship = _weighted(rng, FELLOWSHIP_WEIGHTS)
            data = planner.base(municipality, fellowship, open_meeting=rng.random() < 0.3, evening=rng.random() < 0.8)
            shape = rng.random()
            if shape < 0.08:
                data["recurrence"] = Recurrence.BIWEEKLY
                anchor = today - datetime.timedelta(days=(today.isoweekday() - data["weekday"]) % 7)
                data["anchor_date"] = anchor - datetime.timedelta(days=7 * rng.randint(0, 1))
            elif shape < 0.14:
                data["recurrence"] = Recurrence.MONTHLY
                data["week_of_month"] = rng.choice([1, 1, 2, 3, -1])
            mode = rng.random()
            if mode < 0.07:
                data["attendance_mode"] = AttendanceMode.HYBRID
                data["conference_url"] = f"https://meet.example.org/{data['slug']}"
            yield (fellowship, municipality), data


def _online_plans(planner: _MeetingPlanner):
    """National online meetings, some with a phone number, some also in English."""
    rng = planner.rng
    for _index in range(ONLINE_MEETINGS):
        fellowship = _weighted(rng, [("AA", 6), ("NA", 4), ("Al-Anon", 1)])
        data = planner.base(None, fellowship, open_meeting=rng.random() < 0.5, evening=rng.random() < 0.7)
        data["attendance_mode"] = AttendanceMode.ONLINE
        data["conference_url"] = f"https://meet.example.org/{data['slug']}"
        if rng.random() < 0.4:
            data["conference_phone"] = f"+47 21 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        if rng.random() < 0.3:
            data["languages"] = "nb,en"
            data["types"] = sorted(set(data["types"]) | {"EN"})
        yield (fellowship, None), data


def _meeting_plans(rng: random.Random, by_county: dict[str, list[Municipality]], today: datetime.date):
    """Yield (group key, meeting data) for every demo meeting, in a fixed order."""
    planner = _MeetingPlanner(rng, today)
    yield from _kristiansand_plans(planner)
    yield from _county_plans(planner, by_county)
    yield from _online_plans(planner)


def _group_for(key, rng: random.Random, groups: dict, fellowships: dict, actor) -> Group:
    """One group per fellowship and municipality (and one national online group per fellowship)."""
    if key in groups:
        return groups[key]
    fellowship_code, municipality = key
    place = municipality.name if municipality else "på nett"
    name = f"{fellowship_code} {rng.choice(GROUP_WORDS)} {place}"
    # Drawn whether or not the group exists, so a second run makes the same choices.
    never_verified = rng.random() < 0.1
    verified_days_ago = rng.randint(5, 120)
    group = Group.objects.filter(name=name, fellowship__code=fellowship_code).first()
    if group is None:
        group = services.group_create(
            data={
                "name": name,
                "fellowship": fellowships[fellowship_code],
                "municipality": municipality,
                "contact": "",
                "website": "https://example.org/",
                "notes": "Fiktiv demogruppe.",
                # One in ten groups was never verified; the rest within the last four months.
                "last_verified_at": None
                if never_verified
                else timezone.now() - datetime.timedelta(days=verified_days_ago),
            },
            actor=actor,
        )
    groups[key] = group
    return group


@transaction.atomic
def seed(stdout) -> None:
    """Create the demo groups and meetings that are not there yet."""
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate(now)
    load_fellowships(Fellowship)
    fellowships = {f.code: f for f in Fellowship.objects.all()}
    by_county = _municipalities_by_county()
    existing = set(Meeting.objects.filter(slug__startswith="demo-").values_list("slug", flat=True))
    groups: dict = {}
    created = 0
    for key, data in _meeting_plans(rng, by_county, today):
        group = _group_for(key, rng, groups, fellowships, actor=None)
        # Draw the freshness even for existing rows, so the sequence stays the same on a second run.
        stale = rng.random() < 0.15
        verified_days_ago = rng.randint(190, 540) if stale else rng.randint(3, 170)
        status_roll = rng.random()
        if data["slug"] in existing:
            continue
        data["group"] = group
        if status_roll < 0.03:
            data["status"] = Status.TEMPORARILY_CLOSED
        elif status_roll < 0.04:
            data["status"] = Status.INACTIVE
        if not (stale and verified_days_ago > 450):  # some stale entries were never verified at all
            data["last_verified_at"] = now - datetime.timedelta(days=verified_days_ago)
        services.meeting_create(data=data, actor=None)
        created += 1
    total = Meeting.objects.filter(slug__startswith="demo-").count()
    stdout.write(f"Registry: {created} demo meetings created, {total} in all, in {len(groups)} groups.\n")
