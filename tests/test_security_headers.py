"""Security headers, cookie flags and CSRF on every main page and form, with production settings.

The test settings run with DEBUG off, so the HTTPS block of config/settings.py is active here
(HSTS, secure cookies); only the redirect to HTTPS is switched off. A subprocess checks the
settings module itself under a bare production environment.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import PASSWORD, login
from tests.main_pages import build_world, forms_in, page_by_label, page_labels, require_route

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def world(unit_a, clinician_a):
    return build_world(unit=unit_a, clinician=clinician_a)


def _client_for(request, persona: str | None, **kwargs) -> Client:
    client = Client(**kwargs)
    if persona:
        login(client, request.getfixturevalue(persona))
    return client


def _get_page(request, world, label, **kwargs):
    page = page_by_label(label, world)
    require_route(page.path)
    client = _client_for(request, page.persona)
    response = client.get(page.path, **kwargs)
    assert response.status_code == 200, f"{page.label} ({page.path}) as {page.persona}: {response.status_code}"
    return page, client, response


def _directives(policy: str) -> dict[str, list[str]]:
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("label", page_labels())
def test_main_page_sends_csp_without_unsafe_inline_hsts_and_frame_denial(request, world, label):
    page, _, response = _get_page(request, world, label, secure=True)
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"{page.label}: no Content-Security-Policy header"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    directives = _directives(policy)
    assert directives.get("default-src") == ["'self'"]
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("object-src") == ["'none'"]
    for source in directives.get("script-src", []) + directives.get("style-src", []):
        assert source in ("'self'",) or source.startswith("'nonce-"), f"{page.label}: script/style source {source}"

    hsts = response.headers.get("Strict-Transport-Security", "")
    max_age = int(hsts.split("max-age=")[1].split(";")[0]) if "max-age=" in hsts else 0
    assert max_age >= 31536000, f"{page.label}: HSTS header {hsts!r}"
    assert "includeSubDomains" in hsts

    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin"


@pytest.mark.parametrize("label", page_labels())
def test_every_post_form_on_main_page_is_refused_without_a_csrf_token(request, world, label):
    page, client, response = _get_page(request, world, label)
    post_forms = [form for form in forms_in(response.content.decode()) if form["method"] == "post"]
    # Every page has at least the language switch.
    assert post_forms, f"{page.label}: no POST form found"
    for form in post_forms:
        assert "csrfmiddlewaretoken" in form["fields"], f"{page.label}: a POST form to {form['action']} has no token"
        strict = Client(enforce_csrf_checks=True)
        strict.cookies = client.cookies
        data = {name: value for name, value in form["fields"].items() if name != "csrfmiddlewaretoken"}
        target = form["action"] or page.path
        answer = strict.post(target, data)
        assert answer.status_code == 403, f"{page.label}: POST {target} without CSRF token gave {answer.status_code}"


def test_login_sets_a_secure_httponly_samesite_session_cookie(client, clinician_a):
    response = client.post("/accounts/login/", {"username": clinician_a.username, "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] in ("Lax", "Strict")


def test_csrf_cookie_is_secure_httponly_and_samesite(client, db):
    response = client.get("/accounts/login/", secure=True)
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] in ("Lax", "Strict")


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "SESSION_COOKIE_SAMESITE": s.SESSION_COOKIE_SAMESITE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "CSRF_COOKIE_HTTPONLY": s.CSRF_COOKIE_HTTPONLY,
    "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "SECURE_CONTENT_TYPE_NOSNIFF": s.SECURE_CONTENT_TYPE_NOSNIFF,
    "CSP": s.CONTENT_SECURITY_POLICY,
}))
"""


def test_production_settings_turn_on_every_https_protection():
    """config.settings itself, with only the required production variables set."""
    environment = {
        key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="a-production-like-secret-key-for-this-test-only-0123456789",
        PSEUDONYM_KEY="a-production-like-pseudonym-key",
        ALLOWED_HOSTS="selvhjelp.example.org",
        DATABASE_URL="sqlite:////tmp/never-opened.sqlite3",
    )
    completed = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    values = json.loads(completed.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert "unsafe-inline" not in json.dumps(values["CSP"])


def test_production_settings_refuse_to_start_without_a_secret_key():
    environment = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", PSEUDONYM_KEY="x", ALLOWED_HOSTS="example.org")
    completed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode != 0
    assert "SECRET_KEY" in completed.stderr


# POST endpoints that no page's <form> shows directly (HTMX calls, confirm steps, pages behind a second factor).
POST_ENDPOINTS = [
    ("/contacts/lookup/", "clinician_a"),
    ("/contacts/{contact}/delete/", "clinician_a"),
    ("/reports/targets/{target}/delete/", "lead_a"),
    ("/accounts/2fa/recovery-codes/", "clinician_a"),
    ("/accounts/2fa/verify/", "clinician_a"),
    ("/admin/registry/meeting/import/confirm/", "curator"),
    ("/i18n/setlang/", "clinician_a"),
    ("/accounts/logout/", "clinician_a"),
    ("/accounts/login/", None),
]


@pytest.mark.parametrize(("template", "persona"), POST_ENDPOINTS, ids=[path for path, _ in POST_ENDPOINTS])
def test_post_endpoint_is_refused_without_a_csrf_token(request, world, unit_a, lead_a, template, persona):
    from reports.models import Target

    target = Target.objects.create(unit=unit_a, target_percent=40, valid_from="2026-01-01")
    path = template.format(contact=world.contact.pk, target=target.pk)
    require_route(path)
    strict = Client(enforce_csrf_checks=True)
    if persona:
        login(strict, request.getfixturevalue(persona))
    response = strict.post(path, {"language": "en", "patient_reference": "P-1", "unit": unit_a.pk})
    assert response.status_code == 403, f"POST {path} without a CSRF token: {response.status_code}"
