"""core.bulk_copy's dict rows: COPY inserts and unnest updates on PostgreSQL, Django's bulk methods elsewhere."""

import datetime

from core.bulk_copy import insert_rows, update_rows
from registry.models import Meeting
from tests.factories import GroupFactory


def meeting_row(group, slug, **extra):
    return {
        "slug": slug,
        "group_id": group.pk,
        "name": slug.title(),
        "weekday": 1,
        "start_time": datetime.time(18),
        "address": "Storgata 1",
        "municipality_id": "4204",
        **extra,
    }


def test_insert_rows_returns_ids_in_order_and_fills_defaults(db):
    group = GroupFactory()
    ids = insert_rows(Meeting, [meeting_row(group, "first"), meeting_row(group, "second")])
    assert [Meeting.objects.get(pk=pk).slug for pk in ids] == ["first", "second"]
    meeting = Meeting.objects.get(slug="first")
    assert (meeting.status, meeting.recurrence, meeting.languages, meeting.notes) == ("active", "weekly", "nb", "")
    assert meeting.created_at is not None


def test_insert_rows_keeps_a_given_auto_now_value(db):
    group = GroupFactory()
    then = datetime.datetime(2024, 5, 1, 10, 0, tzinfo=datetime.UTC)
    insert_rows(Meeting, [meeting_row(group, "old", updated_at=then), meeting_row(group, "new")])
    assert Meeting.objects.get(slug="old").updated_at == then
    assert Meeting.objects.get(slug="new").updated_at > then


def test_update_rows_writes_the_given_fields_only_and_without_auto_now(db):
    group = GroupFactory()
    [pk] = insert_rows(Meeting, [meeting_row(group, "m", notes="før")])
    before = Meeting.objects.get(pk=pk)
    changed = Meeting(pk=pk, name="Nytt navn", notes="etter", end_time=None, updated_at=before.updated_at)
    update_rows(Meeting, [changed], ["name", "end_time"])
    after = Meeting.objects.get(pk=pk)
    assert (after.name, after.notes, after.end_time) == ("Nytt navn", "før", None)
    assert after.updated_at == before.updated_at


def test_insert_rows_without_ids_and_with_nothing_to_do(db):
    assert insert_rows(Meeting, []) == []
    group = GroupFactory()
    [pk] = insert_rows(Meeting, [meeting_row(group, "m")])
    assert insert_rows(Meeting.types.through, [{"meeting_id": pk, "meetingtype_id": "W"}], return_ids=False) == []
    assert list(Meeting.objects.get(pk=pk).types.values_list("code", flat=True)) == ["W"]
