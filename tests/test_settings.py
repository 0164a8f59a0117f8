"""Settings from the environment: production checks, fatal missing secrets, Redis when CACHE_URL is set."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.factories import PASSWORD

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "PSEUDONYM_KEY": secrets.token_urlsafe(32),
    "ALLOWED_HOSTS": "selvhjelp.example.no",
    "DATABASE_URL": "sqlite:////tmp/never-opened.sqlite3",
}


def _run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    """Python in a bare environment (no variables from this test run), from the project folder."""
    bare = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=bare, capture_output=True, text=True, timeout=60
    )


def test_deploy_check_is_clean_with_production_settings(settings, monkeypatch):
    # The test settings are production settings except for the HTTPS redirect; the browser tests'
    # harness allows sync ORM calls from Playwright's event loop, which production never does.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    settings.SECURE_SSL_REDIRECT = True
    settings.SECRET_KEY = PRODUCTION_ENV["SECRET_KEY"]
    assert not settings.DEBUG
    call_command("check", deploy=True, fail_level="WARNING")


def test_deploy_check_is_clean_for_the_settings_module_under_a_production_environment():
    completed = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "no issues" in completed.stdout


def test_deploy_check_warns_about_a_weak_secret_key(settings, monkeypatch):
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    from django.core.management.base import SystemCheckError

    settings.SECURE_SSL_REDIRECT = True
    settings.SECRET_KEY = "short"
    with pytest.raises(SystemCheckError, match="SECRET_KEY"):
        call_command("check", deploy=True, fail_level="WARNING")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "PSEUDONYM_KEY"])
def test_missing_secret_with_debug_off_stops_start_up_with_a_clear_message(missing):
    env = {name: value for name, value in PRODUCTION_ENV.items() if name != missing}
    completed = _run_python("import config.settings", env)
    assert completed.returncode != 0
    assert "ImproperlyConfigured" in completed.stderr
    assert f"The environment variable {missing} must be set when DEBUG is off" in completed.stderr


def test_development_defaults_need_no_secrets():
    completed = _run_python("import config.settings as s; print(s.DEBUG, bool(s.SECRET_KEY))", {"DEBUG": "true"})
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "True True"


def test_production_turns_on_secure_cookies_hsts_and_https_redirect():
    code = (
        "import config.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)"
    )
    completed = _run_python(code, PRODUCTION_ENV)
    assert completed.stdout.strip() == "True True True True", completed.stderr


def test_cache_url_puts_cache_and_sessions_in_redis():
    code = "import config.settings as s; print(s.CACHES['default']['BACKEND'], s.SESSION_ENGINE)"
    completed = _run_python(code, {**PRODUCTION_ENV, "CACHE_URL": "redis://127.0.0.1:6379/1"})
    assert completed.stdout.split() == ["django_redis.cache.RedisCache", "django.contrib.sessions.backends.cache"]


def test_without_cache_url_sessions_and_cache_live_in_the_database():
    code = "import config.settings as s; print(s.CACHES['default']['BACKEND'], s.SESSION_ENGINE)"
    completed = _run_python(code, PRODUCTION_ENV)
    assert completed.stdout.split() == [
        "django.core.cache.backends.db.DatabaseCache",
        "django.contrib.sessions.backends.db",
    ]


def test_sessions_are_idle_limited_and_end_with_the_browser():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_REFRESH_SECONDS == 60
    assert "accounts.middleware.IdleSessionMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_logs_go_to_stdout():
    handler = settings.LOGGING["handlers"][settings.LOGGING["root"]["handlers"][0]]
    assert handler["class"] == "logging.StreamHandler"
    assert handler["stream"] == "ext://sys.stdout"


def test_gunicorn_access_log_leaves_out_query_strings():
    # A query string can carry a typed patient reference; %(U)s is the path alone.
    namespace = {}
    exec((BASE_DIR / "config" / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102
    assert "%(U)s" in namespace["access_log_format"]
    assert "%(r)s" not in namespace["access_log_format"]
    assert "%(q)s" not in namespace["access_log_format"]


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        return False


def test_sessions_live_in_redis_when_cache_url_points_there(client, clinician_a, settings):
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if not _redis_answers(url):
        pytest.skip(f"No Redis at {url}")
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    caches["default"].clear()
    try:
        response = client.post("/accounts/login/", {"username": clinician_a.username, "password": PASSWORD})
        assert response.status_code == 302
        session_key = client.cookies["sessionid"].value
        assert caches["default"].get(f"django.contrib.sessions.cache{session_key}")["_auth_user_id"] == str(
            clinician_a.pk
        )
        assert client.get("/").status_code == 200
    finally:
        caches["default"].clear()
