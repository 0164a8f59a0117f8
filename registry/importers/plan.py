"""Planning an import: validate every record, then compare with what is stored. Reads only; writes nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from registry.feed import COORDINATE_DECIMALS, default_end_time
from registry.importers.parse import RawRecord, SourceError
from registry.importers.records import Lookups, MeetingRow, Problem, model_problems, read_record
from registry.models import SCHEDULE_FIELDS, Group, Meeting, Municipality, Status

PREVIEW_ROWS = 25
PROGRESS_EVERY = 10_000
# progress(stage, done, total): stage is "check", "compare" or "write" (manage.py import_meetings prints it).
Progress = Callable[[str, int, int], None]

# Model fields an import sets; compared with the stored row to skip unchanged meetings.
IMPORT_FIELDS = (
    "name",
    "group_id",
    *SCHEDULE_FIELDS,
    "attendance_mode",
    "status",
    "venue",
    "address",
    "postal_code",
    "municipality_id",
    "latitude",
    "longitude",
    "location_notes",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "languages",
    "notes",
    "source",
)
# Changes that do not change the listing, so they leave its "updated" time alone.
BOOKKEEPING_FIELDS = {"source"}
# Plain text fields read as they are (model field → source key).


@dataclass
class PreviewRow:
    position: str
    slug: str
    name: str
    day: str
    time: str
    place: str
    action: str
    changed_fields: list[str]


@dataclass
class ImportPlan:
    source_name: str
    rows: list[MeetingRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    creates: list[MeetingRow] = field(default_factory=list)
    updates: list[tuple[int, MeetingRow, dict]] = field(default_factory=list)  # (id, row, {field: old value})
    type_changes: dict[int, tuple[frozenset, frozenset]] = field(default_factory=dict)  # id → (old, new)
    unchanged: int = 0
    deactivate: list[tuple[int, str, str]] = field(default_factory=list)  # (id, name, old status)
    new_groups: dict[tuple[str, int], MeetingRow] = field(default_factory=dict)
    group_ids: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems


def chunk_size() -> int:
    """Rows per query and per bulk write: the stored meetings are compared, and rows written, a chunk at a time, so
    that an import never holds every stored meeting, or every row to write, as Python objects at once."""
    return getattr(settings, "REGISTRY_IMPORT_CHUNK_SIZE", 2000)


def _chunks(items: list, size: int | None = None):
    size = size or chunk_size()
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _same(field_name: str, old, new) -> bool:
    if field_name in ("latitude", "longitude") and old is not None and new is not None:
        return round(old, COORDINATE_DECIMALS) == round(new, COORDINATE_DECIMALS)
    return old == new


def plan_import(
    records: list[RawRecord],
    *,
    source_name: str,
    fellowship_code: str = "AA",
    deactivate_missing: bool = False,
    progress: Progress | None = None,
) -> ImportPlan:
    """Validate every record and work out what would change. Reads only; writes nothing."""
    plan = ImportPlan(source_name=source_name)
    lookups = Lookups()
    default_fellowship_id = lookups.fellowships.get(fellowship_code.casefold())
    if default_fellowship_id is None:
        raise SourceError(
            _("The fellowship “%(code)s” is not in the registry; add it in the admin or choose another.")
            % {"code": fellowship_code}
        )
    if not lookups.type_codes:
        raise SourceError(_("The registry has no meeting types yet; run the migrations first."))

    _check_records(
        plan,
        records,
        lookups=lookups,
        default_fellowship_id=default_fellowship_id,
        source_name=source_name,
        progress=progress,
    )
    if plan.problems:
        return plan
    if progress:
        progress("compare", 0, len(plan.rows))
    _match_groups(plan)
    slugs = _compare_meetings(plan)
    if deactivate_missing:
        _plan_deactivations(plan, incoming=set(slugs))
    return plan


def _check_records(
    plan: ImportPlan,
    records: list[RawRecord],
    *,
    lookups: Lookups,
    default_fellowship_id: int,
    source_name: str,
    progress: Progress | None,
) -> None:
    """Every record read and checked; the valid rows go to plan.rows, every problem to plan.problems."""
    first_position: dict[str, str] = {}
    for number, raw in enumerate(records, start=1):
        if progress and (number % PROGRESS_EVERY == 0 or number == len(records)):
            progress("check", number, len(records))
        rows, problems = read_record(
            raw, lookups=lookups, default_fellowship_id=default_fellowship_id, source_name=source_name
        )
        plan.problems.extend(problems)
        for row in rows:
            if row.slug in first_position:
                plan.problems.append(
                    Problem(
                        row.position,
                        row.slug,
                        "slug",
                        _("is used twice; first by %(position)s.") % {"position": first_position[row.slug]},
                    )
                )
                continue
            first_position[row.slug] = row.position
            row_problems = model_problems(row)
            plan.problems.extend(row_problems)
            if not row_problems:
                plan.rows.append(row)


def _match_groups(plan: ImportPlan) -> None:
    # Groups: matched by (name, fellowship), case-insensitively.
    fellowship_ids = {row.fellowship_id for row in plan.rows}
    for pk, name, fellowship_id in Group.objects.filter(fellowship_id__in=fellowship_ids).values_list(
        "pk", "name", "fellowship_id"
    ):
        plan.group_ids.setdefault((name.casefold(), fellowship_id), pk)
    for row in plan.rows:
        if row.group_key not in plan.group_ids:
            plan.new_groups.setdefault(row.group_key, row)


def _compare_meetings(plan: ImportPlan) -> list[str]:
    """Creates, updates (with the old values) and unchanged counts, against the stored meetings; returns the slugs."""
    # Meetings: update in place by slug.
    for chunk in _chunks(plan.rows):
        stored_by_slug = {
            values["slug"]: values
            for values in Meeting.objects.filter(slug__in=[row.slug for row in chunk]).values(
                "pk", "slug", *IMPORT_FIELDS
            )
        }
        stored_types: dict[int, set[str]] = defaultdict(set)
        for meeting_id, code in Meeting.types.through.objects.filter(
            meeting_id__in=[values["pk"] for values in stored_by_slug.values()]
        ).values_list("meeting_id", "meetingtype_id"):
            stored_types[meeting_id].add(code)
        for row in chunk:
            stored = stored_by_slug.get(row.slug)
            if stored is None:
                plan.creates.append(row)
            else:
                _compare_meeting(plan, row, stored, frozenset(stored_types.get(stored["pk"], ())))
    return [row.slug for row in plan.rows]


def _compare_meeting(plan: ImportPlan, row: MeetingRow, stored: dict, old_types: frozenset[str]) -> None:
    group_id = plan.group_ids.get(row.group_key)
    values = row.values
    changes = {}
    for field_name in IMPORT_FIELDS:
        new = group_id if field_name == "group_id" else values[field_name]
        if not _same(field_name, stored[field_name], new):
            changes[field_name] = stored[field_name]
    if "end_time" in changes and stored["end_time"] is None:
        if values["end_time"] == default_end_time(values["start_time"]):
            del changes["end_time"]  # no end time means one hour: the same meeting
    # Stored with both open and closed means closed: the same as a record that says closed only.
    visible_types = old_types - {"O"} if "C" in old_types else old_types
    if visible_types != row.type_codes:
        plan.type_changes[stored["pk"]] = (old_types, row.type_codes)
        changes["types"] = sorted(old_types)
    if changes:
        plan.updates.append((stored["pk"], row, changes))
    else:
        plan.unchanged += 1


def _plan_deactivations(plan: ImportPlan, *, incoming: set[str]) -> None:
    """Meetings of the same source that the file no longer lists."""
    for pk, slug, name, status in Meeting.objects.filter(source=plan.source_name[:200]).values_list(
        "pk", "slug", "name", "status"
    ):
        if slug not in incoming and status != Status.INACTIVE:
            plan.deactivate.append((pk, name, status))


def _field_label(name: str) -> str:
    if name == "types":
        return str(Meeting._meta.get_field("types").verbose_name)
    return str(Meeting._meta.get_field(name.removesuffix("_id")).verbose_name)


def preview_rows(plan: ImportPlan, *, limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
    shown = {row.slug for row in plan.rows[:limit]}
    action_by_slug = {row.slug: ("create", []) for row in plan.creates if row.slug in shown}
    for _pk, row, changes in plan.updates:
        if row.slug in shown:
            action_by_slug[row.slug] = ("update", sorted(_field_label(name) for name in changes))
    municipality_names = dict(Municipality.objects.values_list("number", "name")) if plan.rows else {}
    weekdays = dict(Meeting._meta.get_field("weekday").choices)
    preview = []
    for row in plan.rows[:limit]:
        action, changed = action_by_slug.get(row.slug, ("unchanged", []))
        values = row.values
        preview.append(
            PreviewRow(
                position=row.position,
                slug=row.slug,
                name=values["name"],
                day=str(weekdays.get(values["weekday"], "")),
                time=values["start_time"].strftime("%H:%M"),
                place=municipality_names.get(values["municipality_id"], ""),
                action=action,
                changed_fields=changed,
            )
        )
    return preview
