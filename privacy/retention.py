"""Retention: contacts lose their pseudonym and free text after RETENTION_MONTHS; the access log is kept for
ACCESS_LOG_RETENTION_MONTHS and then deleted. Safe to run twice: a second run finds nothing to do.

Report figures must not change when pseudonyms are blanked (the unique-patient denominator would collapse), so
the months concerned are first frozen by `reports.snapshots.freeze_months`, in the same transaction.

The access log keeps each entry's pseudonym for the log's whole life, so the patient's right to see who looked
survives the anonymisation of the record itself; the anonymisation is logged too (action ANONYMISE).
"""

import datetime
from dataclasses import dataclass
from types import SimpleNamespace

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.periods import OSLO
from privacy.models import RetentionRun
from referrals.audit import Action, log_many
from referrals.models import AccessLogEntry, FollowUp, PatientContact
from referrals.signals import contacts_bulk_changed
from reports.snapshots import freeze_months

BATCH_SIZE = 2000


@dataclass(frozen=True)
class Cutoffs:
    contact_month: datetime.date  # contacts in months before this one are anonymised
    access_log: datetime.datetime  # entries before this moment are deleted


def retention_cutoffs(*, now: datetime.datetime | None = None) -> Cutoffs:
    """Whole calendar months for contacts, so reports freeze and lose detail a month at a time.

    A month is anonymised once its first day is more than RETENTION_MONTHS months ago: no contact older than
    the limit keeps its pseudonym, and none is touched more than a month early.
    """
    now = now or timezone.now()
    today = timezone.localtime(now, OSLO).date()
    limit = today - relativedelta(months=settings.RETENTION_MONTHS)
    first_kept = limit.replace(day=1)
    if limit.day > 1:
        first_kept += relativedelta(months=1)
    return Cutoffs(
        contact_month=first_kept,
        access_log=now - relativedelta(months=settings.ACCESS_LOG_RETENTION_MONTHS),
    )


def contacts_due(cutoffs: Cutoffs):
    """Contacts past the limit that still hold a pseudonym or notes (soft-deleted ones included)."""
    return PatientContact.objects.filter(contact_month__lt=cutoffs.contact_month).filter(
        Q(anonymised_at__isnull=True) | ~Q(patient_pseudonym="") | ~Q(notes="")
    )


def follow_ups_due(cutoffs: Cutoffs):
    return FollowUp.objects.filter(contact__contact_month__lt=cutoffs.contact_month).exclude(notes="")


def access_log_due(cutoffs: Cutoffs):
    return AccessLogEntry.objects.filter(at__lt=cutoffs.access_log)


def retention_apply(*, dry_run: bool, run_by: str, now: datetime.datetime | None = None) -> RetentionRun:
    """Apply the retention rules (or, with dry_run, only count what they would do) and record the run."""
    now = now or timezone.now()
    cutoffs = retention_cutoffs(now=now)
    with transaction.atomic():
        contacts = contacts_due(cutoffs)
        follow_ups = follow_ups_due(cutoffs)
        old_entries = access_log_due(cutoffs)
        if dry_run:
            counts = {
                "months_frozen": 0,
                "contacts_anonymised": contacts.count(),
                "follow_ups_cleared": follow_ups.count(),
                "access_log_entries_deleted": old_entries.count(),
            }
        else:
            counts = _apply(cutoffs=cutoffs, contacts=contacts, follow_ups=follow_ups, old_entries=old_entries, now=now)
        run = RetentionRun(
            started_at=now,
            run_by=run_by[:200],
            dry_run=dry_run,
            contact_cutoff=cutoffs.contact_month,
            access_log_cutoff=cutoffs.access_log,
            **counts,
        )
        run.full_clean()
        run.save()
    return run


def _apply(*, cutoffs: Cutoffs, contacts, follow_ups, old_entries, now) -> dict:
    # The old log goes first, so the entries this run writes are never candidates for deletion.
    deleted, _ = old_entries.delete()  # AccessLogEntry.delete() refuses single rows; retention is the exception.
    # Report figures of the months about to lose their pseudonyms are stored first (reports/snapshots.py).
    months_frozen = len(freeze_months(cutoffs.contact_month))
    follow_ups_cleared = follow_ups.update(notes="")
    system = SimpleNamespace(username="apply_retention", pk=None)
    anonymised = 0
    ids = list(contacts.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        batch = PatientContact.objects.filter(pk__in=ids[start : start + BATCH_SIZE])
        log_many(
            user=system,
            action=Action.ANONYMISE,
            contacts=batch.only("pk", "unit_id", "patient_pseudonym"),
            detail="Retention: pseudonym and notes removed",
        )
        anonymised += batch.update(
            patient_pseudonym="",
            notes="",
            anonymised_at=Coalesce(F("anonymised_at"), Value(now)),
            # An edit form opened before the run must not write the old text back.
            version=F("version") + 1,
        )
    # Bulk updates send no post_save: the report and list caches are told once, after the commit.
    transaction.on_commit(lambda: contacts_bulk_changed.send(sender=PatientContact, anonymised=anonymised))
    return {
        "months_frozen": months_frozen,
        "contacts_anonymised": anonymised,
        "follow_ups_cleared": follow_ups_cleared,
        "access_log_entries_deleted": deleted,
    }
