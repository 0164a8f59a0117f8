"""How figures are shown: small-number suppression and one-decimal percentages.

Two rules (DOMAIN.md, "Small numbers"):
- a rate whose denominator is under settings.REPORT_MIN_DENOMINATOR is shown as "too few",
  for everyone and everywhere;
- counts from 1 to 4 are shown as "<5" in every export and in views of units the user does not
  lead. A unit's own lead sees its own exact counts on the page.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from reports.statistics import Proportion, percent

SUPPRESSED = "<5"
TOO_FEW = _("too few")


def is_small(count: int) -> bool:
    return 1 <= count <= 4


def count_text(count: int, suppress: bool) -> str:
    return SUPPRESSED if suppress and is_small(count) else str(count)


@dataclass(frozen=True)
class RateView:
    numerator: str
    denominator: str
    percent: Decimal | None  # None: too few
    low: Decimal | None
    high: Decimal | None

    @property
    def too_few(self) -> bool:
        return self.percent is None


def rate_view(rate: Proportion, *, suppress: bool, min_denominator: int) -> RateView:
    shown = rate.denominator >= max(1, min_denominator)
    return RateView(
        numerator=count_text(rate.numerator, suppress),
        denominator=count_text(rate.denominator, suppress),
        percent=percent(rate.rate) if shown else None,
        low=percent(rate.low) if shown else None,
        high=percent(rate.high) if shown else None,
    )


def plain_percent(value: Decimal | float | None) -> str:
    """For files: one decimal with a dot, empty when there is no value."""
    if value is None:
        return ""
    return f"{Decimal(value):.1f}"


def target_status(rate: Proportion, target_percent, min_denominator: int) -> str | None:
    """Where the interval lies against the target: 'above', 'below', 'consistent', or None."""
    if target_percent is None or rate.denominator < max(1, min_denominator):
        return None
    target = float(target_percent) / 100
    if rate.low > target:
        return "above"
    if rate.high < target:
        return "below"
    return "consistent"
