"""The p-chart (reports/statistics.py, `p_chart`): centre line, three-sigma limits per month, and the Making Data
Count rules (a point outside the limits, a run of 7 on one side of the centre, a trend of 6 rising or falling),
worked out by hand."""

import math

import pytest

from reports.statistics import p_chart


def months(*pairs):
    return [(f"2026-{index + 1:02d}", x, n) for index, (x, n) in enumerate(pairs)]


def test_the_centre_is_the_pooled_rate_and_each_month_has_its_own_limits():
    chart = p_chart(months((10, 100), (20, 100), (30, 200), (40, 200), (25, 100), (25, 100)))

    assert chart.centre == pytest.approx(150 / 800)
    first = chart.points[0]
    spread = 3 * math.sqrt(0.1875 * 0.8125 / 100)
    assert (first.low, first.high) == pytest.approx((0.1875 - spread, 0.1875 + spread))
    wider, narrower = chart.points[0], chart.points[2]
    assert narrower.high - narrower.low < wider.high - wider.low  # more patients, narrower limits
    assert chart.enough


def test_a_month_outside_the_limits_is_marked_and_judged_on_the_latest_month():
    chart = p_chart(months((15, 100), (16, 100), (14, 100), (15, 100), (15, 100), (40, 100)))

    assert chart.points[-1].signal == "outside_high"
    assert [point.signal for point in chart.points[:-1]] == [""] * 5
    assert chart.variation == "improvement"  # a higher referral rate is better


def test_seven_months_on_one_side_are_a_run_and_six_falling_are_a_trend():
    run = p_chart(months((20, 100), (20, 100), (21, 100), (20, 100), (21, 100), (20, 100), (21, 100), (5, 100)))
    assert [point.signal for point in run.points[:7]] == ["run_high"] * 7

    falling = p_chart(months((30, 100), (28, 100), (26, 100), (24, 100), (22, 100), (20, 100)))
    assert [point.signal for point in falling.points] == ["trend_down"] * 6
    assert falling.variation == "concern"


def test_limits_stay_between_zero_and_one():
    chart = p_chart(months((0, 5), (1, 5), (5, 5), (0, 5), (1, 5), (2, 5)))

    assert all(0.0 <= point.low <= point.high <= 1.0 for point in chart.points)


def test_months_without_patients_are_left_out_and_fewer_than_six_are_not_judged():
    chart = p_chart(months((3, 10), (0, 0), (4, 10), (5, 10), (6, 10), (2, 10)))

    assert [point.month for point in chart.points] == ["2026-01", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert not chart.enough and chart.variation is None and chart.typical_limits() is None
    assert p_chart([]).centre is None


@pytest.mark.parametrize(("target", "assurance"), [(0.04, "meets"), (0.15, "inconsistent"), (0.26, "fails")], ids=str)
def test_a_target_is_read_against_the_limits_at_the_average_month(target, assurance):
    chart = p_chart(months(*[(15, 100)] * 6))  # centre 15 %, limits 4.3–25.7 % at 100 patients

    assert chart.assurance(target) == assurance
