"""Two app servers on one PostgreSQL and one Redis, as compose.yaml runs them: what one writes, the other shows.

Two gunicorn processes on free loopback ports serve the test database. A curator logs in on the first (the session
is in Redis, so the second knows them too) and adds a fellowship there; the second server's public search, which it
had just served and cached, lists the new fellowship at the next request. Any per-process cache of choices or pages
would fail this.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import UserFactory

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parent.parent


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.exceptions.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    port = settings.get("PORT") or 5432
    return f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:{port}/{settings['NAME']}"


@pytest.fixture
def two_servers(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the production set is PostgreSQL")
    if not _redis_answers():
        pytest.skip(f"No Redis at {REDIS_URL}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.two_servers_settings",
        "DEBUG": "false",
        "SECRET_KEY": "two-servers-secret-key-that-is-long-enough-for-the-test-1234567890",
        "PSEUDONYM_KEY": "test-pseudonym-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "REQUIRE_2FA": "false",
        "DATABASE_URL": _database_url(),
        "CACHE_URL": REDIS_URL,
        "CONN_MAX_AGE": "0",
        "WEB_CONCURRENCY": "1",
    }
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and config
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
            + ["config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url in urls:
            _wait_until_ready(url)
        yield urls
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def _wait_until_ready(url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not become ready")


class Browser:
    """One person's cookies, used against both servers (cookies do not depend on the port)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, url: str) -> tuple[int, str]:
        with self.opener.open(url, timeout=30) as response:
            return response.status, response.read().decode()

    def post_form(self, url: str, fields: dict) -> tuple[int, str]:
        _status, page = self.get(url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        with self.opener.open(urllib.request.Request(url, data=data), timeout=30) as response:
            return response.status, response.geturl()


def test_a_write_through_one_app_server_is_seen_on_the_other_at_the_next_request(two_servers):
    first, second = two_servers
    UserFactory(username="kurator", is_curator=True, password="kurator-passord-2026")
    visitor, curator = Browser(), Browser()
    name = f"Fellesskap {uuid.uuid4().hex[:8]}"
    _status, search_before = visitor.get(f"{second}/meetings/")

    curator.post_form(f"{first}/accounts/login/", {"username": "kurator", "password": "kurator-passord-2026"})
    admin_status, _page = curator.get(f"{second}/admin/")
    status, landed = curator.post_form(
        f"{first}/admin/registry/fellowship/add/", {"code": "NYTT-1", "name": name, "twelve_step": "on"}
    )
    _status, search_after = visitor.get(f"{second}/meetings/")

    assert name not in search_before
    assert admin_status == 200  # the session made on the first server is known on the second
    assert (status, landed) == (200, f"{first}/admin/registry/fellowship/")
    assert name in search_after
