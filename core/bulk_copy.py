"""Inserts of tens of thousands of rows with PostgreSQL's COPY, for imports.

bulk_create asks every field of every object for its database value (pre_save, get_db_prep_save) and sends the rows
as one huge INSERT: for the 100,000 contacts of a large import, with their fellowship links and access-log entries,
that was most of the import's time. COPY takes plain Python values, which psycopg adapts in C. Here a row gives only
the values that differ from row to row; every other column is worked out once per call (a default, or one time for
auto_now and default=timezone.now columns), and JSON is encoded here. COPY goes through the connection Django holds,
so it is part of the caller's transaction.

PostgreSQL only: callers keep Django's bulk_create elsewhere (SQLite in development), and `available()` says which.
The setting BULK_COPY = False makes it say no on PostgreSQL as well, so that tests can compare the two.

A large import also leaves the planner's statistics behind: with none for the new rows, PostgreSQL takes a list of
900 pseudonyms to match nearly every row and scans whole units instead of the pseudonym index, so that each look-up
of existing contacts grows with the table (19 s for an import at 300,000 contacts). Autovacuum catches up within
minutes when it is on; `analyze_if_stale` does it at once, before an import looks anything up.

The registry's importers write rows given as dicts (`insert_rows`) and update stored rows in bulk (`update_rows`,
one UPDATE … FROM unnest() per few thousand rows, where bulk_update would build a CASE per field and row); both use
Django's bulk methods off PostgreSQL, so behaviour is the same on both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone


def available() -> bool:
    """Whether bulk writes should use COPY: on PostgreSQL, unless settings.BULK_COPY is False."""
    return connection.vendor == "postgresql" and getattr(settings, "BULK_COPY", True)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys from the table's own sequence, ascending, for rows that COPY writes with their ids."""
    if count == 0:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return sorted(value for (value,) in cursor.fetchall())


def _database_json(field: models.Field, value: Any) -> Any:
    return value if value is None else json.dumps(value, cls=field.encoder)


def _fixed_value(field: models.Field, now) -> Any:
    """What bulk_create would write in a column the rows do not give."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.default is timezone.now:
        return now
    value = field.get_default()
    return _database_json(field, value) if isinstance(field, models.JSONField) else value


def copy_rows(
    model: type[models.Model],
    rows: Iterable[Sequence[Any]],
    *,
    columns: Sequence[str],
    constants: Mapping[str, Any] | None = None,
) -> int:
    """COPY `rows` into the model's table; the number of rows written.

    Each row gives the values of `columns` (attnames), in that order, as Python values (a JSON column: the Python
    value, encoded here). `constants` (attname: value) are the same for every row. Every other column gets what
    bulk_create would give it: its default, or one time for the whole call where that would be now; an automatic
    primary key is left to its sequence.
    """
    meta = model._meta
    constants = dict(constants or {})
    for name, value in constants.items():
        field = meta.get_field(name)
        if isinstance(field, models.JSONField):
            constants[name] = _database_json(field, value)
    now = timezone.now()
    for field in meta.concrete_fields:
        given = field.attname in columns or field.attname in constants
        if not given and not isinstance(field, AutoFieldMixin):
            constants[field.attname] = _fixed_value(field, now)
    fields = [meta.get_field(name) for name in columns]
    json_positions = [index for index, field in enumerate(fields) if isinstance(field, models.JSONField)]
    names = [*(field.column for field in fields), *(meta.get_field(name).column for name in constants)]
    fixed = tuple(constants.values())
    quote = connection.ops.quote_name
    sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(name) for name in names)}) FROM STDIN"
    written = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            if json_positions:
                row = list(row)
                for index in json_positions:
                    row[index] = _database_json(fields[index], row[index])
            copy.write_row((*row, *fixed))
            written += 1
    return written


def insert_objects(model: type[models.Model], objects: list[models.Model]) -> None:
    """INSERT unsaved instances of `model` as bulk_create would, with COPY: every column as the instance holds it,
    auto_now and auto_now_add fields one time for all. The instances get their new primary keys and times."""
    if not objects:
        return
    meta = model._meta
    stamped = [
        field.attname
        for field in meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    columns = [field.attname for field in meta.concrete_fields]
    now = timezone.now()
    for instance, primary_key in zip(objects, reserve_ids(model, len(objects)), strict=True):
        instance.pk = primary_key
        for name in stamped:
            setattr(instance, name, now)
        instance._state.adding = False
        instance._state.db = connection.alias
    copy_rows(model, map(attrgetter(*columns), objects), columns=columns)


# As autovacuum's rule (autovacuum_analyze_threshold, _scale_factor), with a floor that tests' tables never reach.
STALE_ROWS = 1000
STALE_FRACTION = 0.1


def analyze_if_stale(model: type[models.Model]) -> bool:
    """ANALYZE the model's table when more of it has changed since its statistics were taken than autovacuum would
    allow; whether it did. A no-op off PostgreSQL."""
    if connection.vendor != "postgresql":
        return False
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.n_mod_since_analyze > %s + %s * greatest(c.reltuples, 0)"
            " FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relid = %s::regclass",
            [STALE_ROWS, STALE_FRACTION, table],
        )
        found = cursor.fetchone()
        if not found or not found[0]:
            return False
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True


def analyze(*models: type[models.Model]) -> None:
    """ANALYZE the models' tables now, inside the writing transaction (which counts its own new rows); a no-op off
    PostgreSQL. For a writer that has just changed many rows: `analyze_if_stale` cannot tell, as the activity
    counters it reads include a transaction's writes only once it has committed."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


class ChecksAside:
    """The deferred constraint checks of the rows written so far, run by PostgreSQL while the caller goes on in Python.

    Django's foreign keys are checked at the commit, one query per reference (about 750,000 for a 100,000-row contact
    import, 4-5 s of PostgreSQL's CPU), while the importer's Python has nothing left to do. `start()` has them run now,
    in a thread of its own that waits for PostgreSQL (`SET CONSTRAINTS ALL IMMEDIATE`, then `DEFERRED` again, as
    Django's own check_constraints does), so that the caller can plan its next batch meanwhile; `wait()` waits for
    them and raises what they raised. The same checks, no fewer, on the same transaction: psycopg lets one statement
    at a time use the connection, so a query the caller sends meanwhile waits its turn. A no-op off PostgreSQL. Use it
    as a context manager, so that nothing is left running when the transaction ends.
    """

    def __init__(self):
        self._executor: ThreadPoolExecutor | None = None
        self._running: Future | None = None

    def __enter__(self) -> ChecksAside:
        if connection.vendor == "postgresql":
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="constraint-checks")
        return self

    def __exit__(self, *exc_info) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)  # a failure on the way out is the caller's to report

    def start(self) -> None:
        if self._executor is None:
            return
        self.wait()
        self._running = self._executor.submit(_check_constraints, connection.connection)

    def wait(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            with connection.wrap_database_errors:  # as Django raises them at the commit
                running.result()


def _check_constraints(database_connection) -> None:
    database_connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
    database_connection.execute("SET CONSTRAINTS ALL DEFERRED")


UPDATE_BATCH = 5000


def insert_rows(model: type[models.Model], rows: list[dict], *, return_ids: bool = True) -> list[int]:
    """Insert `rows` (dicts of attnames; a column a row leaves out gets what bulk_create would give it, auto_now
    fields now unless given). Returns the new primary keys in the order of `rows` when `return_ids`."""
    if not rows:
        return []
    if not available():
        return _insert_rows_with_django(model, rows, return_ids=return_ids)
    meta = model._meta
    columns = list(dict.fromkeys(name for row in rows for name in row))
    now = timezone.now()
    missing = {
        field.attname: _fixed_value(field, now)
        for field in meta.concrete_fields
        if field.attname in columns and not all(field.attname in row for row in rows)
    }
    values = [[row[name] if name in row else missing[name] for name in columns] for row in rows]
    if not return_ids:
        copy_rows(model, values, columns=columns)
        return []
    ids = reserve_ids(model, len(rows))
    copy_rows(model, ([key, *row] for key, row in zip(ids, values, strict=True)), columns=[meta.pk.attname, *columns])
    return ids


def _insert_rows_with_django(model: type[models.Model], rows: list[dict], *, return_ids: bool) -> list[int]:
    objects = [model(**row) for row in rows]
    model.objects.bulk_create(objects, batch_size=500)
    # bulk_create stamps auto_now fields with now; keep the values the rows asked for.
    auto_now = [
        field.attname
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) and any(field.attname in row for row in rows)
    ]
    if auto_now:
        for instance, row in zip(objects, rows, strict=True):
            for name in auto_now:
                setattr(instance, name, row.get(name, getattr(instance, name)))
        model.objects.bulk_update(objects, auto_now, batch_size=500)
    return [instance.pk for instance in objects] if return_ids else []


def update_rows(model: type[models.Model], objects: list, field_names: list[str]) -> None:
    """Write these fields of these objects (anything with the attnames as attributes), by primary key, as given:
    auto_now is not applied."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, field_names, batch_size=500)
        return
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    key_field = meta.pk
    columns = [key_field, *fields]
    selects = ", ".join(f"unnest(%s::{field.db_type(connection)}[]) AS {quote(field.column)}" for field in columns)
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in fields)
    key = quote(key_field.column)
    # Identifiers come from model metadata, quoted; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM (SELECT {selects}) AS v WHERE t.{key} = v.{key}"  # noqa: S608, E501
    with connection.cursor() as cursor:
        for start in range(0, len(objects), UPDATE_BATCH):
            batch = objects[start : start + UPDATE_BATCH]
            cursor.execute(sql, [[getattr(obj, field.attname) for obj in batch] for field in columns])
