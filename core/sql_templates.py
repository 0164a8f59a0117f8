"""Queries compiled once per shape and run again with other values: for searches whose SQL is the same from one
request to the next but for a few numbers.

Django builds and compiles a queryset's SQL on every request. For the search near a postal code that was about two
milliseconds of Python for a query PostgreSQL answers in less (issue 15), and the SQL differs between two searches of
the same filters only in the values that come from the place and the time of day. Those values are *marked*
(`marked`): a marked value is an ordinary int, float, str, time or list to Django and psycopg, with a slot name. A
query compiled once (`rows`) is kept with the positions of its marked parameters, and run for the next search with
that search's values put in their slots.

The caller's key must hold everything else the SQL depends on (the filters, the date, the data's generation):
whatever is not marked is kept as it was compiled. With settings.SQL_TEMPLATE_CHECKS on (the tests' settings), every
kept query filled in is compared with the queryset compiled afresh, statement and parameters, and a difference
raises; a property test runs random searches so.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable, Hashable

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from core.memo import Kept

# Shapes: a few filters each, in a handful of forms, for each day and registry generation; dropped all at once.
MAX_KEPT = 2000
_kept = Kept(MAX_KEPT)
_marked_types: dict[type, type] = {}


def marked(slot: str, value):
    """`value` as a parameter that fills the slot `slot`: the same value to Django and the database driver."""
    kind = type(value)
    subclass = _marked_types.get(kind)
    if subclass is None:
        subclass = _marked_types[kind] = type(f"Marked{kind.__name__.title()}", (kind,), {"slot": ""})
    copy = subclass(value)
    copy.slot = slot
    return copy


def slot_of(value) -> str | None:
    return value.slot if type(value) in _marked_types.values() else None


def rows(key: Hashable | None, build: Callable[[], QuerySet], values: dict) -> list[tuple]:
    """The rows of `build()`, a `values_list` queryset, as tuples. On PostgreSQL with a `key`, its SQL is compiled
    the first time the key is seen and kept; each later call runs the kept SQL with `values` (slot name → value) in
    the marked parameters' places. Only for values PostgreSQL returns as Django would (no converters)."""
    if key is None or connection.vendor != "postgresql":
        return [tuple(row) for row in build()]
    sql, params = bound(key, build, values)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _compiled(build: Callable[[], QuerySet]) -> tuple[str, tuple, tuple[tuple[int, str], ...]]:
    """(SQL, parameters, (position, slot) of each marked parameter) of `build()`'s query."""
    sql, params = build().query.sql_with_params()
    return (
        sql,
        tuple(params),
        tuple((position, slot) for position, value in enumerate(params) if (slot := slot_of(value))),
    )


def bound(key: Hashable, build: Callable[[], QuerySet], values: dict) -> tuple[str, list]:
    """(SQL, parameters) of `build()`'s query as `rows` runs it: compiled once for `key`, filled with `values`."""
    sql, params, slots = _kept.get_or_make(key, lambda: _compiled(build))
    params = list(params)
    for position, slot in slots:
        params[position] = values[slot]
    if settings.SQL_TEMPLATE_CHECKS:
        fresh = build().query.sql_with_params()
        if fresh != (sql, tuple(params)):
            raise AssertionError(f"The query kept for {key!r} differs from its queryset: {fresh!r}")
    return sql, params


# Each database connection (psycopg's, so a reconnection starts empty) → the names of the statements prepared on it.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
PLACEHOLDER = re.compile(r"%[s%]")


def prepared_rows(name: str, sql: Callable[[], str], params: list) -> list[tuple]:
    """The rows of `sql()` (PostgreSQL, with %s placeholders) for `params`, run as a statement prepared once per
    database connection under `name` (PREPARE, then EXECUTE): PostgreSQL parses and plans it once, not on every run.

    Only for a query whose best plan does not depend on its parameters' values (a look-up by primary keys): after
    five runs PostgreSQL may keep one plan for all values. A prepared statement outlives a rollback and ends with its
    connection; a pooler that shares server connections between clients (PgBouncer in transaction mode) would lose
    it, so production connects to PostgreSQL directly (compose.yaml)."""
    with connection.cursor() as cursor:
        # Read after the cursor is made: its health check may have replaced the connection.
        names = _prepared.setdefault(connection.connection, set())
        if name not in names:
            numbers = itertools.count(1)
            text = PLACEHOLDER.sub(lambda match: "%" if match.group() == "%%" else f"${next(numbers)}", sql())
            cursor.execute(f"PREPARE {name} AS {text}")
            names.add(name)
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
        return cursor.fetchall()
