"""How published figures look: a rate with its counts, and one-decimal percentages.

Nothing here decides what is hidden: reports.disclosure does, once per report, and hands over
`RateView`s whose hidden counts already read "<5" or "hidden".
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from reports.statistics import Proportion, percent  # noqa: F401 - re-exported for templates and files

SUPPRESSED = "<5"
HIDDEN = _("hidden")  # a count hidden by secondary suppression ("skjult")
TOO_FEW = _("too few")


def is_small(count: int) -> bool:
    return 1 <= count <= 4


@dataclass(frozen=True)
class RateView:
    """A published rate. `numerator`/`denominator` are texts ("12", "<5", "hidden"); `x`/`n` the published
    integers (None when hidden); `proportion` the exact rate, None when the rate is not shown."""

    numerator: str
    denominator: str
    percent: Decimal | None  # None: not shown
    low: Decimal | None
    high: Decimal | None
    suppressed: bool = False  # hidden by disclosure control (not because the denominator is small)
    x: int | None = None
    n: int | None = None
    proportion: Proportion | None = None

    @property
    def too_few(self) -> bool:
        return self.percent is None


def plain_percent(value: Decimal | float | None) -> str:
    """For files: one decimal with a dot, empty when there is no value."""
    if value is None:
        return ""
    return f"{Decimal(value):.1f}"


def signed_points(value: float | None) -> str | None:
    """+5,0 / −3,2 / ±0,0 (percentage points, localised, with a real minus sign)."""
    if value is None:
        return None
    rounded = Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    sign = "+" if rounded > 0 else ("−" if rounded < 0 else "±")
    return f"{sign}{number_format(abs(rounded), 1)}"


def target_status(view: RateView, target_percent) -> str | None:
    """Where the published rate's interval lies against the target: 'above', 'below', 'consistent', or None."""
    if target_percent is None or view.proportion is None:
        return None
    target = float(target_percent) / 100
    if view.proportion.low > target:
        return "above"
    if view.proportion.high < target:
        return "below"
    return "consistent"
