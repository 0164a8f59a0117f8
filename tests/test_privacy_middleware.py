"""The two-factor middleware: with REQUIRE_2FA on, nothing but the way through is reachable without the code."""

import datetime
import uuid

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from privacy.middleware import EXEMPT_URL_NAMES
from tests.factories import authenticator_for, login, totp_now

SAMPLE_VALUES = {"int": "1", "slug": "sample", "str": "sample", "path": "sample/path", "uuid": str(uuid.uuid4())}


def _route_to_path(route: str, converters: dict) -> str:
    import re

    def substitute(match):
        converter = match.group(1) or "str"
        return SAMPLE_VALUES.get(converter, "1")

    return re.sub(r"<(?:(\w+):)?\w+>", substitute, route)


def _all_paths(patterns=None, prefix="/"):
    """A concrete path for every route-style URL pattern of the project (regex-only admin routes are skipped)."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            part = _route_to_path(str(pattern._route), pattern.converters)
        elif str(pattern.regex.pattern) in ("^", ""):
            part = ""
        else:
            regex = str(pattern.regex.pattern).lstrip("^").rstrip("$")
            if any(ch in regex for ch in "()[]?*+\\"):
                continue
            part = regex
        if isinstance(entry, URLResolver):
            yield from _all_paths(entry.url_patterns, prefix + part)
        elif isinstance(entry, URLPattern):
            yield prefix + part


EXEMPT = {reverse(name) for name in EXEMPT_URL_NAMES}
PATHS = sorted({path for path in _all_paths() if path not in EXEMPT})
EXTRA = ["/admin/", "/admin/accounts/user/", "/admin/privacy/securityevent/", "/admin/accounts/user/1/change/"]


@pytest.fixture(autouse=True)
def two_factor_required(settings):
    settings.REQUIRE_2FA = True


def test_the_walk_found_the_pages_that_matter():
    for url in [reverse("home"), reverse("privacy:patient_access_report"), reverse("privacy:two_factor_settings")]:
        assert url in PATHS
    assert len(PATHS) > 15


@pytest.mark.parametrize("path", PATHS + EXTRA + ["/no/such/page/"])
def test_every_other_page_redirects_an_unverified_administrator_to_the_code(client, administrator, path):
    authenticator_for(administrator)
    login(client, administrator)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 302, (method, path)
        assert response["Location"].startswith(reverse("privacy:two_factor_verify")), (method, path)


def test_without_an_authenticator_the_redirect_goes_to_enrolment(client, clinician_a):
    login(client, clinician_a)
    response = client.get(reverse("referrals:contact_list"))
    assert response["Location"] == f"{reverse('privacy:two_factor_setup')}?next=%2Fcontacts%2F"


def test_htmx_requests_are_told_to_redirect_the_whole_page(client, clinician_a):
    login(client, clinician_a)
    response = client.get(reverse("referrals:contact_list"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("privacy:two_factor_setup"))


def test_post_redirect_carries_no_next(client, clinician_a):
    login(client, clinician_a)
    response = client.post(reverse("referrals:contact_create"), {"reference": "P1"})
    assert response["Location"] == reverse("privacy:two_factor_setup")


def test_exempt_pages_stay_reachable_before_the_code(client, clinician_a, settings):
    authenticator_for(clinician_a)
    login(client, clinician_a)
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("privacy:two_factor_verify")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.get("/" + settings.STATIC_URL.lstrip("/") + "css/privacy.css").status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_anonymous_visitors_are_not_affected(client):
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_after_the_code_the_pages_open(client, administrator):
    device = authenticator_for(administrator)
    login(client, administrator)
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC), tick=False):
        client.post(reverse("privacy:two_factor_verify"), {"code": totp_now(device)})
        assert client.get(reverse("home")).status_code == 200
        assert client.get("/admin/").status_code == 200
        assert client.get(reverse("privacy:patient_access_report")).status_code == 200


def test_reset_second_factor_sends_a_logged_in_person_back_to_enrolment(client, clinician_a, administrator):
    from privacy.services import two_factor_reset

    device = authenticator_for(clinician_a)
    login(client, clinician_a)
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC), tick=False):
        client.post(reverse("privacy:two_factor_verify"), {"code": totp_now(device)})
        assert client.get(reverse("home")).status_code == 200
        two_factor_reset(user=clinician_a, actor=administrator)
        assert client.get(reverse("home"))["Location"].startswith(reverse("privacy:two_factor_setup"))


def _queries_for_home(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse("home")).status_code == 200
    return len(context.captured_queries)


def test_middleware_adds_no_query_when_two_factor_is_off(client, settings, clinician_a):
    """Other apps pin their pages' query counts; with REQUIRE_2FA off this middleware must not change them."""
    settings.REQUIRE_2FA = False
    login(client, clinician_a)
    with_middleware = _queries_for_home(client)
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != "privacy.middleware.TwoFactorMiddleware"]
    assert _queries_for_home(client) == with_middleware


def test_menu_shows_no_patient_pages_before_the_code(client, clinician_a):
    authenticator_for(clinician_a)
    login(client, clinician_a)
    page = client.get(reverse("privacy:two_factor_verify")).content.decode()
    assert reverse("referrals:contact_list") not in page
    assert reverse("referrals:contact_create") not in page
