"""The two reports, as data: one unit's month with its trend, and all units compared.

The page, every export and the monthly_report command build their reports with these two
functions, so they cannot disagree. These hold the exact counts; reports.disclosure turns them into
what a reader may see, in one step, before anything is drawn or written.
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
from reports.statistics import Proportion
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
    # Every month read (the trend and the three months before `month`) → the unit's figures.
    month_figures: dict = field(default_factory=dict)
    # month → [(unit id, scope, Figures)]: every column below the unit (own contacts of each unit in the
    # subtree, and the subtree of each unit below with units of its own), for secondary suppression.
    below: dict = field(default_factory=dict)
    # (scope, unit id, month) → the figures of the reader's own contacts in the unit's column and in each
    # column below (reports.disclosure, rule 7); empty for an open report or without a reader.
    reader: dict = field(default_factory=dict)

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


def build_unit_report(
    *,
    unit: Unit,
    month: datetime.date,
    indicator_code: str,
    span: int = 12,
    include_clinicians: bool = False,
    protected: bool = True,
    reader=None,
    now: datetime.datetime | None = None,
) -> UnitReport:
    """One unit's report (the unit and every unit below it). A fixed number of queries (at most eight); a
    protected report adds one for the tree, two more and up to three per unit below with units of its own when
    the unit has units below it, and at most two for the reader's own figures (rule 7) when given a reader."""
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
    # Only a protected report needs the columns below and the reader's own figures: an open one hides nothing.
    subtree = indicators.subtree_units(unit) if protected else []
    scopes = [unit, *indicators.parents_below(unit, subtree)]
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
        month_figures=figures,
        below=indicators.columns_below(unit, months, frozen=frozen, subtree=subtree) if protected else {},
        reader=indicators.reader_figures(reader, subtree, scopes, months, frozen=frozen) if protected else {},
    )


@dataclass
class ComparisonRow:
    unit: Unit
    figures: Figures
    rate: Proportion
    target: AppliedTarget | None


@dataclass
class ComparisonReport:
    month: datetime.date
    indicator: Indicator
    scope: Unit | None  # None: all units
    rows: list[ComparisonRow]
    pooled_figures: Figures
    centre_target: AppliedTarget | None  # the target of the smallest unit containing every compared unit
    generated_at: datetime.datetime | None = None
    min_denominator: int = 10
    targets: dict = field(default_factory=dict)  # (unit id, indicator code, month) → AppliedTarget
    frozen: bool = False
    # ("own", unit id, month) → the figures of the reader's own contacts in each unit (reports.disclosure, rule 7).
    reader: dict = field(default_factory=dict)


def build_comparison(
    *,
    month: datetime.date,
    indicator_code: str,
    scope: Unit | None = None,
    reader=None,
    now: datetime.datetime | None = None,
) -> ComparisonReport:
    """Every unit with contacts of its own in the month (within `scope`), for a funnel plot. Five queries, and
    one more for the reader's own figures (rule 7) when given a reader.

    The centre line is the target of the smallest unit containing every compared unit (its own or
    inherited from above); without one, the units' pooled rate as far as it may be shown (reports.disclosure).
    """
    indicator = INDICATORS[indicator_code]
    units_filter = Unit.objects.filter(path__startswith=scope.path) if scope is not None else None
    frozen = indicators.frozen_months([month])
    by_unit = indicators.own_figures_by_unit(month, units=units_filter, frozen=frozen)
    units = {unit.pk: unit for unit in Unit.objects.filter(pk__in=list(by_unit))}
    # The benchmark is the target of the smallest unit that contains every compared unit.
    container = common_path([unit.path for unit in units.values()]) or (scope.path if scope else None)
    targets = resolve_targets(units.values(), [month], list(INDICATORS), extra_paths=[container])
    rows = [
        ComparisonRow(units[pk], figures, figures.proportion(indicator), targets.get((pk, indicator.code, month)))
        for pk, figures in by_unit.items()
        if getattr(figures, indicator.denominator) > 0
    ]
    rows.sort(key=lambda row: row.unit.path)
    return ComparisonReport(
        month=month,
        indicator=indicator,
        scope=scope,
        rows=rows,
        pooled_figures=sum(by_unit.values(), Figures()),
        centre_target=targets.get((container, indicator.code, month)) if container else None,
        generated_at=now or timezone.now(),
        min_denominator=settings.REPORT_MIN_DENOMINATOR,
        targets=targets,
        frozen=bool(frozen),
        reader=indicators.reader_figures(
            reader, units_filter if units_filter is not None else Unit.objects.all(), [], [month], frozen=frozen
        ),
    )
