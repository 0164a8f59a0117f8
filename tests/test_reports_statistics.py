"""Wilson intervals and funnel limits against worked values (DOMAIN.md)."""

import pytest

from reports.statistics import (
    binomial_limit,
    funnel_curve,
    funnel_limits,
    funnel_position,
    percent,
    proportion,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("numerator", "denominator", "rate", "low", "high"),
    [
        (364, 2402, "15.2", "13.8", "16.6"),  # the national baseline (Vederhus et al. 2009)
        (342, 1017, "33.6", "30.8", "36.6"),  # patients judged suitable, same study
        (3, 12, "25.0", "8.9", "53.2"),
        (0, 7, "0.0", "0.0", "35.4"),
    ],
)
def test_wilson_interval_matches_the_worked_values(numerator, denominator, rate, low, high):
    result = proportion(numerator, denominator)

    assert (str(percent(result.rate)), str(percent(result.low)), str(percent(result.high))) == (rate, low, high)


def test_wilson_interval_of_all_successes_reaches_one():
    low, high = wilson_interval(7, 7)

    assert high == 1.0
    assert str(percent(low)) == "64.6"


def test_proportion_without_denominator_has_no_rate():
    assert proportion(0, 0).rate is None


@pytest.mark.parametrize(("numerator", "denominator"), [(1, 0), (-1, 5), (6, 5)])
def test_wilson_interval_refuses_impossible_counts(numerator, denominator):
    with pytest.raises(ValueError):
        wilson_interval(numerator, denominator)


def test_percent_rounds_half_up_to_one_decimal():
    assert str(percent(0.15250)) == "15.3"
    assert str(percent(0.0)) == "0.0"
    assert percent(None) is None


def test_funnel_limits_approach_the_normal_approximation_for_large_units():
    limits = funnel_limits(0.15, 2000)
    half_width_95 = 1.96 * (0.15 * 0.85 / 2000) ** 0.5
    half_width_998 = 3.09 * (0.15 * 0.85 / 2000) ** 0.5

    assert limits.low_95 == pytest.approx(0.15 - half_width_95, abs=0.002)
    assert limits.high_95 == pytest.approx(0.15 + half_width_95, abs=0.002)
    assert limits.low_998 == pytest.approx(0.15 - half_width_998, abs=0.003)
    assert limits.high_998 == pytest.approx(0.15 + half_width_998, abs=0.003)


def test_funnel_limits_stay_between_zero_and_one_and_are_ordered():
    for n in (1, 5, 10, 37, 400):
        limits = funnel_limits(0.4, n)
        assert 0 <= limits.low_998 <= limits.low_95 <= 0.4 <= limits.high_95 <= limits.high_998 <= 1


def test_funnel_narrows_as_units_grow():
    curve = funnel_curve(0.4, 500)
    widths = [point.high_95 - point.low_95 for point in curve if point.n >= 10]

    assert curve[0].n == 1 and curve[-1].n == 500
    assert widths == sorted(widths, reverse=True)


def test_binomial_limit_is_exact_at_the_extremes():
    assert binomial_limit(10, 0.0, 0.975) == 0.0
    assert binomial_limit(10, 1.0, 0.025) == 1.0


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(40, 100, "within"), (53, 100, "above_95"), (60, 100, "above_998"), (27, 100, "below_95"), (20, 100, "below_998")],
)
def test_funnel_position_against_a_40_percent_target(numerator, denominator, expected):
    assert funnel_position(numerator, denominator, 0.4) == expected
