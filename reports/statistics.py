"""Proportions with honest uncertainty: the Wilson score interval and funnel-plot control limits.

Pure functions on counts; nothing here touches the database.
"""

import functools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Two-sided standard normal quantiles.
Z_95 = 1.959963984540054  # 95 %
Z_998 = 3.090232306167813  # 99.8 %


@dataclass(frozen=True)
class Proportion:
    """x of n with its Wilson interval. Fractions (0–1); `None` when n is 0."""

    numerator: int
    denominator: int
    rate: float | None
    low: float | None
    high: float | None


def wilson_interval(numerator: int, denominator: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for numerator/denominator (Wilson 1927; Newcombe 1998, method 3).

    Unlike the normal ("Wald") interval it stays inside 0–1 and is sensible for 0/n and n/n,
    which matters for small units.
    """
    if denominator <= 0:
        raise ValueError("The denominator must be positive.")
    if not 0 <= numerator <= denominator:
        raise ValueError("The numerator must be between 0 and the denominator.")
    n = denominator
    p = numerator / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half_width = (z / (1 + z2 / n)) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


def proportion(numerator: int, denominator: int) -> Proportion:
    if denominator <= 0:
        return Proportion(numerator, denominator, None, None, None)
    low, high = wilson_interval(numerator, denominator)
    return Proportion(numerator, denominator, numerator / denominator, low, high)


def percent(fraction: float | None) -> Decimal | None:
    """A fraction as a percentage with one decimal, rounded half up (15.154 % → 15.2)."""
    if fraction is None:
        return None
    return (Decimal(repr(fraction)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Funnel plots (Spiegelhalter, "Funnel plots for comparing institutional performance",
# Statistics in Medicine 2005;24:1185–1202). Limits are exact binomial quantiles around the
# target p0, interpolated between integers as in the paper's appendix, so that they are smooth
# curves rather than steps and stay correct for the small denominators typical of one unit.


def _binomial_cdf_table(n: int, p: float, upto: float = 0.9995) -> list[float]:
    """P(R ≤ r) for r = 0, 1, … until it reaches `upto`, R ~ Binomial(n, p).

    The probability mass is built by the recurrence pmf(r+1) = pmf(r)·(n−r)/(r+1)·p/q in log space,
    so that large n neither underflows nor needs a log-gamma per term.
    """
    log_ratio = math.log(p) - math.log1p(-p)
    log_pmf = n * math.log1p(-p)
    cumulative, total = [], 0.0
    for r in range(n + 1):
        total += math.exp(log_pmf)
        cumulative.append(min(total, 1.0))
        if total >= upto:
            break
        log_pmf += math.log(n - r) - math.log(r + 1) + log_ratio
    return cumulative


def _limit_from_table(cdf: list[float], n: int, tail: float) -> float:
    r = next((index for index, value in enumerate(cdf) if value >= tail), len(cdf) - 1)
    below = cdf[r - 1] if r > 0 else 0.0
    step = cdf[r] - below
    alpha = (cdf[r] - tail) / step if step > 0 else 0.0
    return min(1.0, max(0.0, (r - alpha) / n))


def binomial_limit(n: int, p0: float, tail: float) -> float:
    """The proportion below which a unit of size n falls with probability `tail` if its true rate is p0.

    r_p is the smallest r with P(R ≤ r) ≥ tail; the limit is (r_p − α)/n with
    α = (P(R ≤ r_p) − tail) / (P(R ≤ r_p) − P(R ≤ r_p − 1)) (Spiegelhalter 2005, appendix A.1.1).
    """
    if n <= 0:
        raise ValueError("n must be positive.")
    if p0 <= 0 or p0 >= 1:
        return min(1.0, max(0.0, p0))  # no variation around a target of 0 % or 100 %
    return _limit_from_table(_binomial_cdf_table(n, p0, upto=max(tail, 0.9995)), n, tail)


@dataclass(frozen=True)
class FunnelPoint:
    n: int
    low_998: float
    low_95: float
    high_95: float
    high_998: float


@functools.lru_cache(maxsize=4096)
def funnel_limits(p0: float, n: int) -> FunnelPoint:
    """95 % and 99.8 % control limits around the target p0 for denominator n (one binomial table)."""
    if n <= 0:
        raise ValueError("n must be positive.")
    if p0 <= 0 or p0 >= 1:
        edge = min(1.0, max(0.0, p0))
        return FunnelPoint(n, edge, edge, edge, edge)
    cdf = _binomial_cdf_table(n, p0)
    return FunnelPoint(
        n=n,
        low_998=_limit_from_table(cdf, n, 0.001),
        low_95=_limit_from_table(cdf, n, 0.025),
        high_95=_limit_from_table(cdf, n, 0.975),
        high_998=_limit_from_table(cdf, n, 0.999),
    )


def funnel_curve(p0: float, max_n: int, points: int = 40) -> list[FunnelPoint]:
    """Limits at roughly log-spaced denominators from 1 to max_n, for drawing the funnel."""
    max_n = max(1, max_n)
    sizes = {1, max_n}
    if max_n > 1:
        for index in range(points):
            sizes.add(max(1, round(math.exp(math.log(max_n) * index / (points - 1)))))
    return [funnel_limits(p0, size) for size in sorted(sizes)]


def funnel_position(numerator: int, denominator: int, p0: float) -> str:
    """Where a unit lies in the funnel: "above_998", "above_95", "within", "below_95" or "below_998"."""
    if denominator <= 0:
        return "within"
    limits = funnel_limits(p0, denominator)
    rate = numerator / denominator
    if rate > limits.high_998:
        return "above_998"
    if rate > limits.high_95:
        return "above_95"
    if rate < limits.low_998:
        return "below_998"
    if rate < limits.low_95:
        return "below_95"
    return "within"


# ---------------------------------------------------------------------------------------------
# Statistical process control: a p-chart of the monthly rate (Montgomery, "Introduction to Statistical
# Quality Control", ch. 7; NHS England, "Making Data Count", 2019). The centre line is the pooled rate of
# the months drawn; each month's 3-sigma limits are p̄ ± 3·√(p̄(1 − p̄)/nᵢ), so they widen when a month has
# few patients. Special causes, as Making Data Count reads them (every indicator here is better higher):
# a point outside the limits, a run of SPC_RUN points on one side of the centre line, a trend of
# SPC_TREND points each higher (or each lower) than the one before.

SPC_MIN_POINTS = 6
SPC_RUN = 7
SPC_TREND = 6


@dataclass(frozen=True)
class PChartPoint:
    month: object
    numerator: int
    denominator: int
    rate: float
    low: float
    high: float
    signal: str = ""  # "", "outside_high", "outside_low", "run_high", "run_low", "trend_up", "trend_down"

    @property
    def low_percent(self) -> float:
        return self.low * 100

    @property
    def high_percent(self) -> float:
        return self.high * 100

    @property
    def improvement(self) -> bool:
        return self.signal in {"outside_high", "run_high", "trend_up"}

    @property
    def concern(self) -> bool:
        return self.signal in {"outside_low", "run_low", "trend_down"}


@dataclass(frozen=True)
class PChart:
    centre: float | None
    points: list
    enough: bool  # at least SPC_MIN_POINTS months to judge

    @property
    def latest(self):
        return self.points[-1] if self.points else None

    @property
    def variation(self) -> str | None:
        """'improvement', 'concern' or 'common' for the latest month; None without enough months."""
        if not self.enough:
            return None
        if self.latest.improvement:
            return "improvement"
        if self.latest.concern:
            return "concern"
        return "common"

    def typical_limits(self) -> tuple[float, float] | None:
        """The limits at the months' average number of patients (for reading a target against)."""
        if not self.enough:
            return None
        n = sum(point.denominator for point in self.points) / len(self.points)
        return _sigma_limits(self.centre, n)

    def assurance(self, target_fraction: float | None) -> str | None:
        """'meets' (the target is under the lower limit), 'fails' (over the upper one) or 'inconsistent'."""
        limits = self.typical_limits()
        if target_fraction is None or limits is None:
            return None
        low, high = limits
        if target_fraction <= low:
            return "meets"
        if target_fraction > high:
            return "fails"
        return "inconsistent"


def _sigma_limits(centre: float, n: float) -> tuple[float, float]:
    spread = 3 * math.sqrt(centre * (1 - centre) / n)
    return max(0.0, centre - spread), min(1.0, centre + spread)


def _mark_runs(signals: list[str], sides: list[int]) -> None:
    start = 0
    for index in range(1, len(sides) + 1):
        if index == len(sides) or sides[index] != sides[start]:
            if sides[start] != 0 and index - start >= SPC_RUN:
                for each in range(start, index):
                    signals[each] = signals[each] or ("run_high" if sides[start] > 0 else "run_low")
            start = index


def _mark_trends(signals: list[str], rates: list[float]) -> None:
    for direction, name in ((1, "trend_up"), (-1, "trend_down")):
        start = 0
        for index in range(1, len(rates) + 1):
            if index == len(rates) or (rates[index] - rates[index - 1]) * direction <= 0:
                if index - start >= SPC_TREND:
                    for each in range(start, index):
                        signals[each] = signals[each] or name
                start = index


def p_chart(months: list[tuple]) -> PChart:
    """A p-chart over (month, numerator, denominator), oldest first; months with a zero denominator are left out."""
    months = [(month, x, n) for month, x, n in months if n]
    if not months:
        return PChart(None, [], False)
    centre = sum(x for _month, x, _n in months) / sum(n for _month, _x, n in months)
    rates = [x / n for _month, x, n in months]
    limits = [_sigma_limits(centre, n) for _month, _x, n in months]
    signals = [
        "outside_high" if rate > high else "outside_low" if rate < low else ""
        for rate, (low, high) in zip(rates, limits, strict=True)
    ]
    sides = [1 if rate > centre else -1 if rate < centre else 0 for rate in rates]
    _mark_runs(signals, sides)
    _mark_trends(signals, rates)
    points = [
        PChartPoint(month, x, n, rate, low, high, signal)
        for (month, x, n), rate, (low, high), signal in zip(months, rates, limits, signals, strict=True)
    ]
    return PChart(centre, points, len(points) >= SPC_MIN_POINTS)
