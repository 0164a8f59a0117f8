"""axe-core on each main page: no serious or critical violation of WCAG 2.1 A and AA.

axe-core comes from npm (`make assets` copies it to static/vendor/axe/) and is loaded from the
live server itself, so the page's Content-Security-Policy allows it as it is.
"""

import pytest

from tests.main_pages import ACCESSIBILITY_PAGES, build_world, page_by_label, require_route

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(unit_a, clinician_a, lead_a):
    return build_world(unit=unit_a, clinician=clinician_a)


@pytest.mark.parametrize("label", ACCESSIBILITY_PAGES)
def test_main_page_has_no_serious_wcag_violation(request, page, login_as, assert_accessible, world, label):
    main_page = page_by_label(label, world)
    require_route(main_page.path)
    if main_page.persona:
        login_as(request.getfixturevalue(main_page.persona))
    response = page.goto(main_page.path)
    assert response.status == 200, f"{main_page.label}: {response.status}"
    assert_accessible()


def test_form_errors_are_accessible_too(page, login_as, assert_accessible, world, clinician_a):
    """The new-contact form after a refused submission: errors tied to their fields."""
    login_as(clinician_a)
    page.goto("/contacts/new/")
    page.locator("button[name=action][value=save]").click()
    page.wait_for_load_state()
    assert page.locator(".ds-validation-message, [role=alert]").count() > 0
    assert_accessible()


def test_the_accessibility_check_catches_a_violation(page, assert_accessible, db):
    """The check itself: an image without alternative text and an unlabeled input must fail it."""
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
            const input = document.createElement('input');
            input.type = 'text';
            document.querySelector('main').appendChild(input);
            const image = document.createElement('img');
            image.src = '/static/img/favicon.svg';
            document.querySelector('main').appendChild(image);
        }"""
    )
    with pytest.raises(AssertionError, match="(label|image-alt)"):
        assert_accessible()
