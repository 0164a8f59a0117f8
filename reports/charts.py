"""Geometry for the server-rendered SVG charts. Templates draw; this computes coordinates.

Charts draw published reports only (reports.disclosure): a rate that is not shown as a number has no
point, dot or limit here either.
"""

import math
from dataclasses import dataclass, field

from django.template.defaultfilters import floatformat
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from reports.disclosure import PublishedComparison, PublishedUnitReport
from reports.statistics import percent

WIDTH = 760
LEFT, RIGHT, TOP, BOTTOM = 56, 128, 16, 52


def _pct(fraction: float) -> str:
    return number_format(percent(fraction), 1)


def _nice_ceiling(value: float, step: float = 10) -> float:
    return max(step, math.ceil(value / step) * step)


def _y_ticks(y_max: float, y_of) -> list["Tick"]:
    return [Tick(y_of(value), f"{value:g} %") for value in range(0, int(y_max) + 1, 10 if y_max <= 60 else 20)]


@dataclass
class Tick:
    position: float
    label: str
    sublabel: str = ""


class _Marker:
    """Corners of the triangle markers (above/below, improvement/concern), so that meaning does not rest on colour."""

    x: float
    y: float

    @property
    def y_up(self) -> float:
        return round(self.y - 7, 1)

    @property
    def y_down(self) -> float:
        return round(self.y + 7, 1)

    @property
    def x_left(self) -> float:
        return round(self.x - 6, 1)

    @property
    def x_right(self) -> float:
        return round(self.x + 6, 1)

    @property
    def y_up_small(self) -> float:
        return round(self.y - 4, 1)

    @property
    def y_down_small(self) -> float:
        return round(self.y + 4, 1)


@dataclass
class TrendPoint(_Marker):
    x: float
    y: float
    label: str
    signal: str  # "improvement", "concern" or "" (common cause)


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
    limit_lines: list[str]  # the 3-sigma limits, as steps per month
    centre_line: str
    target_lines: list[str]
    centre_label: LineLabel | None
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


class _TrendScale:
    """Month index → x and percent → y for a trend chart of `count` months."""

    def __init__(self, count: int, y_max: float, height: int):
        self.left, self.right, self.top, self.bottom = LEFT, WIDTH - RIGHT, TOP, height - BOTTOM
        self.step = (self.right - self.left) / count
        self.y_max = y_max

    def x(self, index: int) -> float:
        return round(self.left + (index + 0.5) * self.step, 1)

    def y(self, value_percent: float) -> float:
        return round(self.bottom - (self.bottom - self.top) * value_percent / self.y_max, 1)

    def step_run(self, index: int, value_percent: float) -> list[str]:
        y = self.y(value_percent)
        return [f"{round(self.x(index) - self.step / 2, 1)},{y}", f"{round(self.x(index) + self.step / 2, 1)},{y}"]


def _runs(values: list, make) -> list[str]:
    """Polylines through consecutive non-None values; `make(index, value)` gives a point's coordinates."""
    lines, run = [], []
    for index, value in enumerate(values):
        if value is None:
            if len(run) > 1:
                lines.append(" ".join(run))
            run = []
            continue
        run += make(index, value)
    if len(run) > 1:
        lines.append(" ".join(run))
    return lines


def _x_ticks(months, scale: _TrendScale) -> list[Tick]:
    every = 1 if len(months) <= 12 else 2
    ticks = []
    for index, month in enumerate(months):
        # Counted back from the latest month, so that it always has its label and the spacing stays even.
        if (len(months) - 1 - index) % every == 0:
            sublabel = str(month.year) if index == 0 or month.month == 1 else ""
            ticks.append(Tick(scale.x(index), date_format(month, "M"), sublabel))
    return ticks


def _separate(first: LineLabel | None, second: LineLabel | None) -> None:
    """Keep two line labels at least 14 units apart when their lines are close."""
    if first and second and abs(first.y - second.y) < 14:
        if first.y <= second.y:
            second.y = first.y + 14
        else:
            first.y = second.y + 14


def _point_label(point) -> str:
    return _("%(month)s: %(rate)s %% of %(n)s; limits %(low)s–%(high)s %%") % {
        "month": date_format(point.month, "F Y"),
        "rate": _pct(point.rate),
        "n": point.denominator,
        "low": _pct(point.low),
        "high": _pct(point.high),
    }


def trend_chart(report: PublishedUnitReport, height: int = 300) -> TrendChart:
    """The p-chart of the published months: rate, centre line, 3-sigma limits, target and baseline."""
    months = [point.month for point in report.points]
    spc = {point.month: point for point in report.spc.points}
    targets = [float(point.target.percent) if point.target else None for point in report.points]
    baseline = float(report.indicator.baseline_percent) if report.indicator.has_baseline else None
    highs = [point.high * 100 for point in spc.values()]
    top_value = max(highs + [value for value in targets if value is not None] + [baseline or 0, 10])
    scale = _TrendScale(
        len(months), min(100.0, _nice_ceiling(top_value + 5, 10 if top_value + 5 <= 60 else 20)), height
    )
    by_index = [spc.get(month) for month in months]
    points = [
        TrendPoint(
            scale.x(index),
            scale.y(point.rate * 100),
            _point_label(point),
            "improvement" if point.improvement else "concern" if point.concern else "",
        )
        for index, point in enumerate(by_index)
        if point is not None
    ]
    centre = report.spc.centre
    last_target = next((point.target for point in reversed(report.points) if point.target), None)
    target_label = _line_label(scale, last_target and float(last_target.percent), _("Target %(value)s %%"))
    centre_label = _line_label(scale, centre is not None and points and centre * 100, _("Mean %(value)s %%"))
    baseline_label = (
        LineLabel(scale.y(baseline), _("Baseline %(value)s %%") % {"value": floatformat(baseline, "-1")})
        if baseline is not None
        else None
    )
    _separate(target_label, baseline_label)
    _separate(centre_label, target_label)
    _separate(centre_label, baseline_label)
    return TrendChart(
        width=WIDTH,
        height=height,
        left=scale.left,
        right=scale.right,
        top=scale.top,
        bottom=scale.bottom,
        y_ticks=_y_ticks(scale.y_max, scale.y),
        x_ticks=_x_ticks(months, scale),
        points=points,
        lines=_runs([point and point.rate for point in by_index], lambda i, v: [f"{scale.x(i)},{scale.y(v * 100)}"]),
        limit_lines=[
            *_runs([point and point.low * 100 for point in by_index], scale.step_run),
            *_runs([point and point.high * 100 for point in by_index], scale.step_run),
        ],
        centre_line=(
            f"{scale.left},{scale.y(centre * 100)} {scale.right},{scale.y(centre * 100)}" if centre and points else ""
        ),
        target_lines=_runs(targets, scale.step_run),
        centre_label=centre_label,
        target_label=target_label,
        baseline=baseline_label,
        title=_("%(indicator)s, %(unit)s, %(first)s to %(last)s")
        % {
            "indicator": report.indicator.label,
            "unit": report.unit.name,
            "first": date_format(months[0], "F Y"),
            "last": date_format(months[-1], "F Y"),
        },
        description=trend_description(report, len(months) - len(points), last_target, baseline),
    )


def _line_label(scale: _TrendScale, value_percent, text: str) -> LineLabel | None:
    if value_percent is None or value_percent is False:
        return None
    return LineLabel(scale.y(value_percent), text % {"value": _pct(value_percent / 100)})


def trend_description(report: PublishedUnitReport, not_drawn: int, target, baseline) -> str:
    parts = []
    rate = report.headline
    if rate.proportion is not None:
        parts.append(
            _("Latest month %(rate)s %% (95 %% CI %(low)s–%(high)s) of %(n)s.")
            % {
                "rate": _pct(rate.proportion.rate),
                "low": _pct(rate.proportion.low),
                "high": _pct(rate.proportion.high),
                "n": rate.proportion.denominator,
            }
        )
    else:
        parts.append(_("Latest month: too few patients to show a rate."))
    if report.spc.centre is not None and report.spc.points:
        parts.append(_("Mean of the months drawn %(value)s %%.") % {"value": _pct(report.spc.centre)})
    if target:
        parts.append(_("Target line at %(value)s %%.") % {"value": _pct(float(target.percent) / 100)})
    if baseline is not None:
        parts.append(_("National baseline line at %(value)s %%.") % {"value": floatformat(baseline, "-1")})
    if not_drawn:
        parts.append(
            _("%(count)s months have too few patients or hidden counts and are not drawn.") % {"count": not_drawn}
        )
    parts.append(
        _(
            "Dots are monthly rates; the stepped lines are 3-sigma control limits, wider in months with few patients. "
            "The table below has every value."
        )
    )
    return " ".join(parts)


@dataclass
class SpcSummary:
    variation: str | None  # "improvement", "concern", "common" or None (too few months)
    assurance: str | None  # "meets", "fails", "inconsistent" or None (no target)
    centre_percent: float | None
    months: int
    signals: list  # PChartPoints with a signal, oldest first


def spc_summary(report: PublishedUnitReport) -> SpcSummary:
    """What the p-chart says, for the words under the chart (NHS "Making Data Count")."""
    spc = report.spc
    target = report.target or next((point.target for point in reversed(report.points) if point.target), None)
    return SpcSummary(
        variation=spc.variation,
        assurance=spc.assurance(float(target.percent) / 100 if target else None),
        centre_percent=None if spc.centre is None else float(percent(spc.centre)),
        months=len(spc.points),
        signals=[point for point in spc.points if point.signal],
    )


# --- The funnel plot ------------------------------------------------------------------------------


@dataclass
class FunnelDot(_Marker):
    x: float
    y: float
    position: str
    label: str
    code: str
    show_code: bool

    @property
    def x_label(self) -> float:
        return round(self.x + 9, 1)


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


def centre_label(report: PublishedComparison) -> str:
    if report.centre is None:
        return ""
    if report.centre_is_target:
        text = _("Target %(value)s %%")
    elif report.centre_is_pooled:
        text = _("All units %(value)s %%")
    else:
        text = _("Units shown %(value)s %%")
    return text % {"value": _pct(report.centre)}


def _funnel_dots(report: PublishedComparison, x_of, y_of) -> list[FunnelDot]:
    return [
        FunnelDot(
            x=x_of(row.rate.proportion.denominator),
            y=y_of(row.rate.proportion.rate * 100),
            position=row.position,
            label=_("%(unit)s (%(code)s): %(rate)s %% of %(n)s")
            % {
                "unit": row.unit.name,
                "code": row.unit.code,
                "rate": _pct(row.rate.proportion.rate),
                "n": row.rate.proportion.denominator,
            },
            code=row.unit.code,
            show_code=row.position != "within",
        )
        for row in report.plotted
    ]


def funnel_chart(report: PublishedComparison, height: int = 420) -> FunnelChart:
    plotted = report.plotted
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, height - BOTTOM
    max_n = max([row.rate.proportion.denominator for row in plotted] + [report.min_denominator, 10])
    x_step = _nice_step(max_n * 1.05)
    x_max = math.ceil(max_n * 1.05 / x_step) * x_step
    highest = max([row.rate.proportion.rate * 100 for row in plotted] + [(report.centre or 0) * 100 + 20, 20])
    y_max = min(100.0, _nice_ceiling(highest + 5, 10 if highest + 5 <= 60 else 20))

    def x_of(n: float) -> float:
        return round(left + (right - left) * n / x_max, 1)

    def y_of(value_percent: float) -> float:
        # Not clamped: the limit curves run off the top and the clip path cuts them at the plot's edge.
        return round(bottom - (bottom - top) * value_percent / y_max, 1)

    limits = {}
    if report.funnel:
        for name in ("low_998", "low_95", "high_95", "high_998"):
            limits[name] = " ".join(
                f"{x_of(point.n)},{y_of(getattr(point, name) * 100)}"
                for point in report.funnel
                if point.n >= report.min_denominator or point is report.funnel[-1]
            )
    label = centre_label(report)
    outside = sum(1 for row in plotted if row.position != "within")
    return FunnelChart(
        width=WIDTH,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        x_ticks=[Tick(x_of(value), f"{value:g}") for value in _frange(0, x_max, x_step)],
        y_ticks=_y_ticks(y_max, y_of),
        centre_y=y_of(report.centre * 100) if report.centre is not None else None,
        centre_label=label,
        limits=limits,
        dots=_funnel_dots(report, x_of, y_of),
        x_label=_("%(denominator)s in the month (n)") % {"denominator": report.indicator.denominator_short},
        title=_("%(indicator)s by unit, %(month)s: funnel plot")
        % {"indicator": report.indicator.label, "month": date_format(report.month, "F Y")},
        description=_(
            "Each marker is a unit: its rate against its number of patients. The curves are the 95 %% "
            "(inner) and 99.8 %% (outer) control limits around %(centre)s. %(plotted)s units drawn, "
            "%(outside)s outside the 95 %% limits; units with too few patients are listed in the table only."
        )
        % {"centre": label or _("the centre line"), "plotted": len(plotted), "outside": outside},
    )


def _frange(start: float, stop: float, step: float):
    value = start
    while value <= stop + step / 1000:
        yield round(value, 6)
        value += step
