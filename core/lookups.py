"""Query conditions Django lacks."""

from django.db.models import Lookup


class AnyOf(Lookup):
    """`column = ANY(%s)` with the values as one array parameter (PostgreSQL only): the same rows as `column__in`,
    but Django and psycopg no longer handle a placeholder per value in Python, which took longer than the query
    itself for a batch's 2,000 pseudonyms; and the query's text is the same whatever the number of values, so it
    can be compiled once (registry/cards.py)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        column, params = self.process_lhs(compiler, connection)
        return f"{column} = ANY(%s)", [*params, list(self.rhs)]
