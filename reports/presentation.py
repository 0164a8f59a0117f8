"""How figures are shown: small-number suppression and one-decimal percentages.

Two rules (DOMAIN.md, "Small numbers"):
- a rate whose denominator is under settings.REPORT_MIN_DENOMINATOR is shown as "too few",
  for everyone and everywhere;
- counts from 1 to 4 are shown as "<5" in every export and in views of units the user does not
  lead. A unit's own lead sees its own exact counts on the page.

Where counts are suppressed, a rate is hidden too ("too few") when its numerator OR the rest of its
denominator (denominator − numerator) is from 1 to 4: with the rate or the other count one could
work the small number back out (12 of 14 → 2 not referred). When only the rest is small the
numerator is hidden as well (HIDDEN; an empty cell in files), and the denominator stays.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from reports.statistics import Proportion, percent

SUPPRESSED = "<5"
TOO_FEW = _("too few")
HIDDEN = _("hidden")  # a count not shown because the rest of its denominator is from 1 to 4


def is_small(count: int) -> bool:
    return 1 <= count <= 4


def reveals_small(numerator: int, denominator: int) -> bool:
    """The rate x/n (or x and n together) would reveal a count from 1 to 4: x itself or n − x."""
    return is_small(numerator) or is_small(denominator - numerator)


def rate_shown(rate: Proportion, *, suppress: bool, min_denominator: int) -> bool:
    """Whether a rate may be shown (as a number, a chart point or a funnel dot)."""
    if rate.denominator < max(1, min_denominator):
        return False
    return not (suppress and reveals_small(rate.numerator, rate.denominator))


def count_text(count: int, suppress: bool) -> str:
    return SUPPRESSED if suppress and is_small(count) else str(count)


@dataclass(frozen=True)
class RateView:
    numerator: str
    denominator: str
    percent: Decimal | None  # None: too few
    low: Decimal | None
    high: Decimal | None
    suppressed: bool = False  # hidden by the small-number rule (not because the denominator is small)

    @property
    def too_few(self) -> bool:
        return self.percent is None


def rate_view(rate: Proportion, *, suppress: bool, min_denominator: int) -> RateView:
    shown = rate_shown(rate, suppress=suppress, min_denominator=min_denominator)
    numerator = count_text(rate.numerator, suppress)
    if suppress and is_small(rate.denominator - rate.numerator) and not is_small(rate.numerator):
        numerator = str(HIDDEN)
    return RateView(
        numerator=numerator,
        denominator=count_text(rate.denominator, suppress),
        percent=percent(rate.rate) if shown else None,
        low=percent(rate.low) if shown else None,
        high=percent(rate.high) if shown else None,
        suppressed=not shown and rate.denominator >= max(1, min_denominator),
    )


def plain_percent(value: Decimal | float | None) -> str:
    """For files: one decimal with a dot, empty when there is no value."""
    if value is None:
        return ""
    return f"{Decimal(value):.1f}"


def target_status(rate: Proportion, target_percent, min_denominator: int, *, suppress: bool = False) -> str | None:
    """Where the interval lies against the target: 'above', 'below', 'consistent', or None."""
    if target_percent is None or not rate_shown(rate, suppress=suppress, min_denominator=min_denominator):
        return None
    target = float(target_percent) / 100
    if rate.low > target:
        return "above"
    if rate.high < target:
        return "below"
    return "consistent"
