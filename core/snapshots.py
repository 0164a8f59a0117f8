"""Reads that must agree with each other: several queries seeing the database as it was at the first one."""

import contextlib

from django.db import connections, transaction


@contextlib.contextmanager
def snapshot(using: str = "default"):
    """Run the reads inside from one consistent snapshot of the database.

    A report is several aggregate queries (headline, trend, breakdowns, the columns below); under READ COMMITTED
    each would see the contacts saved by then, so a breakdown could count more referred patients than the
    headline (and the interval code refuses x > n). The feed reads row versions, then the rows that changed: a
    meeting deleted between the two would leave a hole. On PostgreSQL this is one REPEATABLE READ, READ ONLY
    transaction: every query sees the database as it was at the first one. Inside a transaction that is already
    open (a test, a management command's own atomic block) there is nothing to change.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using):
            yield
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield
