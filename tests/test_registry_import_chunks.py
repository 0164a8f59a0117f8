"""`import_meetings` in chunks: the stored meetings are compared, and the rows and their history written, a chunk
(REGISTRY_IMPORT_CHUNK_SIZE) at a time, and the source is decoded one record at a time. An import of many chunks must
give exactly what one chunk gives, and a source broken after its first records is still refused whole."""

import json

import pytest
from auditlog.models import LogEntry
from django.db import connection

from registry.importers import apply, import_meetings
from registry.models import Group, Meeting, Status
from tests.factories import FellowshipFactory


@pytest.fixture(autouse=True)
def fellowships(db):
    return FellowshipFactory(code="AA")


def record(prefix: str, number: int, **overrides) -> dict:
    return {
        "name": f"Møte {number}",
        "slug": f"{prefix}-{number}",
        "day": number % 7,
        "time": "19:00",
        "location": "Frivilligsentralen",
        "address": "Storgata 1",
        "postal_code": "4611",
        "types": ["O", "D"],
        "group": f"{prefix} gruppe {number // 3}",
        **overrides,
    }


def run(prefix: str, records: list[dict], **options):
    content = json.dumps(records).encode()
    result = import_meetings(content=content, source_name=f"{prefix}-feed", deactivate_missing=True, **options)
    assert result.ok, result.problems
    return (result.created, result.updated, result.unchanged, result.deactivated, result.groups_created)


def import_twice(prefix: str) -> list:
    """Seven meetings imported, then a file that changes three, leaves three alone, drops one, adds two and a group."""
    first = run(prefix, [record(prefix, number) for number in range(7)])
    second_records = [
        record(prefix, 0),
        record(prefix, 1, name="Nytt navn"),
        record(prefix, 2, types=["C", "BE"]),
        record(prefix, 3),
        record(prefix, 4, time="18:30", group=f"{prefix} ny gruppe"),
        record(prefix, 5),
        record(prefix, 7),
        record(prefix, 8),
    ]
    preview = import_meetings(
        content=json.dumps(second_records).encode(),
        source_name=f"{prefix}-feed",
        deactivate_missing=True,
        dry_run=True,
        preview_limit=4,
    ).preview
    second = run(prefix, second_records)
    preview_rows = [(row.slug, row.action, row.changed_fields) for row in preview]
    return without_prefix(prefix, [first, second, preview_rows, stored(prefix)])


def stored(prefix: str) -> list:
    """What the import left: every meeting of the source, its types and group, and its history, the prefix taken out."""
    meetings = []
    for meeting in Meeting.objects.filter(source=f"{prefix}-feed").select_related("group").order_by("slug"):
        history = [
            (entry.action, with_group_names(entry.changes_dict))
            for entry in LogEntry.objects.get_for_object(meeting).order_by("timestamp", "pk")
        ]
        meetings.append(
            (
                meeting.slug,
                meeting.name,
                meeting.weekday,
                meeting.start_time,
                meeting.status,
                meeting.group.name,
                sorted(meeting.types.values_list("code", flat=True)),
                history,
            )
        )
    return meetings


def with_group_names(changes: dict) -> dict:
    if "group" in changes:
        changes["group"] = [Group.objects.get(pk=pk).name for pk in changes["group"]]
    return changes


def without_prefix(prefix: str, value):
    return json.loads(json.dumps(value, default=str).replace(f"{prefix}-", "").replace(f"{prefix} ", ""))


def test_an_import_of_many_chunks_gives_what_one_chunk_gives(settings):
    one_chunk = import_twice("xa")
    settings.REGISTRY_IMPORT_CHUNK_SIZE = 2  # every stage of seven and eight meetings over several chunks
    many_chunks = import_twice("xb")
    assert many_chunks == one_chunk
    assert one_chunk[:2] == [[7, 0, 0, 0, 3], [2, 3, 3, 1, 1]]
    assert one_chunk[2] == [
        ["0", "unchanged", []],
        ["1", "update", ["name"]],
        ["2", "update", ["types"]],
        ["3", "unchanged", []],
    ]
    assert Meeting.objects.get(slug="xb-6").status == Status.INACTIVE
    assert Meeting.objects.filter(slug__startswith="xb-").count() == 9


def test_history_of_a_large_import_is_written_in_chunks_and_complete(settings):
    settings.REGISTRY_IMPORT_CHUNK_SIZE = 3
    run("c", [record("c", number) for number in range(10)])
    meeting_entries = LogEntry.objects.filter(content_type__model="meeting", action=LogEntry.Action.CREATE)
    assert meeting_entries.count() == 10
    assert LogEntry.objects.filter(content_type__model="group", action=LogEntry.Action.CREATE).count() == 4


def test_a_feed_broken_after_its_first_records_is_refused_whole(tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "feed.json"
    records = ", ".join(json.dumps(record("d", number)) for number in range(5))
    path.write_text(f"[{records}, {{]")
    with pytest.raises(CommandError, match="Not valid JSON: Expecting property name enclosed in double quotes"):
        call_command("import_meetings", str(path))
    assert Meeting.objects.count() == 0


def test_the_records_are_counted_and_each_read_once_per_pass():
    from registry.importers.parse import parse_content

    content = json.dumps([record("e", number) for number in range(3)]).encode()
    _format, records = parse_content(content)
    assert len(records) == 3
    assert [raw.data["slug"] for raw in records] == ["e-0", "e-1", "e-2"]
    assert [raw.position for raw in records] == ["record 1", "record 2", "record 3"]


def planned_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_large_import_leaves_statistics_that_count_its_meetings(monkeypatch):
    # Stale statistics made the next feed build plan 100,000 meetings as a few: minutes instead of a second.
    monkeypatch.setattr(apply, "ANALYZE_AFTER_ROWS", 5)
    run("stat", [record("stat", number) for number in range(12)])

    assert planned_rows("registry_meeting") == Meeting.objects.count() == 12
    assert planned_rows("registry_meeting_types") == 24


def test_a_small_import_leaves_the_statistics_to_autovacuum(monkeypatch):
    analyzed = []
    monkeypatch.setattr(apply, "analyze", lambda *models: analyzed.append(models))
    run("few", [record("few", number) for number in range(12)])

    assert analyzed == []
