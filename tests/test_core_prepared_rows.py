"""core.sql_templates.prepared_rows: a statement prepared once per database connection (PostgreSQL)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.sql_templates import prepared_rows

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE is PostgreSQL's")

# A literal % (Django writes it %%) beside the placeholders, which become $1 and $2.
SQL = "SELECT n, n %% %s FROM unnest(%s::int[]) AS n ORDER BY n"


def statements(queries) -> list[str]:
    return [query["sql"].split()[0] for query in queries]


def test_a_statement_is_prepared_once_per_connection_and_runs_with_each_calls_values(db):
    with CaptureQueriesContext(connection) as first:
        assert prepared_rows("test_remainders", lambda: SQL, [3, [4, 5]]) == [(4, 1), (5, 2)]
    with CaptureQueriesContext(connection) as second:
        assert prepared_rows("test_remainders", lambda: SQL, [2, [7]]) == [(7, 1)]
    assert statements(first) == ["PREPARE", "EXECUTE"]
    assert statements(second) == ["EXECUTE"]


def test_a_new_connection_prepares_the_statement_again(transactional_db):
    assert prepared_rows("test_remainders_again", lambda: SQL, [3, [4]]) == [(4, 1)]
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        assert prepared_rows("test_remainders_again", lambda: SQL, [4, [9]]) == [(9, 1)]
    assert statements(queries) == ["PREPARE", "EXECUTE"]


def test_a_statement_prepared_in_a_rolled_back_transaction_is_still_there(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        prepared_rows("test_remainders_kept", lambda: SQL, [3, [4]])
        raise RuntimeError
    assert prepared_rows("test_remainders_kept", lambda: SQL, [5, [12]]) == [(12, 2)]


def test_a_connection_the_health_check_replaces_gets_the_statement_again(transactional_db):
    assert prepared_rows("test_remainders_replaced", lambda: SQL, [3, [4]]) == [(4, 1)]
    # The server ended the session (a restart), and a new request's first cursor checks the connection first.
    connection.connection.close()
    connection.health_check_enabled, connection.health_check_done = True, False
    assert prepared_rows("test_remainders_replaced", lambda: SQL, [4, [9]]) == [(9, 1)]
