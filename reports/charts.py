"""Geometry for the server-rendered SVG charts. Templates draw; this computes coordinates.

Rates below the small-number threshold are never drawn: a point that cannot be shown as a number
cannot be shown as a dot either.
"""

import math
from dataclasses import dataclass, field

from django.template.defaultfilters import floatformat
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from reports.presentation import rate_shown
from reports.selectors import ComparisonReport, UnitReport
from reports.statistics import percent

WIDTH = 760
LEFT, RIGHT, TOP, BOTTOM = 56, 128, 16, 52


def _pct(fraction: float) -> str:
    return number_format(percent(fraction), 1)


def _nice_ceiling(value: float, step: float = 10) -> float:
    return max(step, math.ceil(value / step) * step)


@dataclass
class Tick:
    position: float
    label: str
    sublabel: str = ""


@dataclass
class TrendPoint:
    x: float
    y: float
    y_low: float
    y_high: float
    label: str

    @property
    def cap_left(self) -> float:
        return round(self.x - 4, 1)

    @property
    def cap_right(self) -> float:
        return round(self.x + 4, 1)


@dataclass
class LineLabel:
    y: float
    text: str


@dataclass
class TrendChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    points: list[TrendPoint]
    lines: list[str]  # polyline "x,y x,y" strings between consecutive shown months
    target_lines: list[str]
    target_label: LineLabel | None
    baseline: LineLabel | None
    title: str
    description: str

    @property
    def tick_x(self) -> float:
        return self.left - 8

    @property
    def label_x(self) -> float:
        return self.right + 8


def trend_chart(report: UnitReport, height: int = 300, *, suppress: bool = False) -> TrendChart:
    indicator = report.indicator
    points = report.points
    min_denominator = report.min_denominator

    def drawn(rate) -> bool:
        return rate_shown(rate, suppress=suppress, min_denominator=min_denominator)

    shown = [point for point in points if drawn(point.rate)]
    targets = [float(point.target.percent) for point in points if point.target]
    baseline = float(indicator.baseline_percent) if indicator.has_baseline else None
    top_value = max(
        [point.rate.high * 100 for point in shown] + targets + ([baseline] if baseline is not None else []) + [10]
    )
    y_max = min(100.0, _nice_ceiling(top_value + 5, 10 if top_value + 5 <= 60 else 20))
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, height - BOTTOM
    step = (right - left) / len(points)

    def x_of(index: int) -> float:
        return round(left + (index + 0.5) * step, 1)

    def y_of(value_percent: float) -> float:
        return round(bottom - (bottom - top) * value_percent / y_max, 1)

    y_ticks = [Tick(y_of(value), f"{value:g} %") for value in range(0, int(y_max) + 1, 10 if y_max <= 60 else 20)]
    every = 1 if len(points) <= 12 else 2
    x_ticks = []
    for index, point in enumerate(points):
        # Counted back from the latest month, so that it always has its label and the spacing stays even.
        if (len(points) - 1 - index) % every == 0:
            sublabel = str(point.month.year) if index == 0 or point.month.month == 1 else ""
            x_ticks.append(Tick(x_of(index), date_format(point.month, "M"), sublabel))

    chart_points, lines, current_line = [], [], []
    for index, point in enumerate(points):
        if not drawn(point.rate):
            if len(current_line) > 1:
                lines.append(" ".join(current_line))
            current_line = []
            continue
        rate = point.rate
        x = x_of(index)
        chart_points.append(
            TrendPoint(
                x=x,
                y=y_of(rate.rate * 100),
                y_low=y_of(rate.low * 100),
                y_high=y_of(rate.high * 100),
                label=_("%(month)s: %(rate)s %% (95 %% CI %(low)s–%(high)s), n = %(n)s")
                % {
                    "month": date_format(point.month, "F Y"),
                    "rate": _pct(rate.rate),
                    "low": _pct(rate.low),
                    "high": _pct(rate.high),
                    "n": rate.denominator,
                },
            )
        )
        current_line.append(f"{x},{y_of(rate.rate * 100)}")
    if len(current_line) > 1:
        lines.append(" ".join(current_line))

    target_lines, run = [], []
    for index, point in enumerate(points):
        if point.target is None:
            if run:
                target_lines.append(" ".join(run))
            run = []
            continue
        y = y_of(float(point.target.percent))
        run += [f"{round(x_of(index) - step / 2, 1)},{y}", f"{round(x_of(index) + step / 2, 1)},{y}"]
    if run:
        target_lines.append(" ".join(run))
    last_target = next((point.target for point in reversed(points) if point.target), None)
    target_label = (
        LineLabel(
            y_of(float(last_target.percent)),
            _("Target %(value)s %%") % {"value": _pct(float(last_target.percent) / 100)},
        )
        if last_target
        else None
    )
    baseline_label = (
        LineLabel(y_of(baseline), _("Baseline %(value)s %%") % {"value": floatformat(baseline, "-1")})
        if baseline is not None
        else None
    )
    if target_label and baseline_label and abs(target_label.y - baseline_label.y) < 14:
        # Keep the two labels apart when the lines are close.
        if target_label.y <= baseline_label.y:
            baseline_label.y = target_label.y + 14
        else:
            target_label.y = baseline_label.y + 14

    return TrendChart(
        width=WIDTH,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        points=chart_points,
        lines=lines,
        target_lines=target_lines,
        target_label=target_label,
        baseline=baseline_label,
        title=_("%(indicator)s, %(unit)s, %(first)s to %(last)s")
        % {
            "indicator": indicator.label,
            "unit": report.unit.name,
            "first": date_format(points[0].month, "F Y"),
            "last": date_format(points[-1].month, "F Y"),
        },
        description=trend_description(report, len(points) - len(shown), last_target, baseline, suppress=suppress),
    )


def trend_description(report: UnitReport, too_few: int, target, baseline, *, suppress: bool = False) -> str:
    parts = []
    rate = report.rate
    if rate_shown(rate, suppress=suppress, min_denominator=report.min_denominator):
        parts.append(
            _("Latest month %(rate)s %% (95 %% CI %(low)s–%(high)s) of %(n)s.")
            % {"rate": _pct(rate.rate), "low": _pct(rate.low), "high": _pct(rate.high), "n": rate.denominator}
        )
    else:
        parts.append(_("Latest month: too few patients to show a rate."))
    if target:
        parts.append(_("Target line at %(value)s %%.") % {"value": _pct(float(target.percent) / 100)})
    if baseline is not None:
        parts.append(_("National baseline line at %(value)s %%.") % {"value": floatformat(baseline, "-1")})
    if too_few:
        parts.append(_("%(count)s months have too few patients and are not drawn.") % {"count": too_few})
    parts.append(_("Dots are monthly rates, vertical lines their 95 % intervals. The table below has every value."))
    return " ".join(parts)


@dataclass
class FunnelDot:
    x: float
    y: float
    position: str
    label: str
    code: str
    show_code: bool

    # Triangles (above/below the limits) so that position does not rest on colour alone.
    @property
    def x_left(self) -> float:
        return round(self.x - 6, 1)

    @property
    def x_right(self) -> float:
        return round(self.x + 6, 1)

    @property
    def x_label(self) -> float:
        return round(self.x + 9, 1)

    @property
    def y_up(self) -> float:
        return round(self.y - 7, 1)

    @property
    def y_down(self) -> float:
        return round(self.y + 7, 1)

    @property
    def y_up_small(self) -> float:
        return round(self.y - 4, 1)

    @property
    def y_down_small(self) -> float:
        return round(self.y + 4, 1)


@dataclass
class FunnelChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    centre_y: float | None
    centre_label: str
    limits: dict[str, str] = field(default_factory=dict)  # name → polyline points
    dots: list[FunnelDot] = field(default_factory=list)
    title: str = ""
    description: str = ""
    x_label: str = ""

    @property
    def tick_x(self) -> float:
        return self.left - 8

    @property
    def label_x(self) -> float:
        return self.right + 8

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top

    @property
    def bottom_tick(self) -> float:
        return self.bottom + 4

    @property
    def x_label_x(self) -> float:
        return round((self.left + self.right) / 2, 1)


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def funnel_chart(report: ComparisonReport, height: int = 420, *, suppress: bool = True) -> FunnelChart:
    # A dot's height and position give its rate and n: a unit whose rate is suppressed is not drawn.
    plotted = [
        row for row in report.plotted if rate_shown(row.rate, suppress=suppress, min_denominator=report.min_denominator)
    ]
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, height - BOTTOM
    max_n = max([row.rate.denominator for row in plotted] + [report.min_denominator, 10])
    x_step = _nice_step(max_n * 1.05)
    x_max = math.ceil(max_n * 1.05 / x_step) * x_step
    highest = max([row.rate.rate * 100 for row in plotted] + [(report.centre or 0) * 100 + 20, 20])
    y_max = min(100.0, _nice_ceiling(highest + 5, 10 if highest + 5 <= 60 else 20))

    def x_of(n: float) -> float:
        return round(left + (right - left) * n / x_max, 1)

    def y_of(value_percent: float) -> float:
        # Not clamped: the limit curves run off the top and the clip path cuts them at the plot's edge.
        return round(bottom - (bottom - top) * value_percent / y_max, 1)

    x_ticks = [Tick(x_of(value), f"{value:g}") for value in _frange(0, x_max, x_step)]
    y_ticks = [Tick(y_of(value), f"{value:g} %") for value in range(0, int(y_max) + 1, 10 if y_max <= 60 else 20)]
    limits = {}
    if report.funnel:
        for name in ("low_998", "low_95", "high_95", "high_998"):
            limits[name] = " ".join(
                f"{x_of(point.n)},{y_of(getattr(point, name) * 100)}"
                for point in report.funnel
                if point.n >= report.min_denominator or point is report.funnel[-1]
            )
    dots = []
    for row in plotted:
        rate = row.rate
        dots.append(
            FunnelDot(
                x=x_of(rate.denominator),
                y=y_of(rate.rate * 100),
                position=row.position,
                label=_("%(unit)s: %(rate)s %% of %(n)s")
                % {"unit": row.unit.name, "rate": _pct(rate.rate), "n": rate.denominator},
                code=row.unit.code,
                show_code=row.position != "within",
            )
        )
    centre_label = ""
    if report.centre is not None:
        centre_label = (_("Target %(value)s %%") if report.centre_is_target else _("All units %(value)s %%")) % {
            "value": _pct(report.centre)
        }
    outside = sum(1 for row in plotted if row.position != "within")
    return FunnelChart(
        width=WIDTH,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        centre_y=y_of(report.centre * 100) if report.centre is not None else None,
        centre_label=centre_label,
        limits=limits,
        dots=dots,
        x_label=_("%(denominator)s in the month (n)") % {"denominator": report.indicator.denominator_short},
        title=_("%(indicator)s by unit, %(month)s: funnel plot")
        % {"indicator": report.indicator.label, "month": date_format(report.month, "F Y")},
        description=_(
            "Each marker is a unit: its rate against its number of patients. The curves are the 95 %% "
            "(inner) and 99.8 %% (outer) control limits around %(centre)s. %(plotted)s units drawn, "
            "%(outside)s outside the 95 %% limits; units with too few patients are listed in the table only."
        )
        % {"centre": centre_label or _("the centre line"), "plotted": len(plotted), "outside": outside},
    )


def _frange(start: float, stop: float, step: float):
    value = start
    while value <= stop + step / 1000:
        yield round(value, 6)
        value += step
