"""Writes of patient contacts and follow-ups: validate, write, audit, in one transaction.

The clinician screens, the CSV import and any admin action call these functions, so every
rule (national identity numbers refused, consistent intensity, no lost updates) holds everywhere.

Contact data is a plain mapping with these keys (all optional on update, where a missing key
keeps the stored value):

    patient_reference   the clinic's own patient or episode number as typed; hashed here
    contacted_at        aware datetime (see `contact_time_for_date` for date-only input)
    clinician           accounts.User or None
    setting, main_substance, prior_twelve_step, response   choice values
    intensity           0–4 or None (not recorded)
    fellowships         iterable of registry.Fellowship
    suggested_meetings  iterable of registry.Meeting
    reasons             list of Reason values
    precaution_comorbidity, precaution_opioid_maintenance, volunteer_contact_arranged   bool
    follow_up_planned_on  date or None
    notes               free text, never names or identity numbers
"""

from __future__ import annotations

import copy
import datetime
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import led_units, patient_units
from accounts.models import Unit, User
from core import bulk_copy
from core.national_id import FREE_TEXT_MESSAGE, contains_national_id
from core.periods import OSLO, month_start
from referrals import audit
from referrals.models import FollowUp, Intensity, PatientContact, Reason
from referrals.pseudonyms import pseudonym_for
from referrals.signals import contacts_bulk_changed
from registry.models import Fellowship, Meeting

CONTACT_FIELDS = (
    "contacted_at",
    "clinician",
    "setting",
    "main_substance",
    "prior_twelve_step",
    "intensity",
    "response",
    "reasons",
    "precaution_comorbidity",
    "precaution_opioid_maintenance",
    "volunteer_contact_arranged",
    "follow_up_planned_on",
    "notes",
)
CONTACT_RELATIONS = ("fellowships", "suggested_meetings")
CONTACT_KEYS = frozenset(CONTACT_FIELDS + CONTACT_RELATIONS + ("patient_reference",))

FOLLOW_UP_FIELDS = (
    "followed_up_on",
    "attended",
    "meetings_last_30_days",
    "has_sponsor",
    "did_service",
    "reads_literature",
    "sees_self_as_member",
    "closure_reason",
    "notes",
)

# The one-page patient handout (referrals.handout) has room for this many meetings.
MAX_SUGGESTED_MEETINGS = 4

# A clock a little ahead on a clinician's PC must not refuse a contact recorded "now".
FUTURE_TOLERANCE = datetime.timedelta(hours=1)
EARLIEST_CONTACT = datetime.datetime(2000, 1, 1, tzinfo=OSLO)
# The code of the error "a response means self-help was discussed", so that an importer can say where the response
# comes from when its row has none.
RESPONSE_NEEDS_INTENSITY = "response_needs_intensity"


class ContactConflict(Exception):
    """Someone else saved the contact after this user opened it; `current` is what is stored now."""

    def __init__(self, current: PatientContact):
        super().__init__("The contact was changed by someone else.")
        self.current = current


class FollowUpConflict(Exception):
    """Someone else saved the follow-up after this user opened it; `current` is what is stored now."""

    def __init__(self, current: FollowUp):
        super().__init__("The follow-up was changed by someone else.")
        self.current = current


@dataclass(frozen=True)
class ValidContact:
    """A contact with the new values applied in memory (not saved) and its relations; None = unchanged."""

    contact: PatientContact
    fellowships: list[Fellowship] | None
    suggested_meetings: list[Meeting] | None


def contact_time_for_date(day: datetime.date, *, now: datetime.datetime | None = None) -> datetime.datetime:
    """The stored contact time for a date typed without a time: now if it is today, else noon in Oslo."""
    now = now or timezone.now()
    if timezone.localtime(now, OSLO).date() == day:
        return now
    return datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=OSLO)


def too_many_meetings_message(meetings: Iterable[Any], *, contact: PatientContact | None = None) -> str | None:
    """Why this choice of meetings is refused, or None. `meetings` are Meeting objects or ids.

    A contact stored with more meetings before the limit existed may keep exactly those.
    """
    chosen = {getattr(meeting, "pk", meeting) for meeting in meetings}
    if len(chosen) <= MAX_SUGGESTED_MEETINGS:
        return None
    if contact is not None and contact.pk and chosen == set(contact.suggested_meetings.values_list("pk", flat=True)):
        return None
    return _("Choose at most %(limit)d meetings (you chose %(count)d): the patient handout has room for %(limit)d.") % {
        "limit": MAX_SUGGESTED_MEETINGS,
        "count": len(chosen),
    }


def clinician_may_record_in(clinician: User, unit: Unit) -> bool:
    return patient_units(clinician).filter(pk=unit.pk).exists()


def _check_contact_date(instance: PatientContact, add) -> datetime.datetime | None:
    """The contact's moment, or None if it is missing; sets its month."""
    contacted_at = instance.contacted_at
    if not isinstance(contacted_at, datetime.datetime) or timezone.is_naive(contacted_at):
        add("contacted_at", _("Enter the date of the contact."))
        return None
    if contacted_at > timezone.now() + FUTURE_TOLERANCE:
        add("contacted_at", _("The contact date cannot be in the future."))
    if contacted_at < EARLIEST_CONTACT:
        add("contacted_at", _("The contact date is implausibly early."))
    instance.contact_month = month_start(contacted_at)
    return contacted_at


def _check_answers_agree(instance: PatientContact, *, fellowships, meetings, add) -> None:
    """The intensity scale says what happened; the other answers must not contradict it."""
    discussed = instance.intensity is not None and instance.intensity >= Intensity.INFORMATION
    has_fellowships = fellowships if fellowships is not None else (instance.pk and instance.fellowships.exists())
    has_meetings = meetings if meetings is not None else (instance.pk and instance.suggested_meetings.exists())
    if not discussed:
        if has_fellowships or has_meetings:
            add(
                "intensity",
                _("Fellowships or meetings were suggested, so self-help was discussed: choose intensity 1 or higher."),
            )
        if instance.response:
            add(
                "intensity",
                _("The patient responded, so self-help was discussed: choose intensity 1 or higher."),
                code=RESPONSE_NEEDS_INTENSITY,
            )
    if instance.volunteer_contact_arranged and (instance.intensity or 0) < Intensity.VOLUNTEER_CONTACT:
        add("volunteer_contact_arranged", _("Arranging contact with a volunteer is intensity 3 or higher."))


def _check_follow_up_plan(instance: PatientContact, contacted_at: datetime.datetime | None, add) -> None:
    planned = instance.follow_up_planned_on
    if planned is None or contacted_at is None:
        return
    contact_day = timezone.localtime(contacted_at, OSLO).date()
    if planned < contact_day:
        add("follow_up_planned_on", _("The follow-up cannot be planned before the contact."))
    elif planned > contact_day + datetime.timedelta(days=731):
        add("follow_up_planned_on", _("Plan the follow-up within two years of the contact."))


def validate_contact_data(
    *, unit: Unit, data: Mapping[str, Any], contact: PatientContact | None = None
) -> ValidContact:
    """Apply `data` to a copy of `contact` (or a new contact in `unit`) and validate everything.

    Raises ValidationError with a message per field key; writes nothing. A bulk import calls this
    for every row first and then `contact_create`/`contact_update` inside one transaction.
    """
    unknown = set(data) - CONTACT_KEYS
    if unknown:
        raise TypeError(f"Unknown contact fields: {', '.join(sorted(unknown))}")

    creating = contact is None
    instance = PatientContact(unit=unit) if creating else copy.copy(contact)
    if not creating and instance.unit_id != unit.pk:
        raise TypeError("A contact cannot be moved to another unit.")
    if creating and "setting" not in data and unit.setting:
        instance.setting = unit.setting
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str | None = None) -> None:
        errors.setdefault(field, []).append(ValidationError(str(message), code=code))

    reference = data.get("patient_reference") or ""
    if reference or creating:
        try:
            instance.patient_pseudonym = pseudonym_for(reference)
        except ValidationError as error:
            for message in error.messages:
                add("patient_reference", message)

    for field in CONTACT_FIELDS:
        if field in data:
            setattr(instance, field, data[field])
    if instance.reasons is None:
        instance.reasons = []
    instance.reasons = list(instance.reasons)
    if instance.notes is None:
        instance.notes = ""

    fellowships = list(data["fellowships"]) if "fellowships" in data else None
    meetings = list(data["suggested_meetings"]) if "suggested_meetings" in data else None

    if meetings is not None:
        message = too_many_meetings_message(meetings, contact=contact)
        if message:
            add("suggested_meetings", message)

    contacted_at = _check_contact_date(instance, add)
    instance.not_suitable = Reason.NOT_SUITABLE in instance.reasons
    if instance.clinician_id and "clinician" in data and not clinician_may_record_in(instance.clinician, unit):
        add("clinician", _("This clinician does not work in the unit."))
    _check_answers_agree(instance, fellowships=fellowships, meetings=meetings, add=add)
    _check_follow_up_plan(instance, contacted_at, add)

    try:
        instance.full_clean(exclude=["submission_token", "unit", "clinician", *errors])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                add(field, message)
    if errors:
        raise ValidationError(errors)
    return ValidContact(contact=instance, fellowships=fellowships, suggested_meetings=meetings)


def _on_behalf_detail(*, actor: User, clinician: User | None, unit: Unit) -> str:
    """The access log's note for a contact recorded in a colleague's name ("" for one's own).

    Only a lead of the unit may record for someone else (validate_contact_data checks that the clinician works there).
    """
    if clinician is None or clinician.pk == actor.pk:
        return ""
    if not led_units(actor).filter(pk=unit.pk).exists():
        raise ValidationError({"clinician": [_("Only a unit lead can record a contact for a colleague.")]})
    return f"on behalf of {clinician.username}"


def _same_submitter(contact: PatientContact, *, unit: Unit, actor: User) -> None:
    if contact.unit_id != unit.pk or contact.created_by_id != actor.pk:
        raise ValidationError(_("This form was already used. Reload the page and try again."))


@transaction.atomic
def contact_create(
    *,
    unit: Unit,
    data: Mapping[str, Any],
    actor: User,
    submission_token: uuid.UUID | None = None,
    request=None,
) -> tuple[PatientContact, bool]:
    """Record a contact. Returns (contact, created).

    A form carries a submission token; submitting the same form twice returns the first contact
    with created=False instead of recording the patient twice.
    """
    if submission_token is not None:
        existing = PatientContact.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            _same_submitter(existing, unit=unit, actor=actor)
            return existing, False

    valid = validate_contact_data(unit=unit, data=data)
    contact = valid.contact
    on_behalf = _on_behalf_detail(actor=actor, clinician=contact.clinician, unit=unit)
    contact.submission_token = submission_token
    contact.created_by = actor if actor.pk else None
    try:
        # A savepoint, so that a simultaneous double submit turns into "return the first one".
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        existing = PatientContact.objects.filter(submission_token=submission_token).first()
        if submission_token is None or existing is None:
            raise
        _same_submitter(existing, unit=unit, actor=actor)
        return existing, False
    if valid.fellowships:
        contact.fellowships.set(valid.fellowships)
    if valid.suggested_meetings:
        contact.suggested_meetings.set(valid.suggested_meetings)
    audit.log_access(user=actor, action=audit.Action.CREATE, request=request, contact=contact, detail=on_behalf)
    return contact, True


def _changed_fields(before: PatientContact, after: ValidContact) -> list[str]:
    changed = [field for field in CONTACT_FIELDS if getattr(before, field) != getattr(after.contact, field)]
    if before.patient_pseudonym != after.contact.patient_pseudonym:
        changed.insert(0, "patient")
    if after.fellowships is not None and {f.pk for f in after.fellowships} != {f.pk for f in before.fellowships.all()}:
        changed.append("fellowships")
    if after.suggested_meetings is not None and {m.pk for m in after.suggested_meetings} != {
        m.pk for m in before.suggested_meetings.all()
    }:
        changed.append("suggested_meetings")
    return changed


@transaction.atomic
def contact_update(
    *,
    contact: PatientContact,
    data: Mapping[str, Any],
    actor: User,
    expected_version: int,
    request=None,
) -> PatientContact:
    """Change a contact the user opened at `expected_version`.

    If someone saved it in between, nothing is written and ContactConflict carries the stored
    version, so the user can compare and decide.
    """
    current = PatientContact.objects.select_for_update().get(pk=contact.pk)
    if current.deleted_at is not None:
        raise ValidationError(_("This contact has been deleted."))
    if current.version != expected_version:
        raise ContactConflict(current)

    valid = validate_contact_data(unit=current.unit, data=data, contact=current)
    changed = _changed_fields(current, valid)
    updated = valid.contact
    if not changed:
        return current
    if "clinician" in changed:
        _on_behalf_detail(actor=actor, clinician=updated.clinician, unit=current.unit)
    updated.version = current.version + 1
    updated.updated_by = actor if actor.pk else None
    updated.save()
    if valid.fellowships is not None:
        updated.fellowships.set(valid.fellowships)
    if valid.suggested_meetings is not None:
        updated.suggested_meetings.set(valid.suggested_meetings)
    # Field names only: the log says what kind of change, never the patient's values.
    audit.log_access(
        user=actor,
        action=audit.Action.UPDATE,
        request=request,
        contact=updated,
        detail="changed: " + ", ".join(changed),
    )
    return updated


@transaction.atomic
def contact_soft_delete(*, contact: PatientContact, actor: User, reason: str, request=None) -> PatientContact:
    """Hide a contact from every screen and report; it stays in the database with who, when and why."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError({"reason": [_("Say why the contact is deleted.")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    if contains_national_id(reason):
        # Never written anywhere: not on the contact, and above all not into the append-only access log.
        raise ValidationError({"reason": [str(FREE_TEXT_MESSAGE)]})
    current = PatientContact.objects.select_for_update().get(pk=contact.pk)
    if current.deleted_at is not None:
        raise ValidationError(_("This contact has already been deleted."))
    current.deleted_at = timezone.now()
    current.deleted_by = actor if actor.pk else None
    current.deletion_reason = reason
    current.version += 1
    current.save(update_fields=["deleted_at", "deleted_by", "deletion_reason", "version", "updated_at"])
    audit.log_access(user=actor, action=audit.Action.DELETE, request=request, contact=current, detail=reason)
    return current


def _apply_follow_up(follow_up: FollowUp, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(FOLLOW_UP_FIELDS)
    if unknown:
        raise TypeError(f"Unknown follow-up fields: {', '.join(sorted(unknown))}")
    for field, value in data.items():
        setattr(follow_up, field, value)
    if follow_up.notes is None:
        follow_up.notes = ""

    errors: dict[str, list[str]] = {}
    contact = follow_up.contact
    if contact.deleted_at is not None:
        raise ValidationError(_("This contact has been deleted."))
    day = follow_up.followed_up_on
    if isinstance(day, datetime.date):
        if day < timezone.localtime(contact.contacted_at, OSLO).date():
            errors.setdefault("followed_up_on", []).append(_("The follow-up cannot be before the contact."))
        if day > timezone.localdate(timezone=OSLO):
            errors.setdefault("followed_up_on", []).append(_("The follow-up date cannot be in the future."))
    if follow_up.attended == "no" and (follow_up.meetings_last_30_days or 0) > 0:
        errors.setdefault("meetings_last_30_days", []).append(
            _("The patient attended no meeting, so there can be no meetings in the last 30 days.")
        )
    try:
        follow_up.full_clean(exclude=["submission_token", "contact", "clinician", *errors])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def follow_up_create(
    *,
    contact: PatientContact,
    data: Mapping[str, Any],
    actor: User,
    submission_token: uuid.UUID | None = None,
    request=None,
) -> tuple[FollowUp, bool]:
    """Record what happened after a referral. Returns (follow_up, created); a resubmitted form creates one."""
    if submission_token is not None:
        existing = FollowUp.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            if existing.contact_id != contact.pk:
                raise ValidationError(_("This form was already used. Reload the page and try again."))
            return existing, False
    follow_up = FollowUp(contact=contact, clinician=actor if actor.pk else None, submission_token=submission_token)
    _apply_follow_up(follow_up, data)
    try:
        with transaction.atomic():
            follow_up.save()
    except IntegrityError:
        existing = FollowUp.objects.filter(submission_token=submission_token).first()
        if submission_token is None or existing is None or existing.contact_id != contact.pk:
            raise
        return existing, False
    audit.log_access(
        user=actor, action=audit.Action.CREATE, request=request, contact=contact, detail=f"follow-up #{follow_up.pk}"
    )
    return follow_up, True


@transaction.atomic
def follow_up_update(
    *, follow_up: FollowUp, data: Mapping[str, Any], actor: User, expected_version: int, request=None
) -> FollowUp:
    """Change a follow-up the user opened at `expected_version`.

    If someone saved it in between, nothing is written and FollowUpConflict carries the stored
    version, so the user can compare and decide (as contact_update does for contacts).
    """
    current = FollowUp.objects.select_for_update().select_related("contact__unit").get(pk=follow_up.pk)
    if current.version != expected_version:
        raise FollowUpConflict(current)
    before = {field: getattr(current, field) for field in FOLLOW_UP_FIELDS}
    _apply_follow_up(current, data)
    if all(getattr(current, field) == value for field, value in before.items()):
        return current
    current.version += 1
    current.updated_by, current.updated_at = (actor if actor.pk else None), timezone.now()
    current.save()
    audit.log_access(
        user=actor,
        action=audit.Action.UPDATE,
        request=request,
        contact=current.contact,
        detail=f"follow-up #{current.pk}",
    )
    return current


# Bulk writes of the import, in batches: fewer round trips, and under SQLite's variable limit.
IMPORT_BATCH = 900


@dataclass
class ContactImportBatch:
    """A slice of an import file that the importer validated with `validate_contact_data`.

    `to_update` are stored contacts with their new values applied in memory; `fellowship_ids` maps the position of a
    contact in `to_create + to_update` to its new set of fellowships (absent: unchanged).
    """

    to_create: list[PatientContact]
    to_update: list[PatientContact]
    fellowship_ids: dict[int, set[int]]


def contacts_import(
    *, batches: Iterable[ContactImportBatch], actor: User | None, detail: str, request=None
) -> tuple[int, int]:
    """Write the batches of an import in bulk, one after the other as they come, in one transaction.

    The batches may come from a generator that checks the file as it goes: only one is held at a time. One IMPORT
    access-log entry per written contact. On PostgreSQL the new contacts, their fellowship links and the log entries
    go in with COPY (core.bulk_copy), which writes the same rows as bulk_create in a fraction of its time. Bulk writes
    send no post_save, so after the commit `contacts_bulk_changed` tells the caches (reports) once. Returns the
    numbers of created and updated contacts.
    """
    created = updated = 0
    use_copy = bulk_copy.available()
    with transaction.atomic():
        for batch in batches:
            _import_batch(batch, actor=actor, detail=detail, request=request, use_copy=use_copy)
            created += len(batch.to_create)
            updated += len(batch.to_update)
        if created or updated:
            counts = {"created": created, "updated": updated}
            transaction.on_commit(lambda: contacts_bulk_changed.send(sender=PatientContact, **counts))
    return created, updated


def _import_batch(batch: ContactImportBatch, *, actor: User | None, detail: str, request, use_copy: bool) -> None:
    if use_copy:
        bulk_copy.insert_objects(PatientContact, batch.to_create)
        created = batch.to_create
    else:
        created = PatientContact.objects.bulk_create(batch.to_create, batch_size=IMPORT_BATCH)
    _update_in_groups(batch.to_update, actor=actor)
    written = [*created, *batch.to_update]
    through = PatientContact.fellowships.through
    replaced = [written[index].pk for index in batch.fellowship_ids if index >= len(created)]
    for offset in range(0, len(replaced), IMPORT_BATCH):
        through.objects.filter(patientcontact_id__in=replaced[offset : offset + IMPORT_BATCH]).delete()
    links = [
        (written[index].pk, fellowship_id)
        for index, ids in batch.fellowship_ids.items()
        for fellowship_id in sorted(ids)
    ]
    if use_copy and links:
        bulk_copy.copy_rows(through, links, columns=("patientcontact_id", "fellowship_id"))
    elif links:
        through.objects.bulk_create(
            [through(patientcontact_id=contact_id, fellowship_id=fellowship_id) for contact_id, fellowship_id in links],
            batch_size=IMPORT_BATCH * 5,
        )
    for contacts, what in ((created, "created"), (batch.to_update, "updated")):
        if contacts:
            audit.log_many(
                user=actor,
                action=audit.Action.IMPORT,
                contacts=contacts,
                request=request,
                detail=f"{detail}: {what}",
                copy=use_copy,
            )


def _update_in_groups(contacts: list[PatientContact], *, actor: User | None) -> None:
    """One UPDATE per distinct set of new values: an extract has few, and bulk_update's CASE is slow on SQLite."""
    groups: dict[tuple, list[int]] = {}
    for contact in contacts:
        groups.setdefault((contact.setting, contact.intensity, contact.response, contact.clinician_id), []).append(
            contact.pk
        )
    now = timezone.now()
    for (setting, intensity, response, clinician_id), ids in groups.items():
        for offset in range(0, len(ids), IMPORT_BATCH):
            PatientContact.objects.filter(pk__in=ids[offset : offset + IMPORT_BATCH]).update(
                setting=setting,
                intensity=intensity,
                response=response,
                clinician_id=clinician_id,
                version=F("version") + 1,
                updated_at=now,
                updated_by=actor if actor is not None and actor.pk else None,
            )
