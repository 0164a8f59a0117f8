"""Bulk writes for imports of thousands of rows: COPY and UPDATE … FROM unnest() on PostgreSQL.

Django's bulk_create builds a model instance per row and, on PostgreSQL, dumps every text value through
psycopg's Python array escaping; bulk_update builds a CASE expression per field and row. For 10,000 meetings
with their type links and history rows that is tens of seconds of Python. Here rows are plain dicts of attnames
and the database does the work. Elsewhere (SQLite in development and tests) the same calls use Django's bulk
methods, so behaviour is the same on both.
"""

from __future__ import annotations

from django.db import connection, models
from django.utils import timezone

COPY_BATCH = 5000


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _fill(field: models.Field, row: dict, now):
    if field.attname in row:
        return row[field.attname]
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    return "" if field.empty_strings_allowed else None


def insert_rows(model: type[models.Model], rows: list[dict], *, return_ids: bool = True) -> list[int]:
    """Insert `rows` (dicts of attnames; missing fields get their defaults, auto_now fields now unless given).

    Returns the new primary keys in the order of `rows` when `return_ids`.
    """
    if not rows:
        return []
    now = timezone.now()
    meta = model._meta
    if not _is_postgresql():
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects, batch_size=500)
        # bulk_create stamps auto_now fields with now; keep the values the rows asked for.
        auto_now = [
            field.attname
            for field in meta.concrete_fields
            if getattr(field, "auto_now", False) and any(field.attname in row for row in rows)
        ]
        if auto_now:
            for obj, row in zip(objects, rows, strict=True):
                for name in auto_now:
                    setattr(obj, name, row.get(name, getattr(obj, name)))
            model.objects.bulk_update(objects, auto_now, batch_size=500)
        return [obj.pk for obj in objects] if return_ids else []

    quote = connection.ops.quote_name
    primary_key = meta.pk
    with connection.cursor() as cursor:
        ids: list[int] = []
        if return_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, primary_key.column, len(rows)],
            )
            ids = [value for (value,) in cursor.fetchall()]
        fields = [field for field in meta.concrete_fields if return_ids or field is not primary_key]
        json_fields = {field.attname for field in fields if isinstance(field, models.JSONField)}
        columns = ", ".join(quote(field.column) for field in fields)
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for index, row in enumerate(rows):
                values = []
                for field in fields:
                    if field is primary_key:
                        values.append(ids[index])
                        continue
                    value = _fill(field, row, now)
                    if field.attname in json_fields and value is not None:
                        value = field.get_db_prep_save(value, connection)
                    values.append(value)
                copy.write_row(values)
    return ids


def update_rows(model: type[models.Model], objects: list, field_names: list[str]) -> None:
    """Write these fields of these objects (anything with the attnames as attributes), by primary key, as given:
    auto_now is not applied."""
    if not objects:
        return
    if not _is_postgresql():
        model.objects.bulk_update(objects, field_names, batch_size=500)
        return
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    primary_key = meta.pk
    columns = [primary_key, *fields]
    selects = ", ".join(f"unnest(%s::{field.db_type(connection)}[]) AS {quote(field.column)}" for field in columns)
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in fields)
    key = quote(primary_key.column)
    # Identifiers come from model metadata, quoted; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM (SELECT {selects}) AS v WHERE t.{key} = v.{key}"  # noqa: S608, E501
    with connection.cursor() as cursor:
        for batch in _chunks(objects, COPY_BATCH):
            params = [[getattr(obj, field.attname) for obj in batch] for field in columns]
            cursor.execute(sql, params)
