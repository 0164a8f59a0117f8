"""The contact import's COPY path (PostgreSQL): it writes exactly what bulk_create writes, and nothing on a failure.

services.contacts_import writes new contacts, their fellowship links and their access-log entries with COPY on
PostgreSQL (core.bulk_copy) and with bulk_create elsewhere; settings.BULK_COPY = False forces bulk_create on
PostgreSQL, so the two can be compared column by column in the same database.
"""

import datetime
import uuid

import pytest
from django.db import connection, transaction
from django.http import HttpRequest

from core import bulk_copy
from core.periods import OSLO
from referrals import audit, importers
from referrals.models import AccessLogEntry, PatientContact, Reason
from referrals.pseudonyms import pseudonym_for
from referrals.signals import contacts_bulk_changed
from tests.contact_import_helpers import csv_bytes

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
    pytest.mark.usefixtures("frozen_today"),
]

# New contacts with and without fellowships and clinicians, an update of a recorded contact, an unchanged row.
ROWS = [
    "2026-03-01,RUS-POL,EP-1,outpatient,2,AA;NA,positive,klinikera",
    "2026-03-02,RUS-POL,EP-2,detox,,,,",
    "2026-03-03,RUS-POL,EP-3,outpatient,3,NA,undecided,",
    "2026-03-04,RUS-POL,EP-UPDATED,inpatient,3,AA,positive,klinikera",
    "2026-03-05,RUS-POL,EP-5,outpatient,1,AA,declined,klinikera",
    "2026-03-06,RUS-POL,EP-UNCHANGED,outpatient,1,,,",
    "2026-03-07,RUS-POL,EP-7,inpatient,,,,",
    "2026-11-20,RUS-POL,EP-TODAY,detox,4,AA;NA,positive,klinikera",
]


def lead_request() -> HttpRequest:
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "10.1.2.3"
    return request


def columns(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def written(contacts_before: set[int]) -> dict:
    """Every column of the contacts, links and log entries the import wrote or changed, with the new contacts' ids
    replaced by their order (the two runs draw different ids from the same sequence)."""
    contacts = list(PatientContact.objects.order_by("id"))
    order = {
        contact.pk: f"new {index}" for index, contact in enumerate(c for c in contacts if c.pk not in contacts_before)
    }

    def same(pk):
        return order.get(pk, pk)

    rows = [{**columns(contact), "id": same(contact.pk)} for contact in contacts]
    through = PatientContact.fellowships.through
    links = sorted(
        (str(same(contact_id)), fellowship_id)
        for contact_id, fellowship_id in through.objects.values_list("patientcontact_id", "fellowship_id")
    )
    entries = [
        {
            **columns(entry),
            "id": None,
            "contact_id": same(entry.contact_id),
            "object_description": same(entry.contact_id),
        }
        for entry in AccessLogEntry.objects.order_by("id")
    ]
    return {"contacts": rows, "links": links, "log": entries}


def import_and_undo(data: bytes, actor) -> tuple[dict, dict]:
    """apply_import's result and what it wrote; then everything is rolled back."""
    before = set(PatientContact.objects.values_list("pk", flat=True))
    with pytest.raises(RuntimeError), transaction.atomic():
        result = importers.apply_import(data, user=actor, request=lead_request())
        outcome = (vars(result), written(before))
        raise RuntimeError("undo")
    return outcome


def test_copy_writes_every_column_bulk_create_writes(recorded, lead_a, settings, monkeypatch):
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)  # several batches: links and log entries of each
    data = csv_bytes(*ROWS)
    settings.BULK_COPY = False
    by_bulk_create = import_and_undo(data, lead_a)
    settings.BULK_COPY = True
    assert bulk_copy.available()

    by_copy = import_and_undo(data, lead_a)

    assert by_copy == by_bulk_create
    result, rows = by_copy
    assert result == {"created": 6, "updated": 1, "unchanged": 1, "skipped_deleted": 0}
    assert len(rows["contacts"]) == 8 and len(rows["links"]) == 7 and len(rows["log"]) == 7
    new = [values for values in rows["contacts"] if str(values["id"]).startswith("new")]
    assert {values["created_by_id"] for values in new} == {lead_a.pk}
    assert {(values["version"], values["created_at"], values["updated_at"]) for values in new} == {
        (
            1,
            datetime.datetime(2026, 11, 20, 8, 0, tzinfo=datetime.UTC),
            datetime.datetime(2026, 11, 20, 8, 0, tzinfo=datetime.UTC),
        )
    }
    assert {entry["client_address"] for entry in rows["log"]} == {"10.1.2.3"}


def test_copy_keeps_every_kind_of_value_as_bulk_create_does(unit_a, clinician_a, settings):
    """Values the import does not produce yet: JSON lists, flags, a token, text that COPY must escape."""

    def contacts():
        return [
            PatientContact(
                unit=unit_a,
                clinician=clinician_a if index % 2 else None,
                contacted_at=datetime.datetime(2026, 3, 1 + index, 12, tzinfo=OSLO),
                contact_month=datetime.date(2026, 3, 1),
                patient_pseudonym=pseudonym_for(f"EP-{index}"),
                intensity=index % 5 or None,
                reasons=[Reason.RELIGION, Reason.NOT_SUITABLE] if index % 2 else [],
                not_suitable=bool(index % 2),
                precaution_comorbidity=True,
                follow_up_planned_on=datetime.date(2026, 4, 1) if index % 3 else None,
                notes="tab\there, new\nline, back\\slash, «æøå», \\N" if index % 2 else "",
                submission_token=uuid.UUID(int=index) if index % 2 else None,
            )
            for index in range(6)
        ]

    def stored(objects) -> list[dict]:
        rows = PatientContact.objects.filter(pk__in=[contact.pk for contact in objects]).order_by("id").values()
        return [{**row, "id": None} for row in rows]

    by_bulk_create = PatientContact.objects.bulk_create(contacts())
    expected = stored(by_bulk_create)
    PatientContact.objects.filter(pk__in=[contact.pk for contact in by_bulk_create]).delete()
    by_copy = contacts()

    bulk_copy.insert_objects(PatientContact, by_copy)

    assert stored(by_copy) == expected
    assert all(contact.pk and not contact._state.adding for contact in by_copy)


def test_a_failure_in_a_later_batch_leaves_nothing_written(
    recorded, lead_a, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    contacts_before = list(PatientContact.objects.order_by("id").values())
    calls = []

    def log_then_fail(**kwargs):
        calls.append(kwargs["contacts"])
        if len(calls) == 2:  # the second batch: the first one's contacts, links and entries are copied by now
            raise RuntimeError("the database went away")
        original(**kwargs)

    original = audit.log_many
    monkeypatch.setattr(audit, "log_many", log_then_fail)
    seen = []
    contacts_bulk_changed.connect(lambda **kwargs: seen.append(kwargs), weak=False, dispatch_uid="copy-test")

    try:
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            importers.apply_import(csv_bytes(*ROWS), user=lead_a)
    finally:
        contacts_bulk_changed.disconnect(dispatch_uid="copy-test")

    assert len(calls) == 2
    assert list(PatientContact.objects.order_by("id").values()) == contacts_before
    assert not PatientContact.fellowships.through.objects.exists()
    assert not AccessLogEntry.objects.exists()
    assert seen == []


def test_a_bad_row_after_copied_batches_leaves_nothing_written(recorded, lead_a, monkeypatch):
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    contacts_before = list(PatientContact.objects.order_by("id").values())

    with pytest.raises(importers.ImportInvalid):
        importers.apply_import(csv_bytes(*ROWS, "2026-03-11,RUS-POL,EP-11,nowhere,2,,,"), user=lead_a)

    assert list(PatientContact.objects.order_by("id").values()) == contacts_before
    assert not PatientContact.fellowships.through.objects.exists()
    assert not AccessLogEntry.objects.exists()


def test_statistics_just_taken_are_not_stale(db):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE referrals_patientcontact")

    assert bulk_copy.analyze_if_stale(PatientContact) is False


def test_a_file_of_several_batches_refreshes_stale_statistics_before_its_look_ups(recorded, monkeypatch):
    analyzed = []
    monkeypatch.setattr(bulk_copy, "analyze_if_stale", analyzed.append)

    importers.plan_import(csv_bytes(*ROWS))
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    importers.plan_import(csv_bytes(*ROWS))
    importers.apply_import(csv_bytes(*ROWS))

    assert analyzed == [PatientContact, PatientContact]


def planned_rows(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        return cursor.fetchone()[0]


def test_a_large_import_leaves_statistics_that_count_its_contacts(recorded, monkeypatch):
    monkeypatch.setattr(importers, "ANALYZE_AFTER_ROWS", 2)
    importers.apply_import(csv_bytes(*ROWS))

    assert planned_rows(PatientContact) == PatientContact.objects.count() > 0
    assert planned_rows(AccessLogEntry) == AccessLogEntry.objects.count() > 0


def test_a_small_import_leaves_the_statistics_to_autovacuum(recorded, monkeypatch):
    analyzed = []
    monkeypatch.setattr(bulk_copy, "analyze", lambda *models: analyzed.append(models))
    importers.apply_import(csv_bytes(*ROWS))

    assert analyzed == []
