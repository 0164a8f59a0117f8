"""Import meetings from a Meeting Guide JSON feed or a 12 Step Meeting List CSV.

Everything is validated before anything is written: any invalid record stops the whole import, and each problem is
reported with the record's position or slug and the field. Valid imports are written by the service
`registry.services.meetings_import` in one transaction with bulk operations, updating meetings in place by slug and
skipping unchanged ones, so a 100,000-meeting feed takes well under a minute.

- `parse`: the source (file or URL) → raw records, decoded one at a time;
- `records`: one raw record → meeting rows, a reader per field group;
- `plan`: every record checked and compared with what is stored, a chunk of stored meetings at a time;
- `apply`: the bulk writes, a chunk at a time, and their change history (through the service).

A 100,000-meeting import stays within a web worker's memory (issue 15: 300 MB): the source is held once, as text,
and only while it is checked; each meeting is one compact row (records.MeetingRow); the stored meetings are read and
the rows written in chunks.

Used by `manage.py import_meetings` and the admin's upload page (registry/admin_import.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from registry import services
from registry.importers.parse import MAX_RECORDS, MAX_SOURCE_BYTES, SourceError, parse_content, read_source
from registry.importers.plan import PREVIEW_ROWS, PreviewRow, Progress, plan_import, preview_rows
from registry.importers.records import Problem, parse_time

__all__ = [
    "MAX_RECORDS",
    "MAX_SOURCE_BYTES",
    "PREVIEW_ROWS",
    "ImportResult",
    "Problem",
    "SourceError",
    "import_meetings",
    "parse_time",
    "read_source",
]


@dataclass
class ImportResult:
    source_name: str
    format: str
    records: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    groups_created: int = 0
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        text = _(
            "created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s, "
            "deactivated: %(deactivated)s, new groups: %(groups)s"
        ) % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "groups": self.groups_created,
        }
        return text + (_(" (dry run: nothing was written)") if self.dry_run else "")


def import_meetings(
    *,
    content: bytes,
    filename: str = "",
    source_name: str,
    fellowship_code: str = "AA",
    dry_run: bool = False,
    deactivate_missing: bool = False,
    actor=None,
    preview_limit: int = PREVIEW_ROWS,
    progress: Progress | None = None,
) -> ImportResult:
    """Parse, validate and (unless dry_run or invalid) write. Raises SourceError when the source is unreadable.

    Memory: the records are decoded from the text on each pass (parse.RawRecords) and the bytes are let go once
    decoded, so a caller that passes `content` without keeping it (manage.py import_meetings, the admin's upload) holds
    the source once."""
    file_format, records = parse_content(content, filename=filename)
    del content
    record_count = len(records)
    plan = plan_import(
        records,
        source_name=source_name,
        fellowship_code=fellowship_code,
        deactivate_missing=deactivate_missing,
        progress=progress,
    )
    del records  # and with them the text, before anything is written
    result = ImportResult(source_name=source_name, format=file_format, records=record_count, dry_run=dry_run)
    result.problems = plan.problems
    if plan.problems:
        return result
    result.created = len(plan.creates)
    result.updated = len(plan.updates)
    result.unchanged = plan.unchanged
    result.deactivated = len(plan.deactivate)
    result.groups_created = len(plan.new_groups)
    result.preview = preview_rows(plan, limit=preview_limit) if preview_limit else []
    if not dry_run:
        if progress:
            progress("write", 0, len(plan.creates) + len(plan.updates) + len(plan.deactivate))
        services.meetings_import(plan=plan, actor=actor)
    return result
