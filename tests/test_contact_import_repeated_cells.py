"""referrals.importers with cells that repeat from row to row: each distinct cell is checked once per file
(_RowChecker), and existing contacts are looked up with one array on PostgreSQL and in slices on SQLite. Rows must
get the same values and messages as if every cell of every row were checked on its own."""

import pytest

from referrals import importers
from tests.contact_import_helpers import csv_bytes

pytestmark = pytest.mark.usefixtures("frozen_today")


def reasons_by_line(plan) -> dict[int, list[str]]:
    return {error.line: error.reasons for error in plan.errors}


def test_a_clinician_on_rows_of_two_units_is_checked_against_each_rows_unit(unit_a, unit_b, clinician_b):
    data = csv_bytes(
        "2026-03-01,RUS-DOGN,EP-1,inpatient,2,,,klinikerb",
        "2026-03-01,RUS-POL,EP-2,outpatient,2,,,klinikerb",
        "2026-03-02,RUS-DOGN,EP-3,inpatient,2,,,klinikerb",
        "2026-03-02,RUS-POL,EP-4,outpatient,2,,,klinikerb",
    )

    errors = reasons_by_line(importers.plan_import(data))

    assert list(errors) == [3, 5]
    assert all("does not work in unit RUS-POL" in " ".join(reasons) for reasons in errors.values())


def test_a_bad_cell_on_many_rows_is_reported_on_each_with_unreadable_cells_first(unit_a):
    row = "2026-02-30,RUS-POL,EP-{},=cmd,9,,,"
    data = csv_bytes(*(row.format(number) for number in range(3)))

    errors = reasons_by_line(importers.plan_import(data))

    assert list(errors) == [2, 3, 4]
    assert errors[2] == errors[3] == errors[4]
    assert [reason.split()[0] for reason in errors[2]] == ["setting", "date", "intensity"]


def test_rows_get_the_same_answers_when_fewer_cells_are_kept_than_the_file_has(recorded, clinician_b, monkeypatch):
    rows = [
        "2026-03-01,RUS-POL,EP-1,outpatient,2,AA;NA,positive,klinikera",
        "2026-03-02,RUS-POL,EP-2,detox,,,,klinikerb",
        "2026-03-03,RUS-POL,EP-3,elsewhere,3,NA,undecided,",
        "2026-03-04,RUS-POL,EP-UPDATED,inpatient,3,AA,positive,klinikera",
        "2026-03-01,RUS-POL,EP-5,outpatient,2,AA;NA,positive,klinikera",
        "2026-03-02,RUS-POL,EP-6,detox,,XX,,klinikerb",
        "2026-03-06,RUS-POL,EP-UNCHANGED,outpatient,1,,,",
    ]
    everything_kept = importers.plan_import(csv_bytes(*rows))
    monkeypatch.setattr(importers, "ANSWERS_KEPT", 2)

    few_kept = importers.plan_import(csv_bytes(*rows))

    assert few_kept.counts == everything_kept.counts
    assert reasons_by_line(few_kept) == reasons_by_line(everything_kept)
    assert list(reasons_by_line(few_kept)) == [3, 4, 7]


def test_existing_contacts_are_found_whatever_the_look_up_slice(recorded, monkeypatch):
    """SQLite looks them up in slices of LOOKUP_CHUNK pseudonyms, PostgreSQL in one query: the same contacts."""
    monkeypatch.setattr(importers, "LOOKUP_CHUNK", 1)
    data = csv_bytes(
        "2026-03-01,RUS-POL,EP-1,outpatient,2,,,",
        "2026-03-04,RUS-POL,EP-UPDATED,inpatient,3,AA,positive,klinikera",
        "2026-03-06,RUS-POL,EP-UNCHANGED,outpatient,1,,,",
    )

    assert importers.plan_import(data).counts == {
        "rows": 3,
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "skipped_deleted": 0,
        "invalid": 0,
    }
    result = importers.apply_import(data)

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert importers.plan_import(data).counts["unchanged"] == 3
