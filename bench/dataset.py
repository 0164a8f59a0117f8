"""Scale data for the benchmarks: 100,000 meetings and 1,000,000 contacts in PostgreSQL, fast.

Rows are generated in Python with a fixed random seed and streamed with COPY; primary keys are
assigned here so that many-to-many rows can follow without a round trip. Columns come from the
models' metadata, so a field another app adds later gets its default without a change here.

Used by bench/run.py, bench/registry_bench.py and bench/reports_bench.py:

    from bench import dataset
    dataset.setup_django()
    dataset.build_meetings(count=100_000)
    units = dataset.build_units(count=50)
    dataset.build_contacts(count=1_000_000, units=units, months=24)

Every builder refuses a database whose name does not start with "bench".
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import json
import os
import random
import sys
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
BENCH_UNIT_PREFIX = "BENCH-U"
BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throwaway benchmark database

_MEETING_TYPE_MIX = ["BE", "X", "XB", "D", "SP", "ST", "B", "LIT", "W", "M", "Y", "NO", "EN", "DD"]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it is missing; its name must start with "bench"."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not name.startswith("bench"):
        raise SystemExit(f"The benchmark database must be named bench*, not {name!r}.")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str | None = None) -> None:
    """Configure Django for a benchmark (creating its database if needed): production settings, DEBUG off, no HTTPS
    redirect, 2FA off."""
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    database_url = database_url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    ensure_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
    os.environ.setdefault("PSEUDONYM_KEY", "bench-pseudonym-key")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["REQUIRE_2FA"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _guard():
    from django.db import connection

    name = connection.settings_dict["NAME"] or ""
    if connection.vendor != "postgresql" or not name.startswith("bench"):
        raise SystemExit(f"Refusing to build benchmark data in {connection.vendor} database {name!r}: use bench*.")


def _layout(model, given: list[str]) -> tuple[list[str], list]:
    """The columns to COPY and, per column, the index in `given` or ("default", value).

    Columns named in `given` take the row's value; an unnamed auto primary key is left to its
    sequence; every other column gets the field's default.
    """
    position = {name: index for index, name in enumerate(given)}
    columns, layout = [], []
    for field in model._meta.concrete_fields:
        index = position.get(field.attname, position.get(field.name))
        if index is None and field.primary_key:
            continue
        columns.append(field.column)
        if index is not None:
            layout.append(index)
        elif field.has_default():
            default = field.get_default()
            layout.append(("default", json.dumps(default) if field.get_internal_type() == "JSONField" else default))
        elif field.null:
            layout.append(("default", None))
        else:
            layout.append(("default", "" if field.empty_strings_allowed else None))
    return columns, layout


def _copy(model, rows, *, given: list[str]) -> int:
    """COPY `rows` (tuples of the `given` attnames, in order) into the model's table; other columns get defaults."""
    from django.db import connection

    columns, layout = _layout(model, given)
    count = 0
    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([row[slot] if isinstance(slot, int) else slot[1] for slot in layout])
                count += 1
    return count


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def _reset_sequences(*models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


def _now():
    return datetime.datetime.now(tz=datetime.UTC)


# --- Meetings ------------------------------------------------------------------------------------------

GROUP_COLUMNS = ["id", "name", "fellowship_id", "municipality_id", "status", "created_at", "updated_at"]
MEETING_COLUMNS = [
    "id",
    "slug",
    "group_id",
    "name",
    "weekday",
    "start_time",
    "end_time",
    "recurrence",
    "anchor_date",
    "week_of_month",
    "attendance_mode",
    "status",
    "venue",
    "address",
    "postal_code",
    "municipality_id",
    "latitude",
    "longitude",
    "conference_url",
    "languages",
    "notes",
    "source",
    "last_verified_at",
    "created_at",
    "updated_at",
]
WEEKDAY_NAMES = "mandag tirsdag onsdag torsdag fredag lørdag søndag".split()


def _fellowship_draw(fellowships: dict[str, int]) -> tuple[list[str], list[int] | None]:
    """The fellowship codes to draw groups from and their weights: mostly AA and NA, as in Norway."""
    fellowship_weights = [("AA", 60), ("NA", 30), ("CA", 3), ("GA", 3), ("Al-Anon", 4)]
    fellowship_codes = [code for code, _ in fellowship_weights if code in fellowships] or list(fellowships)
    weights = [weight for code, weight in fellowship_weights if code in fellowships] or None
    return fellowship_codes, weights


def _group_rows(rng, *, first_id: int, count: int, municipalities, fellowships: dict[str, int], now) -> list[tuple]:
    """`count` active groups (GROUP_COLUMNS), each in a random municipality."""
    fellowship_codes, weights = _fellowship_draw(fellowships)
    groups = []
    for group_id in range(first_id, first_id + count):
        municipality = rng.choice(municipalities)
        fellowship = fellowships[rng.choices(fellowship_codes, weights)[0]]
        groups.append((group_id, f"Benchgruppe {group_id}", fellowship, municipality[0], "active", now, now))
    return groups


def _schedule(rng) -> tuple:
    """(weekday, start, end, recurrence, anchor date, week of month): mostly weekly evening meetings of 90 minutes."""
    weekday = rng.randint(1, 7)
    start = datetime.time(rng.choice([7, 10, 12, 17, 18, 18, 19, 19, 19, 20]), rng.choice([0, 0, 15, 30]))
    end = (datetime.datetime.combine(datetime.date(2026, 1, 1), start) + datetime.timedelta(minutes=90)).time()
    roll = rng.random()
    recurrence, anchor, week_of_month = "weekly", None, None
    if roll < 0.05:
        recurrence = "biweekly"
        anchor = datetime.date(2026, 1, 5) + datetime.timedelta(days=weekday - 1)
    elif roll < 0.08:
        recurrence, week_of_month = "monthly", rng.choice([1, 2, 3, 4, -1])
    return weekday, start, end, recurrence, anchor, week_of_month


def _meeting_row(rng, meeting_id: int, group: tuple, place: tuple, postal_codes: list[str], now) -> tuple:
    """One meeting (MEETING_COLUMNS) of `group`, held at `place` (municipality number, latitude, longitude)."""
    municipality_number, latitude, longitude = place
    weekday, start, end, recurrence, anchor, week_of_month = _schedule(rng)
    mode_roll = rng.random()
    mode = "in_person" if mode_roll < 0.85 else ("online" if mode_roll < 0.95 else "hybrid")
    status_roll = rng.random()
    status = "active" if status_roll < 0.92 else ("temporarily_closed" if status_roll < 0.96 else "inactive")
    online = mode != "in_person"
    in_person = mode != "online"
    verified = None if rng.random() < 0.15 else now - datetime.timedelta(days=rng.randint(0, 730))
    return (
        meeting_id,
        f"bench-{meeting_id}",
        group[0],
        f"{group[1]} {WEEKDAY_NAMES[weekday - 1]}",
        weekday,
        start,
        end,
        recurrence,
        anchor,
        week_of_month,
        mode,
        status,
        "Frivilligsentralen" if in_person else "",
        f"Storgata {rng.randint(1, 120)}" if in_person else "",
        rng.choice(postal_codes) if in_person else "",
        municipality_number if in_person else None,
        latitude + rng.uniform(-0.05, 0.05) if in_person else None,
        longitude + rng.uniform(-0.05, 0.05) if in_person else None,
        f"https://meet.example.org/{meeting_id}" if online else "",
        rng.choice(["nb", "nb", "nb", "nb,en", "en"]),
        "Ring på døra ved inngangen." if rng.random() < 0.3 else "",
        "bench",
        verified,
        now,
        now,
    )


def build_meetings(*, count: int = 100_000, seed: int = 1, groups_per_meeting: float = 0.1) -> int:
    """`count` meetings in about count/10 groups across every municipality, with 2–4 types each."""
    from django.db import transaction

    from registry.models import Fellowship, Group, Meeting, MeetingType, Municipality, PostalCode

    _guard()
    rng = random.Random(seed)
    municipalities = list(Municipality.objects.values_list("number", "latitude", "longitude"))
    municipality_by_number = {row[0]: row for row in municipalities}
    postal_by_municipality: dict[str, list[str]] = {}
    for code, municipality in PostalCode.objects.exclude(municipality=None).values_list("code", "municipality"):
        postal_by_municipality.setdefault(municipality, []).append(code)
    fellowships = dict(Fellowship.objects.values_list("code", "pk"))
    type_codes = set(MeetingType.objects.values_list("code", flat=True))
    extra_types = [code for code in _MEETING_TYPE_MIX if code in type_codes]
    now = _now()
    group_count = max(1, int(count * groups_per_meeting))

    with transaction.atomic():
        groups = _group_rows(
            rng,
            first_id=_next_id(Group),
            count=group_count,
            municipalities=municipalities,
            fellowships=fellowships,
            now=now,
        )
        _copy(Group, groups, given=GROUP_COLUMNS)

        first_meeting = _next_id(Meeting)
        meeting_rows, type_rows = [], []
        for offset in range(count):
            meeting_id = first_meeting + offset
            group = groups[offset % group_count]
            # Most meetings are held in their group's municipality; some elsewhere.
            place = municipality_by_number[group[3]] if rng.random() < 0.8 else rng.choice(municipalities)
            postal_codes = postal_by_municipality.get(place[0]) or [""]
            meeting_rows.append(_meeting_row(rng, meeting_id, group, place, postal_codes, now))
            types = {"C" if rng.random() < 0.7 else "O"}
            types.update(rng.sample(extra_types, k=min(len(extra_types), rng.randint(1, 3))))
            type_rows += [(meeting_id, code) for code in types & type_codes]
        _copy(Meeting, meeting_rows, given=MEETING_COLUMNS)
        through = Meeting.types.through
        _copy(through, type_rows, given=["meeting_id", "meetingtype_id"])
        _reset_sequences(Group, Meeting, through)
    _analyze()
    return count


def meeting_guide_feed(*, count: int = 10_000, seed: int = 2, prefix: str = "import") -> list[dict]:
    """A valid Meeting Guide feed (day 0 = Sunday, "HH:MM") of `count` meetings, for import benchmarks."""
    return list(meeting_guide_records(count=count, seed=seed, prefix=prefix))


def meeting_guide_records(*, count: int = 10_000, seed: int = 2, prefix: str = "import") -> Iterator[dict]:
    """The records of `meeting_guide_feed`, one at a time: a large feed written to a file without holding it."""
    from registry.models import Municipality, PostalCode

    rng = random.Random(seed)
    municipalities = list(Municipality.objects.values_list("number", "name"))
    postal = dict(PostalCode.objects.exclude(municipality=None).values_list("municipality", "code"))
    for index in range(count):
        number, name = rng.choice(municipalities)
        hour = rng.choice([10, 12, 18, 19, 20])
        types = ["C" if rng.random() < 0.7 else "O"] + rng.sample(["BE", "D", "SP", "ST", "B", "X", "NO"], k=2)
        yield {
            "name": f"Importmøte {index}",
            "slug": f"{prefix}-{index}",
            "day": rng.randint(0, 6),
            "time": f"{hour:02d}:{rng.choice([0, 30]):02d}",
            "end_time": f"{hour + 1:02d}:{rng.choice([0, 30]):02d}",
            "timezone": "Europe/Oslo",
            "location": "Frivilligsentralen",
            "address": f"Storgata {rng.randint(1, 99)}",
            "city": name,
            "postal_code": postal.get(number, "0001"),
            "country": "Norway",
            "types": types,
            "group": f"Importgruppe {index // 5}",
            "notes": "Inngang fra bakgården.",
            "updated": "2026-01-01 12:00:00",
            "entity": "AA Norge",
        }


# --- Units, users and contacts --------------------------------------------------------------------------


def build_units(*, count: int = 50):
    """A health trust with one clinic and `count` units, each with a clinician and a lead. Idempotent."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import Membership, Unit, User

    _guard()
    with transaction.atomic():
        trust, _ = Unit.objects.get_or_create(
            code="HF-BENCH", defaults={"name": "Benchmark health trust", "kind": Unit.Kind.HEALTH_TRUST}
        )
        clinic, _ = Unit.objects.get_or_create(
            code="KLINIKK-BENCH", defaults={"name": "Benchmark clinic", "kind": Unit.Kind.CLINIC, "parent": trust}
        )
        password = make_password(BENCH_PASSWORD)
        units = []
        for index in range(1, count + 1):
            code = f"{BENCH_UNIT_PREFIX}{index:02d}"
            unit, _ = Unit.objects.get_or_create(
                code=code,
                defaults={
                    "name": f"Benchmark unit {index:02d}",
                    "parent": clinic,
                    "setting": ["outpatient", "inpatient", "detox"][index % 3],
                },
            )
            for role in (Membership.Role.CLINICIAN, Membership.Role.LEAD):
                user, created = User.objects.get_or_create(
                    username=f"bench-{role}-{index:02d}", defaults={"password": password, "first_name": "Bench"}
                )
                Membership.objects.get_or_create(user=user, unit=unit, defaults={"role": role})
            units.append(unit)
        User.objects.get_or_create(
            username="bench-analyst", defaults={"password": password, "is_quality_analyst": True}
        )
    return units


def _month_starts(end_month: datetime.date, months: int) -> list[datetime.date]:
    starts = []
    year, month = end_month.year, end_month.month
    for _ in range(months):
        starts.append(datetime.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(starts))


CONTACT_COLUMNS = [
    "id",
    "unit_id",
    "contacted_at",
    "contact_month",
    "clinician_id",
    "patient_pseudonym",
    "setting",
    "main_substance",
    "prior_twelve_step",
    "intensity",
    "response",
    "reasons",
    "not_suitable",
    "volunteer_contact_arranged",
    "follow_up_planned_on",
    "created_at",
    "updated_at",
]
INTENSITY, PLANNED_FOLLOW_UP = CONTACT_COLUMNS.index("intensity"), CONTACT_COLUMNS.index("follow_up_planned_on")
FOLLOW_UP_COLUMNS = ["id", "contact_id", "followed_up_on", "attended", "meetings_last_30_days", "created_at"]
REASONS_DECLINED = ["religion", "cannot_talk_in_groups", "not_rock_bottom", "practical_barriers"]


def _referral(rng, referral_rate: float) -> tuple[int | None, str, list[str]]:
    """(intensity, response, reasons) of one contact: about `referral_rate` of them actively referred (2–4)."""
    roll = rng.random()
    if roll < 0.08:
        intensity = None
    elif roll < 0.08 + referral_rate:
        intensity = rng.choice([2, 2, 2, 3, 4])
    else:
        intensity = rng.choice([0, 0, 1])
    response, reasons = "", []
    if intensity is not None and intensity >= 1:
        response = rng.choice(["positive", "positive", "undecided", "declined"])
        if response == "declined":
            reasons = [rng.choice(REASONS_DECLINED)]
    elif intensity == 0 and rng.random() < 0.1:
        reasons = ["not_suitable"]
    return intensity, response, reasons


def _contact_row(rng, contact_id: int, *, unit, month: datetime.date, clinicians, patients: int, referral_rate, now):
    """One contact (CONTACT_COLUMNS) in `unit` during `month`, by one of its `clinicians`, with one of `patients`."""
    patient = rng.randrange(patients)
    pseudonym = hashlib.sha256(f"{unit.pk}:{patient}".encode()).hexdigest()
    days = calendar.monthrange(month.year, month.month)[1]
    moment = datetime.datetime(
        month.year, month.month, rng.randint(1, days), rng.randint(8, 15), rng.choice([0, 30]), tzinfo=OSLO
    )
    intensity, response, reasons = _referral(rng, referral_rate)
    planned = (moment + datetime.timedelta(days=28)).date() if intensity and intensity >= 2 else None
    return (
        contact_id,
        unit.pk,
        moment,
        month,
        rng.choice(clinicians),
        pseudonym,
        unit.setting or "outpatient",
        rng.choice(["alcohol", "drugs", "both", "unknown"]),
        rng.choice(["yes", "no", "unknown"]),
        intensity,
        response,
        json.dumps(reasons),
        "not_suitable" in reasons,
        intensity == 3,
        planned,
        now,
        now,
    )


def _follow_up_row(rng, follow_up_id: int, contact_id: int, planned: datetime.date, now) -> tuple:
    """A follow-up (FOLLOW_UP_COLUMNS) held on the planned day."""
    attended = rng.choice(["yes", "yes", "no", "unknown"])
    return (follow_up_id, contact_id, planned, attended, rng.randint(0, 12), now)


def _last_full_month() -> datetime.date:
    today = datetime.date.today()
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _clinicians_by_unit(units) -> dict[int, list[int]]:
    from accounts.models import Membership

    clinicians: dict[int, list[int]] = {}
    for unit_id, user_id in Membership.objects.filter(unit__in=units).values_list("unit_id", "user_id"):
        clinicians.setdefault(unit_id, []).append(user_id)
    return clinicians


def build_contacts(
    *,
    count: int = 1_000_000,
    units=None,
    months: int = 24,
    end_month: datetime.date | None = None,
    seed: int = 1,
) -> int:
    """`count` contacts spread evenly over `units` × `months`, with referral rates rising from ~15% toward 35%.

    About 1.3 contacts per patient per month; about 30% have fellowships, and half of the
    actively referred have a follow-up.
    """
    from django.db import transaction

    from accounts.models import Unit
    from referrals.models import FollowUp, PatientContact
    from registry.models import Fellowship

    _guard()
    rng = random.Random(seed)
    units = list(units if units is not None else Unit.objects.filter(code__startswith=BENCH_UNIT_PREFIX))
    if not units:
        raise SystemExit("No benchmark units: call build_units() first.")
    month_list = _month_starts(end_month or _last_full_month(), months)
    clinicians = _clinicians_by_unit(units)
    fellowship_ids = list(Fellowship.objects.filter(code__in=["AA", "NA", "Al-Anon"]).values_list("pk", flat=True))
    per_cell, remainder = divmod(count, len(units) * len(month_list))
    patients_in_unit = max(10, per_cell * 6)  # patients come back over the months
    now = _now()

    contact_rows, fellowship_rows, follow_up_rows = [], [], []
    with transaction.atomic():
        contact_id = _next_id(PatientContact)
        follow_up_id = _next_id(FollowUp)
        for unit_index, unit in enumerate(units):
            for month_index, month in enumerate(month_list):
                progress = month_index / max(1, len(month_list) - 1)
                referral_rate = 0.15 + 0.2 * progress + 0.05 * ((unit_index % 5) - 2) / 2
                cell = per_cell + (1 if unit_index * len(month_list) + month_index < remainder else 0)
                for _ in range(cell):
                    row = _contact_row(
                        rng,
                        contact_id,
                        unit=unit,
                        month=month,
                        clinicians=clinicians.get(unit.pk) or [None],
                        patients=patients_in_unit,
                        referral_rate=referral_rate,
                        now=now,
                    )
                    contact_rows.append(row)
                    intensity, planned = row[INTENSITY], row[PLANNED_FOLLOW_UP]
                    if intensity is not None and intensity >= 1 and fellowship_ids:
                        fellowship_rows.append((contact_id, rng.choice(fellowship_ids)))
                    if planned and rng.random() < 0.5:
                        follow_up_rows.append(_follow_up_row(rng, follow_up_id, contact_id, planned, now))
                        follow_up_id += 1
                    contact_id += 1
        _copy(PatientContact, contact_rows, given=CONTACT_COLUMNS)
        _copy(PatientContact.fellowships.through, fellowship_rows, given=["patientcontact_id", "fellowship_id"])
        _copy(FollowUp, follow_up_rows, given=FOLLOW_UP_COLUMNS)
        _reset_sequences(PatientContact, PatientContact.fellowships.through, FollowUp)
    _analyze()
    return len(contact_rows)


def build_suggestions(*, unit_code: str = f"{BENCH_UNIT_PREFIX}01", contacts: int = 200, seed: int = 1) -> int:
    """Suggested meetings (3–5, one online where there is one) on the unit's latest `contacts` contacts, for the
    handout benchmark. Idempotent: contacts that already have suggestions are left alone."""
    from django.db import transaction

    from referrals.models import PatientContact
    from registry.models import Meeting

    _guard()
    rng = random.Random(seed)
    through = PatientContact.suggested_meetings.through
    latest = list(
        PatientContact.objects.filter(unit__code=unit_code, suggested_meetings=None)
        .order_by("-contacted_at")
        .values_list("pk", flat=True)[:contacts]
    )
    in_person = list(
        Meeting.objects.filter(status="active", attendance_mode="in_person").values_list("pk", flat=True)[:5000]
    )
    online = list(Meeting.objects.filter(status="active", attendance_mode="online").values_list("pk", flat=True)[:500])
    rows = []
    for contact_id in latest:
        chosen = set(rng.sample(in_person, k=min(len(in_person), rng.randint(2, 4))))
        if online:
            chosen.add(rng.choice(online))
        rows += [(contact_id, meeting_id) for meeting_id in chosen]
    with transaction.atomic():
        _copy(through, rows, given=["patientcontact_id", "meeting_id"])
        _reset_sequences(through)
    return len(latest)


def _analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def clear() -> None:
    """Empty every table except reference data, migrations, content types and permissions (bench databases only)."""
    from django.apps import apps
    from django.db import connection

    _guard()
    keep = {"registry.County", "registry.Municipality", "registry.PostalCode", "registry.MeetingType"}
    keep |= {"registry.Fellowship", "contenttypes.ContentType", "auth.Permission"}
    existing = set(connection.introspection.table_names())
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label not in keep and model._meta.db_table in existing and model._meta.managed:
            tables.add(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(table) for table in sorted(tables))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
