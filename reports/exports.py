"""Exports of aggregates (never patient rows): CSV, XLSX, printable HTML and PDF.

Every export applies the "<5" rule: an export leaves the unit. The rows come from the same report
objects the page shows (reports.selectors), so page, exports and command agree.
"""

import csv
import io
import logging
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.periods import format_month
from reports.indicators import BASELINE_SOURCE, INDICATORS, PRIMARY, Figures
from reports.presentation import HIDDEN, plain_percent, rate_view
from reports.rendering import comparison_context, unit_context
from reports.selectors import ComparisonReport, UnitReport

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


def _count(text: str):
    """'<5' stays text; a hidden count becomes an empty cell; other counts become numbers (for XLSX)."""
    if text == str(HIDDEN):
        return None
    return int(text) if text.isdigit() else text


def _row(month, unit, figures: Figures, targets: dict, min_denominator: int) -> dict:
    row = {"month": format_month(month), "unit_code": unit.code, "unit_name": unit.name}
    for indicator in INDICATORS.values():
        view = rate_view(figures.proportion(indicator), suppress=True, min_denominator=min_denominator)
        target = targets.get((unit.pk, indicator.code, month))
        values = {
            "numerator": _count(view.numerator),
            "denominator": _count(view.denominator),
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
                note=str(_("suppressed (small numbers)") if view.suppressed else _("too few")) if view.too_few else "",
            )
        else:
            row.update({f"{indicator.code}_{name}": value for name, value in values.items()})
    return row


def unit_report_rows(report: UnitReport) -> list[dict]:
    """One row per month of the trend, newest first."""
    return [
        _row(point.month, report.unit, point.figures, report.targets, report.min_denominator)
        for point in reversed(report.points)
    ]


def comparison_rows(report: ComparisonReport) -> list[dict]:
    """One row per unit with contacts of its own in the month."""
    return [_row(report.month, row.unit, row.figures, report.targets, report.min_denominator) for row in report.rows]


def rows_for(report) -> list[dict]:
    return unit_report_rows(report) if isinstance(report, UnitReport) else comparison_rows(report)


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
        writer.writerow({column: _text(row.get(column)) for column in COLUMNS})
    return buffer.getvalue().encode("utf-8")


def to_xlsx(report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Report")[:31]
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows_for(report):
        values = []
        for column in COLUMNS:
            value = row.get(column)
            values.append(float(value) if isinstance(value, Decimal) else value)
        sheet.append(values)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=index).number_format = "@"
        if column.endswith("_percent"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0"
    sheet.freeze_panes = "D2"

    about = workbook.create_sheet(_("Definitions")[:31])
    about.append([_("Indicator"), _("Columns"), _("Numerator"), _("Denominator"), _("Exclusions")])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for indicator in INDICATORS.values():
        columns = (
            "eligible, referred, rate_percent …"
            if indicator.code == PRIMARY.code
            else f"{indicator.code}_numerator, {indicator.code}_denominator …"
        )
        about.append(
            [
                str(indicator.label),
                columns,
                str(indicator.numerator_text),
                str(indicator.denominator_text),
                str(indicator.exclusions_text),
            ]
        )
    about.append([])
    for line in _notes(report):
        about.append([line])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _notes(report) -> list[str]:
    generated = timezone.localtime(report.generated_at)
    return [
        _("Percentages have one decimal; intervals are Wilson 95 % intervals."),
        _("Counts from 1 to 4 are shown as <5. A rate with a denominator under %(n)s is left empty (too few).")
        % {"n": report.min_denominator},
        _(
            "A rate and its interval are left empty when its numerator or the rest of its denominator is from 1 to 4; "
            "in the second case the numerator is left empty too, so that no small count can be worked out."
        ),
        _("Baseline 15 %%: %(source)s") % {"source": BASELINE_SOURCE},
        _("Produced %(time)s.") % {"time": generated.strftime("%Y-%m-%d %H:%M %Z")},
    ]


def _stylesheet() -> str:
    return (Path(settings.BASE_DIR) / "static" / "css" / "reports-print.css").read_text(encoding="utf-8")


def to_html(report, *, embed_css: bool = True, request=None) -> str:
    """The printable report. Files and PDFs embed their stylesheet; the browser page links it (CSP)."""
    if isinstance(report, UnitReport):
        context = unit_context(report, suppress=True)
        # Per-clinician figures stay on the lead's screen; files leave the unit.
        context["clinicians"] = None
        template = "reports/print_unit.html"
    else:
        context = comparison_context(report, suppress=True)
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
    if isinstance(report, UnitReport):
        return f"referral-report-{report.unit.code}-{format_month(report.month)}.{fmt}"
    scope = report.scope.code if report.scope else "all-units"
    return f"referral-comparison-{scope}-{format_month(report.month)}.{fmt}"


def in_language(language: str | None):
    return translation.override(language or settings.LANGUAGE_CODE)
