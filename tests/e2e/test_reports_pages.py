"""The report pages in a browser: no sideways scrolling at 320 CSS px (WCAG 1.4.10), readable chart labels,
funnel markers named on keyboard focus, and the new feedback page passes axe (issue 17 items 13, 17; issue 12)."""

import pytest

from tests.factories import TargetFactory
from tests.reports_helpers import month_of_contacts

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def months_of_data(unit_a, unit_b, lead_a):
    from core.periods import month_range, previous_month

    for index, month in enumerate(month_range(previous_month(), 8)):
        month_of_contacts(unit_a, patients=20, referred=6 + index, month=month, clinician=lead_a, prefix=index * 100)
        month_of_contacts(unit_b, patients=30, referred=9, month=month, prefix=5000 + index * 100)
    TargetFactory(unit=unit_a, indicator="referral_rate", target_percent=40)


@pytest.mark.parametrize(
    ("persona", "path"), [("lead_a", "/reports/"), ("analyst", "/reports/compare/"), ("lead_a", "/reports/mine/")]
)
def test_report_pages_do_not_scroll_sideways_at_320_px(request, page, login_as, months_of_data, persona, path):
    login_as(request.getfixturevalue(persona))
    page.set_viewport_size({"width": 320, "height": 800})

    assert page.goto(path).status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # Charts keep a readable size: they scroll inside their own box instead of shrinking their labels.
    for box in page.locator("svg.reports-chart text").all()[:3]:
        assert box.bounding_box()["height"] >= 11


def test_a_funnel_marker_names_its_unit_on_keyboard_focus(page, login_as, analyst, months_of_data, unit_b):
    login_as(analyst)
    page.goto("/reports/compare/")

    marker = page.locator("g.reports-dot").first
    marker.focus()

    assert marker.get_attribute("aria-label").startswith(f"{unit_b.name} ({unit_b.code}): ")  # first by path
    assert marker.locator("text").evaluate("element => getComputedStyle(element).visibility") == "visible"


def test_the_feedback_page_is_accessible(page, login_as, assert_accessible, months_of_data, lead_a):
    login_as(lead_a)

    assert page.goto("/reports/mine/").status == 200
    assert_accessible()
