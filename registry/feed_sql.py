"""The feed's queries on PostgreSQL: each listed meeting's row version, and its record's values with its version.

A build from an empty cache read three queries (the row versions, the type links, the values), each joining the
same tables over every listed meeting; `rows_sql` reads all three in one. The row version must be the same
expression in both queries, since a rebuild compares the versions of one with those of the other.
"""

from __future__ import annotations

# Each listed meeting with everything its record reads: its group, fellowship, municipality and county; the type
# links follow (`GROUPED_TYPES`, `TYPES_PER_MEETING`).
RECORD_SOURCES = """
FROM registry_meeting m
JOIN registry_group g ON g.id = m.group_id
JOIN registry_fellowship f ON f.id = g.fellowship_id
LEFT JOIN registry_municipality mu ON mu.number = m.municipality_id
LEFT JOIN registry_county c ON c.number = mu.county_id
{types}
WHERE {conditions}
ORDER BY m.slug
"""
# A meeting's type codes, in order, stand for its links in its row version: the links are inserted and deleted, never
# updated, so the codes change whenever they do. The row version reads them as text ("{BE,C}"; "{}" without any).
# Every meeting's links at once, for the row versions alone: PostgreSQL reads all 300,000 in one pass along the
# (meeting, type) index, in that order, so array_agg takes each meeting's codes in order without a sort of its own.
# An ORDER BY inside array_agg sorts every meeting's few codes apart: the query took 0.37 s of CPU at 100,000
# meetings with it, 0.32 s without (0.30 s with the sum of the codes' hashes it had before). Should PostgreSQL ever
# hand them over in another order, versions would differ and a rebuild build those records again: slower, never
# wrong.
GROUPED_TYPES = """
LEFT JOIN (
    SELECT meeting_id, array_agg(meetingtype_id) AS codes
    FROM (SELECT meeting_id, meetingtype_id FROM registry_meeting_types ORDER BY meeting_id, meetingtype_id) links
    GROUP BY meeting_id
) t ON t.meeting_id = m.id
"""
# One meeting's codes at a time, looked up along the (meeting, type) index as its row is sent, already in order.
# Aggregated first, joined and sorted with the rest, they kept the first row back until PostgreSQL had done all its
# work (0.6 s at 100,000 meetings) while Python waited; looked up like this, they are read while Python builds
# records from the rows already sent (`registry.feed._rows` streams them). An ARRAY() of the ordered rows, not
# array_agg(… ORDER BY …), which sorted each meeting's codes apart and summed their hashes for the version as well:
# 0.09 s less of PostgreSQL's 0.76 s of CPU at 100,000 meetings. (OFFSET 0 keeps the subquery whole: inlined, it
# was read twice, once for the codes and once for the version.)
TYPES_PER_MEETING = """
LEFT JOIN LATERAL (
    SELECT ARRAY(SELECT meetingtype_id FROM registry_meeting_types WHERE meeting_id = m.id ORDER BY meetingtype_id)
        AS codes
    OFFSET 0
) t ON true
"""
# A meeting's row version: the xmin (transaction id) of its own row and of every row its record reads, and its codes.
ROW_VERSION = "hashtextextended(concat_ws(',', m.xmin, g.xmin, f.xmin, mu.xmin, c.xmin, coalesce(t.codes, '{}')), 0)"
# The table alias of each relation a value of registry.feed.MEETING_VALUES goes through, longest first.
ALIASES = (("group__fellowship__", "f"), ("group__", "g"), ("municipality__county__", "c"), ("municipality__", "mu"))
# Values the feed has as text, formatted by PostgreSQL: parsing 100,000 timestamps in Python would be the slowest part
# of reading the rows, and times parsed only to be formatted again took 80 ms more of 92,000 (on a busy machine). A
# meeting without an end time ends an hour after its start (registry.feed.default_end_time), across midnight if need be.
# Cast to text rather than to_char(), whose template is interpreted anew for every value: 0.08 s less of the query's
# 0.8-0.9 s of CPU at 91,901 meetings. A time's text starts with HH:MM whatever the date style; a timestamp's is
# "YYYY-MM-DD HH:MM:SS" in the ISO date style, which the feed's query sets for itself (registry.feed._rows).
AS_TEXT = {
    "start_time": "left(m.start_time::text, 5)",
    "end_time": "left(coalesce(m.end_time, m.start_time + interval '1 hour')::text, 5)",
    "updated_at": "date_trunc('second', m.updated_at AT TIME ZONE 'UTC')::text",
}


def row_versions_sql(conditions: str) -> str:
    """(id, row version) of each meeting that meets `conditions` (on the meeting table `m`), in feed order."""
    return f"SELECT m.id, {ROW_VERSION} " + RECORD_SOURCES.format(types=GROUPED_TYPES, conditions=conditions)


def rows_sql(conditions: str, values: tuple[str, ...]) -> str:
    """Each meeting that meets `conditions` (on the meeting table `m`), in feed order: its `values` (names as Django's
    `values_list` takes them; those in AS_TEXT as the feed writes them), its type codes in order (NULL without any) and
    its row version."""
    columns = []
    for name in values:
        prefix, alias = next(((prefix, alias) for prefix, alias in ALIASES if name.startswith(prefix)), ("", "m"))
        columns.append(AS_TEXT.get(name) or f"{alias}.{name.removeprefix(prefix)}")
    return f"SELECT {', '.join(columns)}, t.codes, {ROW_VERSION} " + RECORD_SOURCES.format(
        types=TYPES_PER_MEETING, conditions=conditions
    )
