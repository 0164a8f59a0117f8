"""The two reports, as data: one unit's month with its trend, and all units compared.

The page, every export and the monthly_report command build their reports with these two
functions, so they cannot disagree. Suppression of small numbers is a presentation matter
(reports.presentation); these hold the exact counts.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from accounts.models import Unit
from core.periods import add_months, month_range
from reports import indicators
from reports.indicators import INDICATORS, BreakdownRow, Figures, Indicator
from reports.models import MonthlyBreakdown
from reports.statistics import FunnelPoint, Proportion, funnel_curve, funnel_position
from reports.targets import AppliedTarget, common_path, resolve_targets

SPANS = (12, 24)
PREVIOUS_MONTHS = 3


@dataclass
class MonthPoint:
    month: datetime.date
    figures: Figures
    rate: Proportion
    target: AppliedTarget | None


@dataclass
class IndicatorSummary:
    indicator: Indicator
    rate: Proportion
    target: AppliedTarget | None


@dataclass
class UnitReport:
    unit: Unit
    month: datetime.date
    indicator: Indicator
    span: int
    points: list[MonthPoint]  # `span` months ending with `month`, oldest first
    previous: Proportion  # the three months before `month`, pooled (patient-months)
    summaries: list[IndicatorSummary]  # every indicator in `month`
    fellowships: list[BreakdownRow]
    clinicians: list[BreakdownRow] | None  # only when asked for (unit leads)
    generated_at: datetime.datetime
    min_denominator: int
    targets: dict = field(default_factory=dict)  # (unit id, indicator code, month) → AppliedTarget

    @property
    def baseline_percent(self):
        return self.indicator.baseline_percent

    @property
    def frozen(self) -> bool:
        return self.figures.frozen

    @property
    def current(self) -> MonthPoint:
        return self.points[-1]

    @property
    def figures(self) -> Figures:
        return self.current.figures

    @property
    def rate(self) -> Proportion:
        return self.current.rate

    @property
    def target(self) -> AppliedTarget | None:
        return self.current.target

    @property
    def change_points(self) -> float | None:
        """This month's rate minus the previous three months' pooled rate, in percentage points.

        None when either has a denominator under the small-number threshold.
        """
        if self.rate.denominator < self.min_denominator or self.previous.denominator < self.min_denominator:
            return None
        return (self.rate.rate - self.previous.rate) * 100


def build_unit_report(
    *,
    unit: Unit,
    month: datetime.date,
    indicator_code: str,
    span: int = 12,
    include_clinicians: bool = False,
    now: datetime.datetime | None = None,
) -> UnitReport:
    """One unit's report (the unit and every unit below it). A fixed number of queries (at most eight)."""
    indicator = INDICATORS[indicator_code]
    span = span if span in SPANS else SPANS[0]
    months = month_range(month, max(span, PREVIOUS_MONTHS + 1))
    frozen = indicators.frozen_months(months)
    figures = indicators.scope_figures_by_month(unit, months, frozen=frozen)
    targets = resolve_targets([unit], months, list(INDICATORS))

    points = [
        MonthPoint(
            month=each,
            figures=figures[each],
            rate=figures[each].proportion(indicator),
            target=targets.get((unit.pk, indicator.code, each)),
        )
        for each in months[-span:]
    ]
    previous_months = [add_months(month, -offset) for offset in range(1, PREVIOUS_MONTHS + 1)]
    pooled = sum((figures[each] for each in previous_months), Figures())
    current = figures[month]
    return UnitReport(
        unit=unit,
        month=month,
        indicator=indicator,
        span=span,
        points=points,
        previous=pooled.proportion(indicator),
        summaries=[
            IndicatorSummary(each, current.proportion(each), targets.get((unit.pk, each.code, month)))
            for each in INDICATORS.values()
        ],
        fellowships=indicators.breakdown(unit, month, MonthlyBreakdown.Dimension.FELLOWSHIP, frozen=frozen),
        clinicians=(
            indicators.breakdown(unit, month, MonthlyBreakdown.Dimension.CLINICIAN, frozen=frozen)
            if include_clinicians
            else None
        ),
        generated_at=now or timezone.now(),
        min_denominator=settings.REPORT_MIN_DENOMINATOR,
        targets=targets,
    )


@dataclass
class ComparisonRow:
    unit: Unit
    figures: Figures
    rate: Proportion
    target: AppliedTarget | None
    position: str  # funnel position against the centre line (reports.statistics.funnel_position)


@dataclass
class ComparisonReport:
    month: datetime.date
    indicator: Indicator
    scope: Unit | None  # None: all units
    rows: list[ComparisonRow]
    pooled: Proportion
    centre: float | None  # fraction; the funnel's centre line
    centre_is_target: bool
    centre_target: AppliedTarget | None = None
    funnel: list[FunnelPoint] = field(default_factory=list)
    generated_at: datetime.datetime | None = None
    min_denominator: int = 10
    targets: dict = field(default_factory=dict)  # (unit id, indicator code, month) → AppliedTarget
    frozen: bool = False

    @property
    def baseline_percent(self):
        return self.indicator.baseline_percent

    @property
    def centre_percent(self) -> float | None:
        return None if self.centre is None else self.centre * 100

    @property
    def plotted(self) -> list[ComparisonRow]:
        return [row for row in self.rows if row.rate.denominator >= self.min_denominator]


def build_comparison(
    *,
    month: datetime.date,
    indicator_code: str,
    scope: Unit | None = None,
    now: datetime.datetime | None = None,
) -> ComparisonReport:
    """Every unit with contacts of its own in the month (within `scope`), for a funnel plot. Five queries.

    The centre line is the target of the smallest unit containing every compared unit (its own or
    inherited from above); without one, the units' pooled rate (and the page says so).
    """
    indicator = INDICATORS[indicator_code]
    units_filter = Unit.objects.filter(path__startswith=scope.path) if scope is not None else None
    frozen = indicators.frozen_months([month])
    by_unit = indicators.own_figures_by_unit(month, units=units_filter, frozen=frozen)
    units = {unit.pk: unit for unit in Unit.objects.filter(pk__in=list(by_unit))}
    # The benchmark is the target of the smallest unit that contains every compared unit.
    container = common_path([unit.path for unit in units.values()]) or (scope.path if scope else None)
    targets = resolve_targets(units.values(), [month], list(INDICATORS), extra_paths=[container])

    pooled_figures = sum(by_unit.values(), Figures())
    pooled = pooled_figures.proportion(indicator)
    container_target = targets.get((container, indicator.code, month)) if container else None
    if container_target is not None:
        centre, centre_is_target = float(container_target.percent) / 100, True
    else:
        centre, centre_is_target = pooled.rate, False

    min_denominator = settings.REPORT_MIN_DENOMINATOR
    rows = []
    for pk, figures in by_unit.items():
        rate = figures.proportion(indicator)
        if rate.denominator == 0:
            continue
        position = funnel_position(rate.numerator, rate.denominator, centre) if centre is not None else "within"
        rows.append(ComparisonRow(units[pk], figures, rate, targets.get((pk, indicator.code, month)), position))
    rows.sort(key=lambda row: row.unit.path)
    plotted = [row.rate.denominator for row in rows if row.rate.denominator >= min_denominator]
    funnel = funnel_curve(centre, max(plotted)) if (centre is not None and plotted) else []
    return ComparisonReport(
        month=month,
        indicator=indicator,
        scope=scope,
        rows=rows,
        pooled=pooled,
        centre=centre,
        centre_is_target=centre_is_target,
        centre_target=container_target,
        funnel=funnel,
        generated_at=now or timezone.now(),
        min_denominator=min_denominator,
        targets=targets,
        frozen=bool(frozen),
    )
