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


# --- The administration (issue 17, 19) ---------------------------------------------------------------------


@pytest.fixture
def admin_page(page, browser_problems):
    """The admin's page, minus one known report: Django's bundled select2 writes a style attribute, which the CSP
    blocks (the widget still lays out through CSSOM). Every other problem still fails the test."""
    yield page
    browser_problems.errors[:] = [
        error for error in browser_problems.errors if "Applying inline style violates" not in error
    ]


ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/accounts/user/add/",
    "/admin/accounts/user/{administrator}/change/",
    "/admin/accounts/unit/{unit}/change/",
    "/admin/accounts/membership/add/",
    "/admin/accounts/externalidentity/",
    "/admin/registry/meeting/",
    "/admin/registry/group/",
    "/admin/privacy/securityevent/",
    "/admin/auditlog/logentry/",
    "/admin/axes/accessattempt/",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_page_has_no_serious_wcag_violation(admin_page, login_as, assert_accessible, administrator, unit_a, path):
    page = admin_page
    login_as(administrator)
    response = page.goto(path.format(administrator=administrator.pk, unit=unit_a.pk))
    assert response.status == 200, f"{path}: {response.status}"
    page.wait_for_load_state("networkidle")
    assert_accessible()


def test_admin_inline_rows_and_select2_have_names(admin_page, login_as, assert_accessible, administrator, clinician_a):
    """The membership inline's role select and delete box, and select2's combobox, search field and results."""
    page = admin_page
    login_as(administrator)
    page.goto(f"/admin/accounts/user/{clinician_a.pk}/change/")
    page.wait_for_load_state("networkidle")
    role = page.locator("select[name='memberships-0-role']")
    delete = page.locator("input[name='memberships-0-DELETE']")
    assert role.get_attribute("aria-label")
    assert delete.get_attribute("aria-label")
    combobox = page.locator(".field-unit .select2-selection[role=combobox]").first
    assert combobox.get_attribute("aria-label")
    combobox.click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.wait_for()
    assert search.get_attribute("aria-label")
    assert page.locator(".select2-container--open ul.select2-results__options").get_attribute("aria-label")
    assert_accessible()


def test_admin_breadcrumb_links_are_underlined(page, login_as, administrator):
    login_as(administrator)
    page.goto("/admin/accounts/user/")
    decoration = page.locator("div.breadcrumbs a").first.evaluate("link => getComputedStyle(link).textDecorationLine")
    assert decoration == "underline"
