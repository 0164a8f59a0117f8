"""Exports of aggregates (never patient rows): CSV, XLSX, printable HTML and PDF.

Every export is of a published report (reports.disclosure) with protection on: an export leaves the unit.
The rows come from the same published report the page shows, so page, exports and command agree.
"""

import csv
import io
import logging
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.periods import format_month
from core.spreadsheets import spreadsheet_safe, xlsx_append
from reports.disclosure import Column, PublishedComparison, PublishedUnitReport
from reports.indicators import INDICATORS, PRIMARY, baseline_source
from reports.presentation import HIDDEN, SUPPRESSED, TOO_FEW, plain_percent
from reports.rendering import comparison_context, unit_context

# WeasyPrint reports every layout step at INFO; the monthly run needs none of that in its log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

FORMATS = ("csv", "xlsx", "html", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
PRIMARY_COLUMNS = [
    "month",
    "unit_code",
    "unit_name",
    "eligible",
    "referred",
    "rate_percent",
    "ci_low_percent",
    "ci_high_percent",
    "target_percent",
    "baseline_percent",
    "note",
]
SECONDARY = [indicator for indicator in INDICATORS.values() if indicator.code != PRIMARY.code]
SECONDARY_SUFFIXES = ["numerator", "denominator", "rate_percent", "ci_low_percent", "ci_high_percent", "target_percent"]
COLUMNS = PRIMARY_COLUMNS + [f"{indicator.code}_{suffix}" for indicator in SECONDARY for suffix in SECONDARY_SUFFIXES]


def _count(value: int | None, text: str):
    """A published count: the number, or its text ("<5", "hidden") when the disclosure step hid it."""
    return text if value is None else value


def _note(view) -> str:
    if not view.too_few:
        return ""
    return str(_("suppressed (small numbers)") if view.suppressed else _("too few"))


def _row(month, unit, column: Column, targets: dict, min_denominator: int) -> dict:
    row = {"month": format_month(month), "unit_code": unit.code, "unit_name": unit.name}
    for indicator in INDICATORS.values():
        view = column.rate(indicator, min_denominator)
        target = targets.get((unit.pk, indicator.code, month))
        values = {
            "numerator": _count(view.x, view.numerator),
            "denominator": _count(view.n, view.denominator),
            "rate_percent": view.percent,
            "ci_low_percent": view.low,
            "ci_high_percent": view.high,
            "target_percent": target.percent if target else None,
        }
        if indicator.code == PRIMARY.code:
            row.update(
                eligible=values["denominator"],
                referred=values["numerator"],
                rate_percent=values["rate_percent"],
                ci_low_percent=values["ci_low_percent"],
                ci_high_percent=values["ci_high_percent"],
                target_percent=values["target_percent"],
                baseline_percent=indicator.baseline_percent,
                note=_note(view),
            )
        else:
            row.update({f"{indicator.code}_{name}": value for name, value in values.items()})
            row[f"{indicator.code}_note"] = _note(view)
    return row


def unit_report_rows(report: PublishedUnitReport) -> list[dict]:
    """One row per month of the trend, newest first."""
    return [
        _row(point.month, report.unit, report.columns[point.month], report.targets, report.min_denominator)
        for point in reversed(report.points)
    ]


def comparison_rows(report: PublishedComparison) -> list[dict]:
    """One row per unit with contacts of its own in the month."""
    return [_row(report.month, row.unit, row.column, report.targets, report.min_denominator) for row in report.rows]


def rows_for(report) -> list[dict]:
    return unit_report_rows(report) if isinstance(report, PublishedUnitReport) else comparison_rows(report)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain_percent(value)
    return str(value)


def to_csv(report) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows_for(report):
        writer.writerow({column: spreadsheet_safe(_text(row.get(column))) for column in COLUMNS})
    return buffer.getvalue().encode("utf-8")


HEADINGS = {
    "month": gettext_lazy("Month"),
    "unit_code": gettext_lazy("Unit code"),
    "unit_name": gettext_lazy("Unit"),
    "eligible": gettext_lazy("Patients"),
    "referred": gettext_lazy("Referred"),
    "rate_percent": gettext_lazy("Referral rate (%)"),
    "ci_low_percent": gettext_lazy("95 % interval, from (%)"),
    "ci_high_percent": gettext_lazy("95 % interval, to (%)"),
    "target_percent": gettext_lazy("Target (%)"),
    "baseline_percent": gettext_lazy("National baseline (%)"),
    "note": gettext_lazy("Note"),
}
SUFFIX_HEADINGS = {
    "numerator": gettext_lazy("count"),
    "denominator": gettext_lazy("of"),
    "rate_percent": gettext_lazy("rate (%)"),
    "ci_low_percent": gettext_lazy("interval from (%)"),
    "ci_high_percent": gettext_lazy("interval to (%)"),
    "target_percent": gettext_lazy("target (%)"),
}


def heading(column: str) -> str:
    """The column's heading for people (in the reader's language); the CSV keeps the machine names."""
    if column in HEADINGS:
        return str(HEADINGS[column])
    for indicator in SECONDARY:
        prefix = f"{indicator.code}_"
        if column.startswith(prefix):
            return f"{indicator.short_label}: {SUFFIX_HEADINGS[column[len(prefix) :]]}"
    return column


def _xlsx_value(row: dict, column: str):
    """A cell for people: a hidden rate reads "hidden" or "too few", never an empty cell."""
    value = row.get(column)
    if isinstance(value, Decimal):
        return float(value)
    if value is None and column.endswith(("rate_percent", "ci_low_percent", "ci_high_percent")):
        code = column.split("_rate_percent")[0].split("_ci_")[0]
        note = row["note"] if column in PRIMARY_COLUMNS else row.get(f"{code}_note", "")
        if note:
            return str(HIDDEN) if note == str(_("suppressed (small numbers)")) else str(TOO_FEW)
    return value


def to_xlsx(report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Report")[:31]
    xlsx_append(sheet, [heading(column) for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    rows = rows_for(report)
    for row in rows:
        xlsx_append(sheet, [_xlsx_value(row, column) for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        if column.endswith("_percent"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0"
    sheet.freeze_panes = "D2"
    _note_sheet(workbook.create_sheet(_("About the figures")[:31]), report, rows, Font)
    _definitions_sheet(workbook.create_sheet(_("Definitions")[:31]), Font)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _note_sheet(sheet, report, rows: list[dict], font) -> None:
    """What is hidden in this file and why (the first thing a lead opening the file should be able to read)."""
    cells = [row.get(column) for row in rows for column in COLUMNS]
    suppressed = sum(1 for value in cells if value == SUPPRESSED)
    hidden = sum(1 for value in cells if value == str(HIDDEN))
    xlsx_append(sheet, [_("What is hidden in this file, and why")])
    sheet["A1"].font = font(bold=True)
    lines = [
        _("In this file %(small)s counts read “<5” and %(hidden)s read “hidden”.")
        % {"small": suppressed, "hidden": hidden},
        *_notes(report),
    ]
    for line in lines:
        xlsx_append(sheet, [line])
    sheet.column_dimensions["A"].width = 120


def _definitions_sheet(sheet, font) -> None:
    xlsx_append(sheet, [_("Indicator"), _("Columns"), _("Numerator"), _("Denominator"), _("Exclusions")])
    for cell in sheet[1]:
        cell.font = font(bold=True)
    for indicator in INDICATORS.values():
        columns = (
            "eligible, referred, rate_percent …"
            if indicator.code == PRIMARY.code
            else f"{indicator.code}_numerator, {indicator.code}_denominator …"
        )
        xlsx_append(
            sheet,
            [
                str(indicator.label),
                columns,
                str(indicator.numerator_text),
                str(indicator.denominator_text),
                str(indicator.exclusions_text),
            ],
        )


def _notes(report) -> list[str]:
    generated = timezone.localtime(report.generated_at)
    return [
        _("Percentages have one decimal; intervals are Wilson 95 % intervals."),
        _("Counts from 1 to 4 read “<5”. A rate with a denominator under %(n)s reads “too few”.")
        % {"n": report.min_denominator},
        _(
            "A count reads “hidden” when, with the figures shown beside it, it would give a count from 1 to 4 back: "
            "the rest of its denominator is from 1 to 4; a difference between nested indicators (for example "
            "informed minus referred) is from 1 to 4; or it is a total (a clinic, a pooled period, all units) over "
            "a figure that is hidden. A rate with a hidden count reads “hidden”."
        ),
        _(
            "Downloaded by someone who does not lead the unit, a file also hides the counts that, minus that "
            "person's own patients, would give a count from 1 to 4 of other clinicians' patients back."
        ),
        _("The same figures are hidden on the page, in every file and in every other report you can open."),
        _("Baseline 15 %%: %(source)s") % {"source": baseline_source()},
        _("Produced %(time)s.") % {"time": date_format(generated, "DATETIME_FORMAT")},
    ]


def _stylesheet() -> str:
    return (Path(settings.BASE_DIR) / "static" / "css" / "reports-print.css").read_text(encoding="utf-8")


def to_html(report, *, embed_css: bool = True, request=None) -> str:
    """The printable report. Files and PDFs embed their stylesheet; the browser page links it (CSP)."""
    if isinstance(report, PublishedUnitReport):
        context = unit_context(report)
        template = "reports/print_unit.html"
    else:
        context = comparison_context(report)
        template = "reports/print_comparison.html"
    context.update(embed_css=embed_css, stylesheet=_stylesheet() if embed_css else "", printable=True)
    return render_to_string(template, context, request=request)


def to_pdf(report) -> bytes:
    from weasyprint import HTML

    return HTML(string=to_html(report, embed_css=True), base_url=str(settings.BASE_DIR)).write_pdf()


def render(report, fmt: str, *, request=None) -> bytes:
    if fmt == "csv":
        return to_csv(report)
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "html":
        return to_html(report, embed_css=request is None, request=request).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(report)
    raise ValueError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")


def filename(report, fmt: str) -> str:
    if isinstance(report, PublishedUnitReport):
        return f"referral-report-{report.unit.code}-{format_month(report.month)}.{fmt}"
    scope = report.scope.code if report.scope else "all-units"
    return f"referral-comparison-{scope}-{format_month(report.month)}.{fmt}"


def in_language(language: str | None):
    return translation.override(language or settings.LANGUAGE_CODE)
