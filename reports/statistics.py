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
