"""referrals.importers in batches: a file checked and written a few rows at a time does what one batch would do.

BATCH_ROWS is made tiny here so that a short file spans several batches: the import must give the same contacts,
counts and access log whatever the batch size, and a bad row in any batch must leave nothing written.
"""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from referrals import importers
from referrals.models import AccessLogEntry, PatientContact
from referrals.signals import contacts_bulk_changed
from tests.contact_import_helpers import csv_bytes

# Ten rows: new contacts with and without fellowships and clinicians, an update, an unchanged row.
ROWS = [
    "2026-03-01,RUS-POL,EP-1,outpatient,2,AA;NA,positive,klinikera",
    "2026-03-02,RUS-POL,EP-2,detox,,,,",
    "2026-03-03,RUS-POL,EP-3,outpatient,3,NA,undecided,",
    "2026-03-04,RUS-POL,EP-UPDATED,inpatient,3,AA,positive,klinikera",
    "2026-03-05,RUS-POL,EP-5,outpatient,1,AA,declined,klinikera",
    "2026-03-06,RUS-POL,EP-UNCHANGED,outpatient,1,,,",
    "2026-03-07,RUS-POL,EP-7,inpatient,,,,",
    "2026-03-08,RUS-POL,EP-8,outpatient,2,NA,positive,",
    "2026-03-09,RUS-POL,EP-9,detox,4,AA;NA,positive,klinikera",
    "2026-03-10,RUS-POL,EP-10,outpatient,,,,",
]

pytestmark = pytest.mark.usefixtures("frozen_today")


def snapshot() -> list[tuple]:
    """Every contact as the import leaves it, in an order that does not depend on the ids."""
    contacts = PatientContact.objects.prefetch_related("fellowships").order_by("contacted_at")
    return [
        (
            contact.patient_pseudonym,
            contact.contacted_at,
            contact.contact_month,
            contact.setting,
            contact.intensity,
            contact.response,
            contact.clinician_id,
            contact.version,
            sorted(fellowship.code for fellowship in contact.fellowships.all()),
        )
        for contact in contacts
    ]


def test_a_file_over_several_batches_gives_the_contacts_one_batch_gives(recorded, monkeypatch):
    data = csv_bytes(*ROWS)
    results = []
    for batch_rows in (importers.BATCH_ROWS, 3):
        monkeypatch.setattr(importers, "BATCH_ROWS", batch_rows)
        with pytest.raises(RuntimeError):  # undo the import, to run it again with the other batch size
            with transaction.atomic():
                result = importers.apply_import(data)
                results.append((vars(result), snapshot(), AccessLogEntry.objects.count()))
                raise RuntimeError

    assert results[0] == results[1]
    counts, contacts, log_entries = results[1]
    assert counts == {"created": 8, "updated": 1, "unchanged": 1, "skipped_deleted": 0}
    assert len(contacts) == 10 and log_entries == 9


@pytest.mark.parametrize("batch_rows", [3, 4, 2000])
def test_the_preview_counts_the_same_whatever_the_batch_size(recorded, monkeypatch, batch_rows):
    monkeypatch.setattr(importers, "BATCH_ROWS", batch_rows)

    plan = importers.plan_import(csv_bytes(*ROWS))

    assert plan.counts == {"rows": 10, "created": 8, "updated": 1, "unchanged": 1, "skipped_deleted": 0, "invalid": 0}


def test_a_bad_row_in_the_last_batch_leaves_nothing_written(recorded, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    before = snapshot()
    bad = "2026-03-11,RUS-POL,EP-11,nowhere,2,,,"
    seen = []
    contacts_bulk_changed.connect(lambda **kwargs: seen.append(kwargs), weak=False, dispatch_uid="batches-test")

    try:
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(importers.ImportInvalid) as refused:
            importers.apply_import(csv_bytes(*ROWS, bad))
    finally:
        contacts_bulk_changed.disconnect(dispatch_uid="batches-test")

    assert [error.line for error in refused.value.plan.errors] == [12]
    assert snapshot() == before
    assert AccessLogEntry.objects.count() == 0
    assert seen == []


def test_a_duplicate_in_a_later_batch_is_reported_and_nothing_is_written(recorded, monkeypatch):
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    before = snapshot()

    with pytest.raises(importers.ImportInvalid) as refused:
        importers.apply_import(csv_bytes(*ROWS, "2026-03-02,RUS-POL,EP-2,detox,,,,"))

    errors = [(error.line, error.reasons) for error in refused.value.plan.errors]
    assert errors == [(12, ["same unit, patient and date as line 3"])]
    assert snapshot() == before


def test_every_bad_row_is_reported_across_batches(recorded, monkeypatch):
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    rows = list(ROWS)
    rows[1] = "2026-03-02,RUS-POL,EP-2,nowhere,,,,"
    rows[8] = "2026-03-09,RUS-POL,EP-9,detox,9,,,"

    with pytest.raises(importers.ImportInvalid) as refused:
        importers.apply_import(csv_bytes(*rows))

    assert [error.line for error in refused.value.plan.errors] == [3, 10]
    assert PatientContact.objects.count() == 2


def test_caches_hear_of_a_batched_import_once_with_its_totals(
    recorded, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    seen = []
    contacts_bulk_changed.connect(lambda **kwargs: seen.append(kwargs), weak=False, dispatch_uid="batches-test")

    try:
        with django_capture_on_commit_callbacks(execute=True):
            importers.apply_import(csv_bytes(*ROWS))
    finally:
        contacts_bulk_changed.disconnect(dispatch_uid="batches-test")

    assert [(kwargs["created"], kwargs["updated"]) for kwargs in seen] == [(8, 1)]


def checking_threads() -> list:
    return [thread for thread in threading.enumerate() if thread.name == "contact-import-check"]


def test_rows_checked_in_the_thread_are_reported_in_the_callers_language(recorded, monkeypatch):
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    rows = list(ROWS)
    rows[7] = "2026-03-08,RUS-POL,EP-8,nowhere,2,NA,positive,"

    with translation.override("nb"):
        plan = importers.plan_import(csv_bytes(*rows))

    assert [(error.line, error.reasons) for error in plan.errors] == [
        (9, ["behandlingsform “nowhere” er ikke en av outpatient, inpatient, detox"])
    ]


def test_a_failure_while_checking_reaches_the_caller_and_nothing_is_written(recorded, monkeypatch):
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    before = snapshot()
    check = importers._RowChecker.check

    def fail_on_ep_8(self, record):
        if record["patient_ref"] == "EP-8":
            raise LookupError("checking failed")
        return check(self, record)

    monkeypatch.setattr(importers._RowChecker, "check", fail_on_ep_8)

    with pytest.raises(LookupError, match="checking failed"):
        importers.apply_import(csv_bytes(*ROWS))

    assert snapshot() == before
    assert AccessLogEntry.objects.count() == 0
    assert checking_threads() == []


def test_the_checking_thread_ends_when_the_import_stops_early(recorded, monkeypatch):
    monkeypatch.setattr(importers, "BATCH_ROWS", 1)
    monkeypatch.setattr(importers, "CHECKED_AHEAD", 1)  # the thread waits to hand over its next batch
    plan_batch = importers._Planner.plan_batch

    def fail_on_the_second_batch(self, rows, plan):
        if rows[0].line == 3:
            raise RuntimeError("database gone")
        return plan_batch(self, rows, plan)

    monkeypatch.setattr(importers._Planner, "plan_batch", fail_on_the_second_batch)

    with pytest.raises(RuntimeError, match="database gone"):
        importers.apply_import(csv_bytes(*ROWS))

    assert checking_threads() == []
    assert PatientContact.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite checks foreign keys at the commit only")
def test_a_broken_reference_in_an_early_batch_stops_the_import_before_the_commit(recorded, monkeypatch):
    # The import's references are checked batch by batch beside the planning (core.bulk_copy.ChecksAside), not only
    # at the commit (which a test's transaction never reaches); the error is Django's, and nothing stays written.
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    new_contact = importers.PlannedContact.new_contact

    def with_a_missing_clinician(planned, created_by_id):
        contact = new_contact(planned, created_by_id)
        if planned.line == 2:
            contact.clinician_id = 987654
        return contact

    monkeypatch.setattr(importers.PlannedContact, "new_contact", with_a_missing_clinician)
    before = snapshot()

    with pytest.raises(IntegrityError, match="clinician_id"):
        importers.apply_import(csv_bytes(*ROWS))

    assert snapshot() == before
    assert not AccessLogEntry.objects.exists()
