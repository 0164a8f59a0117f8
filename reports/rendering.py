"""Template context for the reports, shared by the page, the printable HTML, the PDF and the e-mail.

It takes a published report (reports.disclosure) and only arranges it: nothing here decides what is hidden.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from referrals.models import Intensity
from reports import charts
from reports.disclosure import PublishedComparison, PublishedUnitReport, open_column
from reports.indicators import BASELINE_CITATION, DATA_SOURCE, Figures, baseline_finding
from reports.presentation import RateView, signed_points, target_status


@dataclass
class CountRow:
    label: str
    count: str
    share: RateView | None = None


@dataclass
class RateRow:
    label: str
    rate: RateView
    target: object = None
    extra: str = ""
    spc: object = None  # the month's p-chart point (limits and signal), when drawn


def definitions(indicator, *, generated_at, min_denominator, frozen: bool) -> dict:
    return {
        "indicator": indicator,
        "data_source": DATA_SOURCE,
        "baseline_citation": BASELINE_CITATION,
        "baseline_finding": baseline_finding(),
        "min_denominator": min_denominator,
        "generated_at": generated_at,
        "frozen": frozen,
    }


def _share_rows(rows: list[tuple[str, int]], total: int, minimum: int) -> list[CountRow]:
    """Breakdown rows on an open (lead's) page: exact counts with their share of `total`."""
    return [
        CountRow(
            label,
            str(count),
            open_column(Figures(eligible=total, referred=count)).pair("referred", "eligible", minimum),
        )
        for label, count in rows
    ]


def _breakdowns(report: PublishedUnitReport) -> dict:
    """The breakdowns whose rows add up to the totals; the disclosure step gives them to open pages only."""
    figures, minimum = report.figures, report.min_denominator
    if figures is None:
        return {"clinicians": None, "fellowships": [], "intensity_rows": [], "follow_up_rows": []}
    intensity = [(_("Not answered"), figures.highest_not_answered)] + [
        (label, getattr(figures, f"highest_{value}")) for value, label in Intensity.choices
    ]
    follow_up = [
        (_("Attended at least one meeting"), figures.attended),
        (_("Did not attend"), figures.not_attended),
        (_("Attendance not known"), figures.attendance_unknown),
        (_("No follow-up recorded yet"), max(0, figures.referred - figures.followed_up)),
    ]
    fellowships = [(row.label or _("No fellowship named"), row.referred) for row in report.fellowships or []]
    clinicians = None
    if report.clinicians is not None:
        clinicians = [
            RateRow(
                row.label or _("Not recorded"),
                open_column(Figures(eligible=row.eligible, referred=row.referred)).pair(
                    "referred", "eligible", minimum
                ),
            )
            for row in report.clinicians
        ]
    return {
        "clinicians": clinicians,
        "fellowships": _share_rows(fellowships, figures.referred, minimum),
        "intensity_rows": _share_rows(intensity, figures.eligible, minimum),
        "follow_up_rows": _share_rows(follow_up, figures.referred, minimum),
    }


def unit_context(report: PublishedUnitReport) -> dict:
    target_percent = report.target.percent if report.target else None
    change_points = report.change_points
    spc_points = {point.month: point for point in report.spc.points}
    return {
        "report": report,
        "suppress": report.protected,
        "headline": report.headline,
        "previous": report.previous,
        "change_points": change_points,
        "change_text": signed_points(change_points),
        "target": report.target,
        "target_status": target_status(report.headline, target_percent),
        "chart": charts.trend_chart(report),
        "spc": charts.spc_summary(report),
        "trend_rows": [
            RateRow(point.month, point.rate, point.target, spc=spc_points.get(point.month))
            for point in reversed(report.points)
        ],
        "summaries": [RateRow(summary.indicator.label, summary.rate, summary.target) for summary in report.summaries],
        "completeness": report.completeness,
        **_breakdowns(report),
        "definitions": definitions(
            report.indicator,
            generated_at=report.generated_at,
            min_denominator=report.min_denominator,
            frozen=report.frozen,
        ),
    }


def comparison_context(report: PublishedComparison) -> dict:
    rows = [
        {"unit": row.unit, "rate": row.rate, "target": row.target, "position": row.position, "plotted": row.plotted}
        for row in report.rows
    ]
    return {
        "report": report,
        "suppress": report.protected,
        "rows": rows,
        "pooled": report.pooled,
        "chart": charts.funnel_chart(report),
        "definitions": definitions(
            report.indicator,
            generated_at=report.generated_at,
            min_denominator=report.min_denominator,
            frozen=report.frozen,
        ),
    }
