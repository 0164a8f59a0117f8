"""Writes to the meeting registry. The admin, the importer and demo data all go through these functions.

Each function validates with `full_clean`, writes in one transaction and records the actor in the change history
(django-auditlog), so that a curator's edit, a bulk action and an import leave the same kind of trace.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from auditlog.context import auditlog_value, set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from registry import schedule
from registry.changes import registry_changed
from registry.models import SLUG_PATTERN, Group, Meeting, MeetingType, Status

SLUG_MAX_LENGTH = 64
# slugify() drops letters that do not decompose to ASCII; spell them as Norwegians do in addresses.
NORWEGIAN_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})


@contextlib.contextmanager
def acting_as(actor):
    """Attribute change-history entries to `actor`, also outside a request (commands, tests).

    django-auditlog's `set_actor` does not restore an outer context on exit; restore it, so that a service
    called inside a request leaves the request's own attribution working.
    """
    previous = auditlog_value.get(None)
    if actor is None or not getattr(actor, "is_authenticated", False):
        yield
        return
    try:
        with set_actor(actor):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)


def unique_slug(*parts: str, exclude_pk: int | None = None) -> str:
    """A URL-safe slug of at most 64 characters from the given parts, made unique with a number."""
    text = "-".join(p for p in parts if p).translate(NORWEGIAN_LETTERS)
    # "0_ Oslo" slugifies to "0_-oslo": one dash for any run of them, as the slug pattern wants.
    base = re.sub(r"[-_]+", "-", slugify(text))[:SLUG_MAX_LENGTH].strip("-") or "meeting"
    taken = Meeting.objects.exclude(pk=exclude_pk).filter(slug__startswith=base[:50])
    existing = set(taken.values_list("slug", flat=True))
    candidate, number = base, 2
    while candidate in existing:
        suffix = f"-{number}"
        candidate = f"{base[: SLUG_MAX_LENGTH - len(suffix)].rstrip('-')}{suffix}"
        number += 1
    assert SLUG_PATTERN.match(candidate)
    return candidate


def _type_objects(types: Iterable) -> list[MeetingType]:
    codes = {t.code if isinstance(t, MeetingType) else str(t) for t in types}
    codes = schedule.normalise_open_closed(codes)
    found = list(MeetingType.objects.filter(code__in=codes))
    unknown = codes - {t.code for t in found}
    if unknown:
        raise ValidationError({"types": _("Unknown meeting type: %(codes)s") % {"codes": ", ".join(sorted(unknown))}})
    return found


MEETING_FIELDS = {f.name for f in Meeting._meta.concrete_fields if f.name not in {"id", "created_at", "updated_at"}} | {
    f.attname for f in Meeting._meta.concrete_fields if f.is_relation
}


def _apply(instance, data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"Unknown fields for {type(instance).__name__}: {sorted(unknown)}")
    for name, value in data.items():
        setattr(instance, name, value)


def _save_meeting(meeting: Meeting, data: Mapping[str, Any], actor) -> Meeting:
    data = dict(data)
    types = data.pop("types", None)
    _apply(meeting, data, MEETING_FIELDS)
    if not meeting.slug and meeting.name:
        place = meeting.municipality.name if meeting.municipality_id else ""
        meeting.slug = unique_slug(meeting.name, place, exclude_pk=meeting.pk)
    type_objects = _type_objects(types) if types is not None else None
    meeting.full_clean()
    with acting_as(actor):
        meeting.save()
        if type_objects is not None:
            meeting.types.set(type_objects)
    return meeting


def _created_as_verified(data: Mapping[str, Any], actor) -> dict:
    """A curator who enters a meeting or group has just checked it: creating counts as verifying."""
    if "last_verified_at" in data or actor is None or not getattr(actor, "is_authenticated", False):
        return dict(data)
    return {**data, "last_verified_at": timezone.now(), "last_verified_by": actor}


@transaction.atomic
def meeting_create(*, data: Mapping[str, Any], actor) -> Meeting:
    """Create a meeting from field values; "types" may hold codes or MeetingType objects."""
    return _save_meeting(Meeting(), _created_as_verified(data, actor), actor)


@transaction.atomic
def meeting_update(*, meeting: Meeting, data: Mapping[str, Any], actor) -> Meeting:
    """Change the given fields of a meeting (and its types when "types" is given)."""
    return _save_meeting(meeting, data, actor)


GROUP_FIELDS = {f.name for f in Group._meta.concrete_fields if f.name not in {"id", "created_at", "updated_at"}} | {
    f.attname for f in Group._meta.concrete_fields if f.is_relation
}


@transaction.atomic
def group_create(*, data: Mapping[str, Any], actor) -> Group:
    group = Group()
    _apply(group, _created_as_verified(data, actor), GROUP_FIELDS)
    group.full_clean()
    with acting_as(actor):
        group.save()
    return group


@transaction.atomic
def group_update(*, group: Group, data: Mapping[str, Any], actor) -> Group:
    _apply(group, data, GROUP_FIELDS)
    group.full_clean()
    with acting_as(actor):
        group.save()
    return group


def _set_status(entries: Iterable[Group] | Iterable[Meeting], status: str, actor) -> int:
    """Give each entry the status, saving only those that change; returns how many changed."""
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    changed = 0
    with acting_as(actor):
        for entry in entries:
            if entry.status != status:
                entry.status = status
                entry.save(update_fields=["status", "updated_at"])
                changed += 1
    return changed


@transaction.atomic
def group_set_status(*, groups: Iterable[Group], status: str, actor) -> int:
    """Set the status of groups; meetings keep their own status."""
    return _set_status(groups, status, actor)


@transaction.atomic
def mark_verified(
    *,
    actor,
    meetings: Iterable[Meeting] = (),
    groups: Iterable[Group] = (),
    at: datetime.datetime | None = None,
    include_group_meetings: bool = True,
) -> int:
    """Record that a curator has checked these entries now. Verifying a group verifies its meetings too.

    Returns how many meetings and groups were marked.
    """
    at = at or timezone.now()
    marked = 0
    meeting_list = list(meetings)
    with acting_as(actor):
        for group in groups:
            group.last_verified_at, group.last_verified_by = at, actor
            group.save(update_fields=["last_verified_at", "last_verified_by", "updated_at"])
            marked += 1
            if include_group_meetings:
                meeting_list.extend(group.meetings.exclude(pk__in=[m.pk for m in meeting_list]))
        for meeting in meeting_list:
            meeting.last_verified_at, meeting.last_verified_by = at, actor
            meeting.save(update_fields=["last_verified_at", "last_verified_by", "updated_at"])
            marked += 1
    return marked


@transaction.atomic
def set_status(*, meetings: Iterable[Meeting], status: str, actor) -> int:
    """Mark meetings active, temporarily closed or inactive. Returns how many changed."""
    return _set_status(meetings, status, actor)


@transaction.atomic
def meetings_import(*, plan, actor) -> None:
    """Write a checked import plan (registry.importers.plan): new groups and meetings, changed meetings and their
    types, meetings the source no longer lists made inactive, with bulk statements and the same change history as
    single saves (attributed to `actor` and the source), in one transaction. Bulk statements send no signals, so the
    registry's generation moves here, at once and again on commit, as every other write's does."""
    from registry.importers.apply import write_plan  # the importer package imports this module

    if plan.problems:
        raise ValidationError(_("An import with problems cannot be written."))
    write_plan(plan, actor=actor)
    registry_changed()
