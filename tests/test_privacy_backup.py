"""Backup and restore: a dump of the database brings back every contact, meeting and log entry."""

import os
import shutil
import subprocess
import uuid
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from privacy.models import RetentionRun, SecurityEvent
from privacy.services import two_factor_reset
from referrals.audit import Action, log_many
from referrals.models import AccessLogEntry, FollowUp, PatientContact
from registry.models import Group, Meeting
from tests.factories import FellowshipFactory, FollowUpFactory, MeetingFactory, PatientContactFactory

KEPT_MODELS = [PatientContact, FollowUp, Meeting, Group, AccessLogEntry, SecurityEvent, RetentionRun, LogEntry]


def _rows(model) -> list[dict]:
    rows = model.objects.order_by("pk").values()
    if model is LogEntry:
        # Content types get new ids when the database is rebuilt; natural keys carry them across.
        rows = rows.values(
            *[f.attname for f in model._meta.concrete_fields if f.name != "content_type"],
            "content_type__app_label",
            "content_type__model",
        )
    return list(rows)


def _state() -> dict:
    state = {model._meta.label: _rows(model) for model in KEPT_MODELS}
    for model in (PatientContact, Meeting):
        for field in model._meta.many_to_many:
            # Rows of many-to-many tables are written anew on loading: their own ids mean nothing.
            through = field.remote_field.through
            columns = [f.attname for f in through._meta.concrete_fields if not f.primary_key]
            state[through._meta.label] = sorted(through.objects.values_list(*columns))
    for model in apps.get_app_config("accounts").get_models():
        state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


@pytest.fixture
def demo_data(unit_a, unit_b, clinician_a, clinician_b, lead_a, administrator):
    """Enough of everything to notice a missing row: contacts with fellowships and meetings, follow-ups,
    meetings with their change history, access-log and security-log entries, a retention run."""
    aa, na = FellowshipFactory(code="AA"), FellowshipFactory(code="NA")
    meetings = MeetingFactory.create_batch(12, group__fellowship=aa) + MeetingFactory.create_batch(
        8, group__fellowship=na
    )
    contacts = []
    for index in range(120):
        unit, clinician = (unit_a, clinician_a) if index % 3 else (unit_b, clinician_b)
        contact = PatientContactFactory(unit=unit, clinician=clinician, intensity=index % 5, notes=f"note {index}")
        contact.fellowships.set([aa] if index % 2 else [aa, na])
        contact.suggested_meetings.set(meetings[index % 20 : index % 20 + 2])
        contacts.append(contact)
    FollowUpFactory.create_batch(3, contact=contacts[0])
    for contact in contacts[1:40]:
        FollowUpFactory(contact=contact, notes="follow-up")
    log_many(user=clinician_a, action=Action.LIST, contacts=contacts)
    log_many(user=lead_a, action=Action.VIEW, contacts=contacts[:80])
    two_factor_reset(user=administrator, actor="test")
    call_command("apply_retention", "--dry-run", stdout=StringIO())
    assert LogEntry.objects.filter(object_pk__in=[str(meeting.pk) for meeting in meetings]).exists()


@pytest.fixture
def content_type_cache_cleared():
    """The flush below empties the content types and loaddata makes new ones, which the test's rollback takes away
    again: Django's per-process cache of them must not keep the new ids for the tests after (they wrote history
    entries pointing at content types that no longer exist)."""
    yield
    ContentType.objects.clear_cache()


def test_dumpdata_and_loaddata_bring_back_every_contact_meeting_and_log_entry(
    demo_data, tmp_path, content_type_cache_cleared
):
    before = _state()
    # XML keeps microseconds; the JSON serialiser rounds times to milliseconds.
    dump = tmp_path / "backup.xml"
    call_command(
        "dumpdata",
        "--format=xml",
        "--natural-foreign",
        "--exclude=contenttypes",
        "--exclude=auth.permission",
        "--exclude=sessions",
        "--exclude=axes",
        f"--output={dump}",
        verbosity=0,
    )
    if connection.vendor == "postgresql":
        # Inside the test's transaction, deferred foreign-key checks must run before TRUNCATE may.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", "--no-input", verbosity=0)
    assert not PatientContact.objects.exists() and not AccessLogEntry.objects.exists()
    # Loading writes no meeting-history entries (AUDITLOG_DISABLE_ON_RAW_SAVE): the history compares equal.
    call_command("loaddata", str(dump), verbosity=0)
    after = _state()
    assert after.keys() == before.keys()
    for label in before:
        assert len(after[label]) == len(before[label]), label
        if before[label] and not isinstance(before[label][0], dict):
            assert after[label] == before[label], label
            continue
        for row_before, row_after in zip(before[label], after[label], strict=True):
            differing = {key for key in row_before if row_before[key] != row_after.get(key)}
            assert not differing, (label, {key: (row_before[key], row_after[key]) for key in differing})


POSTGRES = connection.vendor == "postgresql" and shutil.which("pg_dump") and shutil.which("pg_restore")


def _pg_environment(settings_dict) -> tuple[list[str], dict]:
    arguments = ["-h", settings_dict["HOST"] or "localhost", "-U", settings_dict["USER"] or "postgres"]
    if settings_dict.get("PORT"):
        arguments += ["-p", str(settings_dict["PORT"])]
    environment = {**os.environ}
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = settings_dict["PASSWORD"]
    return arguments, environment


def _ids(cursor, table: str) -> list[int]:
    cursor.execute(f'SELECT id FROM "{table}" ORDER BY id')  # noqa: S608 - table names from the models
    return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL and the pg_dump/pg_restore binaries")
# Committed data, so pg_dump (another connection) sees it; tests/conftest.py loads the reference data first.
@pytest.mark.django_db(transaction=True)
def test_pg_dump_and_pg_restore_bring_back_every_contact_meeting_and_log_entry(demo_data, tmp_path):
    import psycopg

    settings_dict = connection.settings_dict
    arguments, environment = _pg_environment(settings_dict)
    dump = tmp_path / "backup.dump"
    subprocess.run(  # noqa: S603
        ["pg_dump", "-Fc", *arguments, "-f", str(dump), settings_dict["NAME"]], check=True, env=environment
    )
    scratch = f"{settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    tables = {model: model._meta.db_table for model in (PatientContact, FollowUp, Meeting, AccessLogEntry)}
    with connection.cursor() as cursor:
        expected = {model: _ids(cursor, table) for model, table in tables.items()}
    admin_connection = psycopg.connect(
        host=settings_dict["HOST"] or "localhost",
        port=settings_dict.get("PORT") or 5432,
        user=settings_dict["USER"],
        password=settings_dict.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    try:
        admin_connection.execute(f'CREATE DATABASE "{scratch}"')
        subprocess.run(  # noqa: S603
            ["pg_restore", "--no-owner", *arguments, "-d", scratch, str(dump)], check=True, env=environment
        )
        with (
            psycopg.connect(
                host=settings_dict["HOST"] or "localhost",
                port=settings_dict.get("PORT") or 5432,
                user=settings_dict["USER"],
                password=settings_dict.get("PASSWORD") or None,
                dbname=scratch,
            ) as restored,
            restored.cursor() as cursor,
        ):
            for model, table in tables.items():
                assert _ids(cursor, table) == expected[model], model.__name__
                assert expected[model]
    finally:
        admin_connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin_connection.close()
