"""Template context for the reports, shared by the page, the printable HTML, the PDF and the e-mail.

`suppress` applies the "<5" rule to counts (see reports.presentation).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from core.periods import add_months
from referrals.models import Intensity
from reports import charts
from reports.indicators import BASELINE_SOURCE, DATA_SOURCE, INDICATORS
from reports.models import IndicatorCode
from reports.presentation import HIDDEN, RateView, count_text, rate_shown, rate_view, target_status
from reports.selectors import PREVIOUS_MONTHS, ComparisonReport, UnitReport
from reports.statistics import proportion


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


def signed_points(value: float | None) -> str | None:
    """+5,0 / −3,2 / ±0,0 (percentage points, localised, with a real minus sign)."""
    if value is None:
        return None
    rounded = Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    sign = "+" if rounded > 0 else ("−" if rounded < 0 else "±")
    return f"{sign}{number_format(abs(rounded), 1)}"


def _rate(report, value, suppress) -> RateView:
    return rate_view(value, suppress=suppress, min_denominator=report.min_denominator)


def _hides_a_count(view: RateView) -> bool:
    return not (view.numerator.isdigit() and view.denominator.isdigit())


def _hidden_total(view: RateView) -> RateView:
    """A sum over rows of which one hides a small count: its exact total would give that count back."""
    return RateView(str(HIDDEN), str(HIDDEN), None, None, None, suppressed=True)


def definitions(indicator, *, generated_at, min_denominator, frozen: bool) -> dict:
    return {
        "indicator": indicator,
        "data_source": DATA_SOURCE,
        "baseline_source": BASELINE_SOURCE,
        "min_denominator": min_denominator,
        "generated_at": generated_at,
        "frozen": frozen,
    }


def unit_context(report: UnitReport, *, suppress: bool) -> dict:
    figures = report.figures
    rate = report.rate

    def share(count: int, total: int) -> RateView:
        return _rate(report, proportion(count, total), suppress)

    intensity_rows = [
        CountRow(_("Not answered"), count_text(figures.highest_not_answered, suppress)),
        *[
            CountRow(label, count_text(getattr(figures, f"highest_{value}"), suppress))
            for value, label in Intensity.choices
        ],
    ]
    intensity_counts = [figures.highest_not_answered] + [getattr(figures, f"highest_{v}") for v in range(5)]
    for row, count in zip(intensity_rows, intensity_counts, strict=True):
        row.share = share(count, figures.eligible)

    not_followed = max(0, figures.referred - figures.followed_up)
    follow_up_rows = [
        CountRow(_("Attended at least one meeting"), count_text(figures.attended, suppress)),
        CountRow(_("Did not attend"), count_text(figures.not_attended, suppress)),
        CountRow(_("Attendance not known"), count_text(figures.attendance_unknown, suppress)),
        CountRow(_("No follow-up recorded yet"), count_text(not_followed, suppress)),
    ]
    for row, count in zip(
        follow_up_rows, [figures.attended, figures.not_attended, figures.attendance_unknown, not_followed], strict=True
    ):
        row.share = share(count, figures.referred)

    clinicians = None
    if report.clinicians is not None:
        clinicians = [
            RateRow(
                row.label or _("Not recorded"),
                _rate(report, proportion(row.referred, row.eligible), suppress),
            )
            for row in report.clinicians
        ]
    referred_total = figures.referred
    fellowships = [
        CountRow(
            row.label or _("No fellowship named"),
            count_text(row.referred, suppress),
            share(row.referred, referred_total),
        )
        for row in report.fellowships
    ]
    trend_rows = [
        RateRow(point.month, _rate(report, point.rate, suppress), point.target) for point in reversed(report.points)
    ]
    summaries = [
        RateRow(summary.indicator.label, _rate(report, summary.rate, suppress), summary.target)
        for summary in report.summaries
    ]
    target_percent = report.target.percent if report.target else None
    previous = _rate(report, report.previous, suppress)
    change_points = report.change_points
    previous_months = {add_months(report.month, -offset) for offset in range(1, PREVIOUS_MONTHS + 1)}
    if suppress and any(
        _hides_a_count(_rate(report, point.rate, suppress)) for point in report.points if point.month in previous_months
    ):
        # The three months are in the trend table: their exact pooled n and rate would reveal a hidden count.
        previous, change_points = _hidden_total(previous), None
    return {
        "report": report,
        "suppress": suppress,
        "headline": _rate(report, rate, suppress),
        "previous": previous,
        "change_points": change_points,
        "change_text": signed_points(change_points),
        "target": report.target,
        "target_status": target_status(rate, target_percent, report.min_denominator, suppress=suppress),
        "chart": charts.trend_chart(report, suppress=suppress),
        "trend_rows": trend_rows,
        "summaries": summaries,
        "clinicians": clinicians,
        "fellowships": fellowships,
        "intensity_rows": intensity_rows,
        "follow_up_rows": follow_up_rows,
        "completeness": _rate(report, figures.proportion(INDICATORS[IndicatorCode.DATA_COMPLETENESS]), suppress),
        "definitions": definitions(
            report.indicator,
            generated_at=report.generated_at,
            min_denominator=report.min_denominator,
            frozen=report.frozen,
        ),
    }


def comparison_context(report: ComparisonReport, *, suppress: bool = True) -> dict:
    rows = [
        {
            "unit": row.unit,
            "rate": _rate(report, row.rate, suppress),
            "target": row.target,
            "position": row.position,
            "plotted": rate_shown(row.rate, suppress=suppress, min_denominator=report.min_denominator),
        }
        for row in report.rows
    ]
    pooled = _rate(report, report.pooled, suppress)
    return {
        "report": report,
        "suppress": suppress,
        "rows": rows,
        "pooled": _hidden_total(pooled) if suppress and any(_hides_a_count(row["rate"]) for row in rows) else pooled,
        "chart": charts.funnel_chart(report, suppress=suppress),
        "definitions": definitions(
            report.indicator,
            generated_at=report.generated_at,
            min_denominator=report.min_denominator,
            frozen=report.frozen,
        ),
    }
