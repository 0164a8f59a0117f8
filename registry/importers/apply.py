"""Writing a valid plan with bulk statements, and the change history the bulk writes would otherwise skip.

Called only by `registry.services.meetings_import`, which owns the transaction and the cache generation.
"""

from __future__ import annotations

from django.utils import timezone

from core.bulk_copy import analyze, insert_rows, update_rows
from registry.importers.plan import BOOKKEEPING_FIELDS, IMPORT_FIELDS, ImportPlan, _chunks, chunk_size
from registry.importers.records import MeetingRow
from registry.models import Group, Meeting, Status

# An import that writes this many meetings refreshes the tables' statistics before it commits.
ANALYZE_AFTER_ROWS = 1000


def write_plan(plan: ImportPlan, *, actor) -> None:
    """Write a valid plan. The caller (the service) holds the transaction and moves the cache generation.

    Rows are written a chunk at a time (plan.chunk_size()), their history with them: the statements of a chunk are
    built from the plan's compact rows and let go, so 100,000 new meetings never exist as dicts or model instances
    all at once."""
    if plan.problems:
        raise ValueError("An import with problems cannot be applied.")
    now = timezone.now()
    history = _History(actor=actor, source_name=plan.source_name)
    _write_groups(plan, history)
    for chunk in _chunks(plan.creates):
        _write_new_meetings(plan, chunk, history, now=now)
    for chunk in _chunks(plan.updates):
        _write_updates(plan, chunk, history, now=now)
    _write_type_changes(plan)
    for chunk in _chunks([pk for pk, _name, _status in plan.deactivate]):
        Meeting.objects.filter(pk__in=chunk).update(status=Status.INACTIVE, updated_at=now)
    for pk, name, old_status in plan.deactivate:
        history.changed(Meeting, pk, name, {"status": [old_status, Status.INACTIVE.value]})
    history.save()
    if len(plan.creates) + len(plan.updates) + len(plan.deactivate) >= ANALYZE_AFTER_ROWS:
        # Autovacuum would notice within minutes; meanwhile PostgreSQL planned the next feed build over 100,000
        # meetings as if there were a few (nested loops over the type links): six minutes instead of one second.
        analyze(Group, Meeting, Meeting.types.through)


def _write_groups(plan: ImportPlan, history: _History) -> None:
    if not plan.new_groups:
        return
    group_rows = [
        {
            "name": row.group_name,
            "fellowship_id": row.fellowship_id,
            "municipality_id": row.value("municipality_id"),
            "website": row.group_details.website,
            "contact": row.group_details.contact,
            "notes": row.group_details.notes,
        }
        for row in plan.new_groups.values()
    ]
    group_ids = insert_rows(Group, group_rows)
    for key, group_id, group_row in zip(plan.new_groups, group_ids, group_rows, strict=True):
        plan.group_ids[key] = group_id
        history.created(Group, group_id, group_row["name"], {"name": group_row["name"]})


def _write_new_meetings(plan: ImportPlan, rows: list[MeetingRow], history: _History, *, now) -> None:
    """Insert new meetings and their type links."""
    created_ids = insert_rows(
        Meeting,
        [
            {
                "slug": row.slug,
                "group_id": plan.group_ids[row.group_key],
                **row.values,
                # The source's "updated" time for new meetings, unless it lies in the future.
                "updated_at": row.updated if row.updated and row.updated < now else now,
            }
            for row in rows
        ],
    )
    links = []
    for meeting_id, row in zip(created_ids, rows, strict=True):
        links.extend({"meeting_id": meeting_id, "meetingtype_id": code} for code in sorted(row.type_codes))
        values = {"slug": row.slug, **row.values}
        if row.type_codes:
            values["types"] = ", ".join(sorted(row.type_codes))
        history.created(Meeting, meeting_id, values["name"], values)
    insert_rows(Meeting.types.through, links, return_ids=False)


def _write_updates(plan: ImportPlan, updates: list[tuple[int, MeetingRow, dict]], history: _History, *, now) -> None:
    updated, moved = [], []
    for pk, row, changes in updates:
        meeting = Meeting(pk=pk, slug=row.slug, group_id=plan.group_ids[row.group_key], **row.values)
        if set(changes) <= BOOKKEEPING_FIELDS:
            moved.append(meeting)  # the listing itself is the same: keep its "updated" time
        else:
            meeting.updated_at = now
            updated.append(meeting)
        history.updated(pk, row, changes, group_id=plan.group_ids[row.group_key])
    update_rows(Meeting, updated, [*IMPORT_FIELDS, "updated_at"])
    update_rows(Meeting, moved, list(IMPORT_FIELDS))


def _write_type_changes(plan: ImportPlan) -> None:
    through = Meeting.types.through
    removed: set[tuple[int, str]] = set()
    links = []
    for pk, (old, new) in plan.type_changes.items():
        links.extend({"meeting_id": pk, "meetingtype_id": code} for code in sorted(new - old))
        removed.update((pk, code) for code in old - new)
    if removed:
        link_ids = []
        for chunk in _chunks(sorted({pk for pk, _code in removed})):
            for link_id, meeting_id, code in through.objects.filter(meeting_id__in=chunk).values_list(
                "pk", "meeting_id", "meetingtype_id"
            ):
                if (meeting_id, code) in removed:
                    link_ids.append(link_id)
        for chunk in _chunks(link_ids):
            through.objects.filter(pk__in=chunk).delete()
    for chunk in _chunks(links):
        insert_rows(through, chunk, return_ids=False)


class _History:
    """Bulk writes skip auditlog's signals; this records the same history rows, in bulk inserts of a chunk."""

    def __init__(self, *, actor, source_name: str) -> None:
        self.actor_id = getattr(actor, "pk", None)
        self.extra = {"import": source_name}
        self.rows: list[dict] = []
        self._content_types: dict = {}

    def _entry(self, model, pk: int, label: str, action: int, changes: dict) -> None:
        if not _audited(model):
            return
        from auditlog.models import LogEntry
        from django.contrib.contenttypes.models import ContentType

        if model not in self._content_types:
            self._content_types[model] = ContentType.objects.get_for_model(model).pk
        self.rows.append(
            {
                "content_type_id": self._content_types[model],
                "object_pk": str(pk),
                "object_id": pk,
                "object_repr": str(label)[:200],
                "action": LogEntry.Action.CREATE if action == 0 else LogEntry.Action.UPDATE,
                "changes": changes,
                "actor_id": self.actor_id,
                "additional_data": self.extra,
            }
        )
        if len(self.rows) >= chunk_size():
            self.save()

    def created(self, model, pk: int, label: str, values: dict) -> None:
        changes = {name: ["None", _text(value)] for name, value in values.items() if value not in (None, "")}
        self._entry(model, pk, label, 0, changes)

    def changed(self, model, pk: int, label: str, changes: dict) -> None:
        self._entry(model, pk, label, 1, changes)

    def updated(self, pk: int, row: MeetingRow, old_values: dict, *, group_id: int) -> None:
        changes = {}
        for name, old in old_values.items():
            if name == "types":
                changes["types"] = [", ".join(old), ", ".join(sorted(row.type_codes))]
            elif name == "group_id":
                changes["group"] = [_text(old), _text(group_id)]
            else:
                changes[name] = [_text(old), _text(row.value(name))]
        self.changed(Meeting, pk, row.value("name"), changes)

    def save(self) -> None:
        """Write the rows gathered so far (written a chunk at a time, and at the end)."""
        if self.rows:
            from auditlog.models import LogEntry

            insert_rows(LogEntry, self.rows, return_ids=False)
            self.rows = []


def _audited(model) -> bool:
    try:
        from auditlog.registry import auditlog
    except ImportError:  # pragma: no cover - auditlog is a runtime dependency
        return False
    return auditlog.contains(model)


def _text(value) -> str:
    return "None" if value is None else str(value)
