"""manage.py import_contacts: prints counts, or every bad row, and exits non-zero without writing."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from referrals.models import AccessLogEntry, PatientContact

HEADER = "date,unit,patient_ref,setting,intensity,fellowships,response,clinician"


pytestmark = pytest.mark.usefixtures("frozen_today")  # tests/conftest.py


def write(tmp_path, *rows, encoding="utf-8-sig", delimiter=","):
    path = tmp_path / "extract.csv"
    path.write_text("\r\n".join([HEADER.replace(",", delimiter), *rows]) + "\r\n", encoding=encoding)
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_contacts", *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_a_valid_file_and_prints_the_counts(tmp_path, unit_a, clinician_a):
    path = write(tmp_path, "2026-03-01;RUS-POL;EP-1;outpatient;2;;;klinikera", delimiter=";")

    out, _err = run(path)

    assert "1 created, 0 updated, 0 unchanged" in out
    assert PatientContact.objects.count() == 1


def test_second_run_reports_the_rows_as_unchanged(tmp_path, unit_a):
    path = write(tmp_path, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,")
    run(path)

    out, _err = run(path)

    assert "0 created, 0 updated, 1 unchanged" in out


def test_dry_run_checks_and_counts_but_writes_nothing(tmp_path, unit_a):
    path = write(tmp_path, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,", "2026-03-02,RUS-POL,EP-2,outpatient,2,,,")

    out, _err = run(path, "--dry-run")

    assert "Dry run" in out and "2 would be created" in out
    assert PatientContact.objects.count() == 0
    assert AccessLogEntry.objects.count() == 0


def test_one_bad_row_fails_the_command_names_the_row_and_writes_nothing(tmp_path, unit_a):
    path = write(tmp_path, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,", "2026-03-02,RUS-POL,EP-2,outpatient,5,,,")

    with pytest.raises(CommandError, match="1 of 2 rows are invalid. Nothing was imported.") as raised:
        out, err = io.StringIO(), io.StringIO()
        call_command("import_contacts", str(path), stdout=out, stderr=err)

    assert raised.value.returncode == 1
    assert err.getvalue().startswith("line 3: intensity")
    assert PatientContact.objects.count() == 0


def test_dry_run_of_a_bad_file_fails_too(tmp_path, unit_a):
    path = write(tmp_path, "2026-03-01,NOWHERE,EP-1,outpatient,2,,,")

    with pytest.raises(CommandError, match="invalid"):
        run(path, "--dry-run")


def test_unreadable_file_gets_a_clear_error(tmp_path, unit_a):
    path = write(tmp_path, "2026-03-01,RUS-PØL,EP-1,outpatient,2,,,", encoding="latin-1")

    with pytest.raises(CommandError, match="not UTF-8"):
        run(path)


def test_missing_file_gets_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "nothing.csv")


def test_user_option_names_the_importer_in_the_access_log(tmp_path, unit_a, lead_a):
    path = write(tmp_path, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,")

    run(path, "--user", "ledera")

    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.username, entry.user) == ("import", "ledera", lead_a)
    assert PatientContact.objects.get().created_by == lead_a


def test_unknown_user_option_is_refused_before_reading_the_file(tmp_path, unit_a):
    path = write(tmp_path, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,")

    with pytest.raises(CommandError, match="No active user"):
        run(path, "--user", "nobody")

    assert PatientContact.objects.count() == 0


def test_progress_option_prints_the_rows_checked_and_written(tmp_path, unit_a):
    path = write(tmp_path, *[f"2026-03-{1 + n % 28:02d},RUS-POL,EP-{n},outpatient,2,,," for n in range(5_500)])

    out, err = run(path, "--progress")

    assert err.splitlines() == [
        "Checked 5,000 of 5,500 rows",
        "Checked 5,500 of 5,500 rows",
        "Wrote 5,500 contacts",
    ]
    assert "5500 created" in out


def test_without_a_terminal_or_the_option_no_progress_is_printed(tmp_path, unit_a):
    _out, err = run(write(tmp_path, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,"))

    assert err == ""
