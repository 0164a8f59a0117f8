"""Disclosure control: the one step between the exact figures and everything a reader gets.

    compute (reports.selectors: exact counts)
      → publish (here: one function per report, which sees every cell, total, period and indicator the
        reader will get, and returns the published report)
      → render (reports.rendering, reports.charts, reports.exports: they draw and write only what this returns)

The rules, as Norwegian health statistics apply them ("prikking" with secondary suppression):

1. Primary. A count from 1 to 4 reads "<5". A rate whose denominator is under
   settings.REPORT_MIN_DENOMINATOR is not shown ("too few"), for everyone.
2. Complement. When the rest of a denominator (denominator − numerator) is from 1 to 4, the numerator
   reads "hidden" (skjult): with the denominator it would give the small rest back.
3. Nested indicators. One unit-month's indicators are nested (informed ⊇ referred ⊇ linked; suitable ⊆
   eligible; attended ⊆ followed up ⊆ referred), so differences between them are breakdowns (informed −
   referred = the patients at intensity 1). When any such difference is from 1 to 4, every count of the
   other indicators reads "hidden"; the referral rate's own pair stays under rules 1 and 2.
4. Periods. A pooled period (the three previous months) hides a count when any of its months hides it.
   The p-chart's centre line is computed from the published months only.
5. Hierarchy. A unit's total (the unit with every unit below it) hides a count when the same count is
   hidden in any column below it (a unit's own contacts, or a unit's subtree), so that no total minus
   the visible parts gives a hidden cell back. The comparison's "all these units" row follows the same
   rule, and its centre line, when it is not a target, is the rate of the rows whose counts are shown.
6. Leads. A unit's lead sees exact figures of the units they lead, on screen; files leave the unit and
   are always protected. Columns a reader leads never make their totals hide anything (the reader knows
   them), but the columns they do not lead still do.
7. The reader's own contacts. A protected reader knows the figures of the contacts they recorded (their
   feedback page shows them, and they saw the patients), so a column minus their own figures is their
   colleagues' figures. Every protected column that holds some of the reader's own contacts (a unit's
   total, the columns below it, pooled periods, the comparison's rows and "all these units" row) also
   hides each count that rules 1–3 mark in (column − the reader's own figures of the same scope and
   period), and the totals above inherit it under rules 4 and 5. Files a reader downloads follow the same
   rule for that reader: a file hides at least what the reader's page hides, so it cannot be held against
   the page. A lead's file of a unit they lead is the reader-free protected file (they know the exact
   figures anyway); the monthly e-mail and file of the monthly_report command have no reader and follow
   rules 1–6 only.

Every rule is a function of the figures and of the reader (the units they lead, the contacts they
recorded), never of the page asked for, so the page, every export and every other report the reader
can open hide the same cells.
tests/test_reports_disclosure_attack.py collects everything a persona can reach and tries to solve
each hidden cell by differencing; README ("Small numbers") has a worked example.
"""

import datetime
from dataclasses import dataclass, field

from core.periods import add_months
from reports.indicators import INDICATORS, OWN_SCOPE, SUBTREE_SCOPE, BreakdownRow, Figures, Indicator
from reports.models import IndicatorCode
from reports.presentation import HIDDEN, SUPPRESSED, RateView, is_small, percent
from reports.statistics import FunnelPoint, PChart, funnel_curve, funnel_position, p_chart, proportion
from reports.targets import AppliedTarget

PRIMARY_COUNTS = ("eligible", "referred")
SECONDARY_COUNTS = ("informed", "intensive", "suitable_eligible", "suitable_referred", "followed_up", "attended")
COMPLETENESS_COUNTS = ("contacts", "answered_contacts")
COUNTS = PRIMARY_COUNTS + SECONDARY_COUNTS + COMPLETENESS_COUNTS


def nested_differences(figures: Figures) -> list[int]:
    """Every patient count one can work out from the nested indicators of one column (rule 3)."""
    f = figures
    return [
        f.eligible - f.informed,  # not informed
        f.informed - f.referred,  # intensity 1
        f.referred - f.intensive,  # intensity 2
        f.intensive,
        f.eligible - f.suitable_eligible,  # not suitable
        f.suitable_eligible - f.suitable_referred,
        f.suitable_referred,
        f.referred - f.suitable_referred,  # referred although not suitable
        (f.eligible - f.referred) - (f.suitable_eligible - f.suitable_referred),  # not suitable, not referred
        f.referred - f.followed_up,  # no follow-up yet
        f.followed_up - f.attended,
        f.attended,
    ]


def column_marks(figures: Figures) -> dict[str, str]:
    """Rules 1–3 on one column: count name → "<5" or "hidden", for the counts a protected reader may not see."""
    marks = {name: SUPPRESSED for name in COUNTS if is_small(getattr(figures, name))}
    for indicator in INDICATORS.values():
        rest = getattr(figures, indicator.denominator) - getattr(figures, indicator.numerator)
        if is_small(rest):
            marks.setdefault(indicator.numerator, HIDDEN)
    if any(is_small(difference) for difference in nested_differences(figures)):
        for name in SECONDARY_COUNTS:
            marks.setdefault(name, HIDDEN)
    return marks


@dataclass(frozen=True)
class Column:
    """One column of figures (a unit or a total, a month or a pooled period) as a reader may see it."""

    figures: Figures
    marks: dict = field(default_factory=dict)  # count name → "<5" / "hidden"; empty for an open column

    def text(self, name: str) -> str:
        return str(self.marks.get(name, getattr(self.figures, name)))

    def value(self, name: str) -> int | None:
        return None if name in self.marks else getattr(self.figures, name)

    def rate(self, indicator: Indicator, min_denominator: int) -> RateView:
        return self.pair(indicator.numerator, indicator.denominator, min_denominator)

    def pair(self, numerator: str, denominator: str, min_denominator: int) -> RateView:
        x, n = self.value(numerator), self.value(denominator)
        exact = proportion(getattr(self.figures, numerator), getattr(self.figures, denominator))
        large_enough = exact.denominator >= max(1, min_denominator)
        shown = large_enough and x is not None and n is not None
        return RateView(
            numerator=self.text(numerator),
            denominator=self.text(denominator),
            percent=percent(exact.rate) if shown else None,
            low=percent(exact.low) if shown else None,
            high=percent(exact.high) if shown else None,
            suppressed=large_enough and not shown,
            x=x,
            n=n,
            proportion=exact if shown else None,
        )


def open_column(figures: Figures) -> Column:
    return Column(figures)


def protected_column(figures: Figures, *, inherited=()) -> Column:
    """Rules 1–3 on the column, plus the names hidden in the columns it is a total of (rules 4 and 5)."""
    marks = column_marks(figures)
    for name in inherited:
        marks.setdefault(name, HIDDEN)
    return Column(figures, marks)


def hidden_names(columns) -> set[str]:
    return {name for column in columns for name in column.marks}


def own_marks(figures: Figures, own: Figures | None) -> set[str]:
    """Rule 7: the counts rules 1–3 mark in the column minus the reader's own figures of the same scope and
    period (their colleagues' figures), when the reader has contacts there."""
    if own is None or not (own.eligible or own.contacts):
        return set()
    return set(column_marks(figures - own))


def reader_column(figures: Figures, own: Figures | None, *, inherited=()) -> Column:
    """A protected column read by a reader with figures of their own in it (rules 1–3, 7, and `inherited`)."""
    return protected_column(figures, inherited=set(inherited) | own_marks(figures, own))


# --- A unit's report ------------------------------------------------------------------------------


@dataclass
class PublishedPoint:
    month: datetime.date
    rate: RateView
    target: AppliedTarget | None


@dataclass
class PublishedSummary:
    indicator: Indicator
    rate: RateView
    target: AppliedTarget | None


@dataclass
class PublishedUnitReport:
    """What a reader gets of one unit's report. Renderers see only this."""

    unit: object
    month: datetime.date
    indicator: Indicator
    span: int
    min_denominator: int
    generated_at: datetime.datetime
    frozen: bool
    protected: bool
    target: AppliedTarget | None
    headline: RateView
    points: list[PublishedPoint]  # oldest first
    previous: RateView
    summaries: list[PublishedSummary]
    completeness: RateView
    columns: dict  # month → Column, for the files (every indicator of every month)
    targets: dict
    spc: PChart
    # Breakdowns whose rows add up to the totals: only on an open (lead's) page.
    fellowships: list[BreakdownRow] | None = None
    clinicians: list[BreakdownRow] | None = None
    figures: Figures | None = None  # the month's exact figures, only on an open page

    @property
    def baseline_percent(self):
        return self.indicator.baseline_percent

    @property
    def rate(self) -> RateView:
        return self.headline

    @property
    def change_points(self) -> float | None:
        """This month's rate minus the previous three months' pooled rate, in percentage points, if both show."""
        if self.headline.proportion is None or self.previous.proportion is None:
            return None
        return (self.headline.proportion.rate - self.previous.proportion.rate) * 100


def _month_columns(report, *, protected: bool, led_unit_ids) -> dict:
    if not protected:
        return {month: open_column(figures) for month, figures in report.month_figures.items()}
    columns = {}
    for month, figures in report.month_figures.items():
        below = [
            reader_column(each, report.reader.get((scope, unit_id, month)))
            for unit_id, scope, each in report.below.get(month, [])
            if unit_id not in led_unit_ids
        ]
        own = report.reader.get((SUBTREE_SCOPE, report.unit.pk, month))
        columns[month] = reader_column(figures, own, inherited=hidden_names(below))
    return columns


def _reader_sum(report, key_of, keys) -> Figures | None:
    """The reader's own figures summed over several columns (a pooled period, all compared units)."""
    found = [report.reader[key_of(key)] for key in keys if key_of(key) in report.reader]
    return sum(found, Figures()) if found else None


def publish_unit_report(report, *, protected: bool, led_unit_ids=frozenset()) -> PublishedUnitReport:
    """The one disclosure step for a unit's report (reports.selectors.UnitReport → PublishedUnitReport).

    `protected`: the reader does not lead the unit, or the report leaves the unit as a file.
    `led_unit_ids`: units below that the reader leads (their figures are known to the reader).
    The reader's own figures (rule 7) come with the exact report (`report.reader`).
    """
    minimum = report.min_denominator
    columns = _month_columns(report, protected=protected, led_unit_ids=led_unit_ids)
    current = columns[report.month]
    previous_months = [add_months(report.month, -offset) for offset in range(1, 4)]
    pooled = sum((report.month_figures[month] for month in previous_months), Figures())
    if protected:
        own = _reader_sum(report, lambda month: (SUBTREE_SCOPE, report.unit.pk, month), previous_months)
        previous = reader_column(pooled, own, inherited=hidden_names(columns[month] for month in previous_months))
    else:
        previous = open_column(pooled)
    points = [
        PublishedPoint(point.month, columns[point.month].rate(report.indicator, minimum), point.target)
        for point in report.points
    ]
    return PublishedUnitReport(
        unit=report.unit,
        month=report.month,
        indicator=report.indicator,
        span=report.span,
        min_denominator=minimum,
        generated_at=report.generated_at,
        frozen=report.frozen,
        protected=protected,
        target=report.target,
        headline=current.rate(report.indicator, minimum),
        points=points,
        previous=previous.rate(report.indicator, minimum),
        summaries=[
            PublishedSummary(summary.indicator, current.rate(summary.indicator, minimum), summary.target)
            for summary in report.summaries
        ],
        completeness=current.rate(INDICATORS[IndicatorCode.DATA_COMPLETENESS], minimum),
        columns={point.month: columns[point.month] for point in report.points},
        targets=report.targets,
        spc=p_chart([(point.month, point.rate.x, point.rate.n) for point in points if not point.rate.too_few]),
        fellowships=None if protected else report.fellowships,
        clinicians=None if protected else report.clinicians,
        figures=None if protected else report.figures,
    )


# --- The comparison -------------------------------------------------------------------------------


@dataclass
class PublishedRow:
    unit: object
    column: Column
    rate: RateView
    target: AppliedTarget | None
    position: str

    @property
    def plotted(self) -> bool:
        return not self.rate.too_few


@dataclass
class PublishedComparison:
    month: datetime.date
    indicator: Indicator
    scope: object
    rows: list[PublishedRow]
    pooled: RateView
    centre: float | None  # fraction: the target, else the rate of the rows shown
    centre_is_target: bool
    centre_is_pooled: bool  # False: the centre is the rate of the rows shown (the pooled rate is hidden)
    centre_target: AppliedTarget | None
    funnel: list[FunnelPoint]
    generated_at: datetime.datetime
    min_denominator: int
    targets: dict
    frozen: bool
    protected: bool = True

    @property
    def baseline_percent(self):
        return self.indicator.baseline_percent

    @property
    def centre_percent(self):
        return None if self.centre is None else self.centre * 100

    @property
    def plotted(self) -> list[PublishedRow]:
        return [row for row in self.rows if row.plotted]


def _centre(report, rows: list[Column], pooled: RateView) -> tuple[float | None, bool]:
    """The funnel's centre when no target is set: the pooled rate if shown, else the rate of the shown rows."""
    if pooled.proportion is not None:
        return pooled.proportion.rate, True
    numerator = report.indicator.numerator
    denominator = report.indicator.denominator
    shown = [row for row in rows if row.value(numerator) is not None and row.value(denominator) is not None]
    total = sum(row.value(denominator) for row in shown)
    if not total:
        return None, False
    return sum(row.value(numerator) for row in shown) / total, False


def publish_comparison(report, *, protected: bool = True) -> PublishedComparison:
    """The one disclosure step for the comparison (reports.selectors.ComparisonReport → PublishedComparison).

    The reader's own figures in each unit (rule 7) come with the exact report (`report.reader`)."""
    minimum = report.min_denominator
    if protected:
        columns = [
            (row, reader_column(row.figures, report.reader.get((OWN_SCOPE, row.unit.pk, report.month))))
            for row in report.rows
        ]
        own = _reader_sum(report, lambda key: key, [key for key in report.reader if key[0] == OWN_SCOPE])
        inherited = hidden_names(column for _row, column in columns)
        pooled_column = reader_column(report.pooled_figures, own, inherited=inherited)
    else:
        columns = [(row, open_column(row.figures)) for row in report.rows]
        pooled_column = open_column(report.pooled_figures)
    pooled = pooled_column.rate(report.indicator, minimum)
    if report.centre_target is not None:
        centre, centre_is_target, centre_is_pooled = float(report.centre_target.percent) / 100, True, False
    else:
        centre, centre_is_pooled = _centre(report, [column for _row, column in columns], pooled)
        centre_is_target = False
    rows = []
    for row, column in columns:
        rate = column.rate(report.indicator, minimum)
        position = "within"
        if centre is not None and rate.proportion is not None:
            position = funnel_position(rate.proportion.numerator, rate.proportion.denominator, centre)
        rows.append(PublishedRow(row.unit, column, rate, row.target, position))
    plotted = [row.rate.n for row in rows if row.plotted]
    return PublishedComparison(
        month=report.month,
        indicator=report.indicator,
        scope=report.scope,
        rows=rows,
        pooled=pooled,
        centre=centre,
        centre_is_target=centre_is_target,
        centre_is_pooled=centre_is_pooled,
        centre_target=report.centre_target,
        funnel=funnel_curve(centre, max(plotted)) if (centre is not None and plotted) else [],
        generated_at=report.generated_at,
        min_denominator=minimum,
        targets=report.targets,
        frozen=report.frozen,
        protected=protected,
    )
