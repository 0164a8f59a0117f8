"""Browser end-to-end tests: Debian's Chromium driven by Playwright against a live server.

The browser is never downloaded. Without /usr/bin/chromium the tests are skipped, unless
REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser is a failure.
"""

import logging
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.reference_data import load_reference_data

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE_URL = "/static/vendor/axe/axe.min.js"
AXE_FILE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _browser_missing_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(f"Browser tests skipped: {reason}")
    # Playwright's sync API runs an event loop in this thread; Django's async-safety check would refuse every ORM
    # call the test makes while it runs. Set only once a browser starts (browser tests run last).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Geography, meeting types and fellowships, which the data migrations load and each e2e test's flush removes.

    Bulk inserts take a fraction of a second; Django's serialized rollback (deserialising 5,600 rows
    one save at a time before every test) took ten.
    """
    from django.core.cache import cache

    cache.clear()
    load_reference_data()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A Norwegian browser, as most users have: the product answers in bokmål."""
    return {**browser_context_args, "locale": "nb-NO", "timezone_id": "Europe/Oslo", "accept_downloads": True}


@pytest.fixture(scope="session")
def base_url(live_server):
    """Relative URLs in page.goto() go to pytest-django's live server."""
    return live_server.url


@pytest.fixture
def page(page, live_server, browser_problems):
    """A page that fails the test on CSP violations, JavaScript errors and failed static files."""
    page.set_default_timeout(15_000)
    page.on("console", lambda message: browser_problems.console(message))
    page.on("pageerror", lambda error: browser_problems.errors.append(f"page error: {error}"))
    page.on("response", lambda response: browser_problems.response(response, live_server.url))
    yield page
    browser_problems.check()


class BrowserProblems:
    """What the browser complained about while a test ran."""

    def __init__(self):
        self.errors: list[str] = []

    def console(self, message):
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text or "Content-Security-Policy" in text or "Refused to" in text
        ):
            self.errors.append(f"console: {text}")

    def response(self, response, server_url):
        if response.url.startswith(server_url) and "/static/" in response.url and response.status >= 400:
            self.errors.append(f"static file {response.url} answered {response.status}")
        if response.url.startswith(server_url) and response.status >= 500:
            self.errors.append(f"{response.request.method} {response.url} answered {response.status}")

    def check(self):
        assert not self.errors, "The browser reported problems:\n" + "\n".join(self.errors)


@pytest.fixture
def browser_problems():
    return BrowserProblems()


@pytest.fixture
def login_as(live_server, context):
    """Give the browser context a logged-in session for `user`, without typing a password."""

    def _login(user):
        client = Client()
        client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
        session_cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": session_cookie.key, "value": session_cookie.value, "url": live_server.url}])
        return user

    return _login


# --- Logs must never carry a patient reference or pseudonym -----------------------------------------


class _RecordingHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception as error:  # noqa: BLE001 - a broken record must not hide the others
            self.lines.append(f"<unformattable record from {record.name}: {error!r}>")


class LogWatch:
    """Collects every log line emitted while an e2e test runs, and the secrets that must not be in it."""

    # SQL logged by the database backend is not an application log (and is off unless DEBUG).
    IGNORED_LOGGERS = ("django.db.backends",)

    def __init__(self, handler):
        self.handler = handler
        self.secrets: set[str] = set()

    def forbid(self, *values: str):
        self.secrets.update(value for value in values if value)

    def leaks(self) -> list[str]:
        found = []
        for line in self.handler.lines:
            if line.startswith(self.IGNORED_LOGGERS):
                continue
            for secret in self.secrets:
                if secret.lower() in line.lower():
                    found.append(f"{secret!r} in log line: {line[:300]}")
        return found


@pytest.fixture(autouse=True)
def log_watch():
    """Every logger, at every level, while the test and the live server run (same process)."""
    handler = _RecordingHandler()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # Loggers that do not propagate to the root get the handler directly.
    isolated = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in isolated:
        logger.addHandler(handler)
    watch = LogWatch(handler)
    yield watch
    root.removeHandler(handler)
    root.setLevel(previous_level)
    for logger in isolated:
        logger.removeHandler(handler)
    leaks = watch.leaks()
    assert not leaks, "Patient references or pseudonyms reached the logs:\n" + "\n".join(leaks)


# --- Accessibility ---------------------------------------------------------------------------------


def _format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} serious or critical WCAG 2.1 A/AA violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            target = " ".join(str(part) for part in node.get("target", []))
            summary = re.sub(r"\s+", " ", node.get("failureSummary") or "").strip()
            lines.append(f"    at {target}: {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more element(s)")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible(page):
    """Run axe-core in the current page; fail on serious or critical WCAG 2.1 A/AA violations."""
    if not AXE_FILE.exists():
        pytest.fail(f"{AXE_FILE} is missing: run `make assets` (npm axe-core)", pytrace=False)

    def _check():
        # Loaded from our own origin, so the page's CSP (script-src 'self') allows it.
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=AXE_URL)
        result = page.evaluate(
            "async (tags) => await axe.run(document, "
            "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, _format_violations(page.url, serious)
        return result

    return _check


# --- Order: browser tests last -------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser tests after every other test.

    Once Playwright's event loop runs in this thread, Django's connection handler hands out fresh
    connection objects, which lack the serialized test data that `serialized_rollback` restores from;
    transactional tests placed after a browser test would then start from an empty database.
    """
    browser = [item for item in items if item.get_closest_marker("e2e")]
    if browser:
        others = [item for item in items if not item.get_closest_marker("e2e")]
        items[:] = others + browser


# --- Screenshots of failures -----------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page")
        if page is not None and not page.is_closed():
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
            path = ARTIFACTS / f"{name}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                report.sections.append(("screenshot", str(path)))
            except Exception as error:  # noqa: BLE001 - the failure itself matters more than its picture
                report.sections.append(("screenshot", f"could not take a screenshot: {error!r}"))
    return report
