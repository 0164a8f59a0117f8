"""manage.py monthly_report: files, e-mails once per month and unit, clear errors with a non-zero exit."""

import csv
import datetime
import io
import os
import subprocess
import sys

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import Membership
from reports.models import ReportDispatch
from tests.factories import MembershipFactory, UserFactory
from tests.reports_helpers import OSLO, month_of_contacts

# 00:30 on 1 November in Oslo is still 31 October in UTC: the previous month must be October.
JUST_AFTER_MIDNIGHT = datetime.datetime(2026, 11, 1, 0, 30, tzinfo=OSLO)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(JUST_AFTER_MIDNIGHT, tick=False):
        yield


def test_without_month_it_reports_the_previous_calendar_month_in_oslo(unit_a, tmp_path):
    month_of_contacts(unit_a, patients=12, referred=6)
    output = tmp_path / "all.csv"

    call_command("monthly_report", "--format", "csv", "--output", str(output), stdout=io.StringIO())

    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert [(row["month"], row["unit_code"], row["eligible"], row["rate_percent"]) for row in rows] == [
        ("2026-10", "RUS-POL", "12", "50.0")
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "html", "pdf"])
def test_writes_every_format_for_one_unit(unit_a, tmp_path, file_format):
    month_of_contacts(unit_a, patients=12, referred=3)
    output = tmp_path / f"report.{file_format}"

    call_command(
        "monthly_report", "--unit", unit_a.code, "--format", file_format, "--output", str(output), stdout=io.StringIO()
    )

    content = output.read_bytes()
    assert content
    if file_format == "pdf":
        assert content.startswith(b"%PDF")
    if file_format == "html":
        assert b"<style>" in content  # a file carries its own stylesheet


def test_email_sends_each_lead_their_units_pdf_once(lead_a, unit_a, unit_b):
    month_of_contacts(unit_a, patients=12, referred=3)
    second_lead = MembershipFactory(user=UserFactory(username="lederb"), unit=unit_b, role=Membership.Role.LEAD).user

    call_command("monthly_report", "--email", stdout=io.StringIO())

    assert sorted(message.to[0] for message in mail.outbox) == sorted([lead_a.email, second_lead.email])
    message = next(message for message in mail.outbox if message.to == [lead_a.email])
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == ("referral-report-RUS-POL-2026-10.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert "Rus poliklinikk" in message.subject
    assert ReportDispatch.objects.count() == 2


def test_a_second_run_sends_nothing_unless_forced(lead_a, unit_a):
    out = io.StringIO()
    call_command("monthly_report", "--email", stdout=out)
    call_command("monthly_report", "--email", stdout=out)
    assert len(mail.outbox) == 1
    assert "0 sent, 1 already sent earlier" in out.getvalue()

    call_command("monthly_report", "--email", "--force", stdout=out)
    assert len(mail.outbox) == 2
    assert ReportDispatch.objects.count() == 1


def test_a_new_month_is_sent_again(lead_a, unit_a):
    call_command("monthly_report", "--email", "--month", "2026-09", stdout=io.StringIO())
    call_command("monthly_report", "--email", stdout=io.StringIO())

    assert len(mail.outbox) == 2
    assert sorted(ReportDispatch.objects.values_list("month", flat=True)) == [
        datetime.date(2026, 9, 1),
        datetime.date(2026, 10, 1),
    ]


def test_clinicians_get_no_email(clinician_a, unit_a):
    call_command("monthly_report", "--email", stdout=io.StringIO())

    assert mail.outbox == []


def test_lead_without_address_is_reported_not_mailed(unit_a):
    MembershipFactory(user=UserFactory(username="noaddress", email=""), unit=unit_a, role=Membership.Role.LEAD)
    err = io.StringIO()

    call_command("monthly_report", "--email", stdout=io.StringIO(), stderr=err)

    assert mail.outbox == []
    assert "noaddress leads RUS-POL but has no e-mail address" in err.getvalue()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--month", "2026-13", "--email"], "not a month"),
        (["--month", "October", "--email"], "YYYY-MM"),
        (["--unit", "NO-SUCH-UNIT", "--email"], "Unknown unit code"),
        (["--format", "csv", "--output", "/no/such/directory/report.csv"], "does not exist"),
        (["--format", "csv"], "together"),
        ([], "Nothing to do"),
    ],
)
def test_bad_input_is_a_clear_error(db, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("monthly_report", *arguments, stdout=io.StringIO())


def test_a_directory_as_output_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="is a directory"):
        call_command("monthly_report", "--format", "csv", "--output", str(tmp_path), stdout=io.StringIO())


def test_a_path_the_system_refuses_is_a_clear_error(db):
    # /proc takes no new files, even for root: the write itself fails and is reported, not raised.
    with pytest.raises(CommandError, match="Cannot write /proc/report.csv"):
        call_command("monthly_report", "--format", "csv", "--output", "/proc/report.csv", stdout=io.StringIO())


def test_an_unwritable_directory_is_a_clear_error(db, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):
        pytest.skip("running as a user who can write anywhere (root)")

    with pytest.raises(CommandError, match="permission denied"):
        call_command("monthly_report", "--format", "csv", "--output", str(locked / "x.csv"), stdout=io.StringIO())


def test_bad_input_exits_non_zero_from_the_shell():
    result = subprocess.run(
        [sys.executable, "manage.py", "monthly_report", "--month", "2026-13", "--email"],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"},
        check=False,
    )

    assert result.returncode != 0
    assert "not a month" in result.stderr


def test_a_month_that_has_not_started_is_refused_and_nothing_is_written(unit_a, tmp_path):
    output = tmp_path / "future.csv"

    with pytest.raises(CommandError, match="2030-01 has not started yet"):
        call_command("monthly_report", "--month", "2030-01", "--format", "csv", "--output", str(output))

    assert not output.exists()
    assert not list(tmp_path.iterdir())


def test_a_month_that_has_not_started_sends_no_email(lead_a, unit_a):
    with pytest.raises(CommandError, match="has not started"):
        call_command("monthly_report", "--month", "2026-12", "--email", stdout=io.StringIO())

    assert mail.outbox == []
    assert not ReportDispatch.objects.exists()


def test_the_current_month_has_started_and_is_written(unit_a, tmp_path):
    output = tmp_path / "november.csv"

    call_command(
        "monthly_report", "--month", "2026-11", "--format", "csv", "--output", str(output), stdout=io.StringIO()
    )

    assert output.exists()


def test_small_counts_in_the_command_file_hide_the_rate_and_the_complement(unit_a, tmp_path):
    month_of_contacts(unit_a, patients=14, referred=12)  # 2 not referred: 12 of 14 would reveal them
    output = tmp_path / "all.csv"

    call_command("monthly_report", "--format", "csv", "--output", str(output), stdout=io.StringIO())

    (row,) = list(csv.DictReader(output.open(encoding="utf-8")))
    assert (row["eligible"], row["referred"], row["rate_percent"], row["ci_low_percent"], row["ci_high_percent"]) == (
        "14",
        "hidden",
        "",
        "",
        "",
    )
    assert row["note"] == "suppressed (small numbers)"
