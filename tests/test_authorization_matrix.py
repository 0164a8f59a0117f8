"""Authorization matrix: every named URL × every persona → the expected HTTP status.

THE CONTRACT (for every app that adds URLs)
-------------------------------------------
* The list of URLs comes from the URL configuration itself (`get_resolver()`), so a new named
  URL is picked up automatically. A named URL without an expectation FAILS
  `test_every_named_url_has_an_expectation`: add it to your app's table.
* Each app keeps its table in `tests/authorization/<app>.py`, a module exporting

      EXPECTED = {
          "namespace:url_name": entry(
              statuses,                     # {persona: status} for ALL seven personas
              kwargs_factory=None,          # or callable(world) -> dict of URL kwargs
              method="get",                 # or "post" (CSRF is not enforced by the test client)
              data=None,                    # POST data: a dict or callable(world) -> dict
              query=None,                   # query string: a dict or callable(world) -> dict
          ),
      }

  Build `statuses` with the helpers in `tests/authorization/__init__.py`:
  `login_required()`, `only("curator", "administrator")`, `public()`,
  `statuses(404, anonymous=302, clinician_a=200, lead_a=200)` for anything else.
  Keys are URL names with their namespace ("registry:meeting_detail"); names are merged over all
  modules, and a name defined in two modules is an error.
* Personas (tests/conftest.py): anonymous, clinician_a (unit A), clinician_b (unit B),
  lead_a (lead of unit A), analyst (quality analyst), curator, administrator (superuser).
* `kwargs_factory(world)` gets a `world` with the attributes trust, clinic, unit_a, unit_b and
  every persona's user (world.clinician_a, ...). Objects that belong to a unit are created in
  **unit A**, so unit B's clinician shows that other units' objects are out of reach (404).
  A factory runs once per persona, in that persona's own test, so POSTs cannot disturb each other.
* Expect 302 for anonymous on pages that need login (sent to the login page), 403 for a logged-in
  user without the role, and 404 for an object outside the user's units. Pages that take the unit
  from the query string use `query=lambda world: {"unit": world.unit_a.pk}`.

Skipped: the admin site's own URLs (namespace "admin"), because Django's admin checks its own
permissions per model; who sees which admin page is tested in each app's admin tests
(tests/test_accounts_admin.py for accounts).
"""

import importlib
import pkgutil
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import URLResolver, get_resolver, reverse

import tests.authorization
from tests.authorization import PERSONAS
from tests.factories import login

# URL namespaces that are not in the matrix, each with the reason.
SKIPPED_NAMESPACES = {
    "admin": "Django's admin checks per-model permissions itself; covered by the apps' admin tests.",
}


def named_urls(resolver=None, prefix: str = "") -> set[str]:
    """Every URL name ("namespace:name") in the URL configuration, skipped namespaces left out."""
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES:
                continue
            nested_prefix = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= named_urls(pattern, nested_prefix)
        elif pattern.name:
            names.add(f"{prefix}{pattern.name}")
    return names


def expectations() -> dict[str, dict]:
    """The merged EXPECTED tables of every module in tests/authorization/."""
    merged: dict[str, dict] = {}
    for module_info in pkgutil.iter_modules(tests.authorization.__path__):
        module = importlib.import_module(f"tests.authorization.{module_info.name}")
        for name, expected in getattr(module, "EXPECTED", {}).items():
            if name in merged:
                raise AssertionError(f"URL name {name!r} has an entry in two tables (second: {module.__name__}).")
            merged[name] = {**expected, "module": module.__name__}
    return merged


EXPECTED = expectations()
CASES = [(name, persona) for name in sorted(EXPECTED) for persona in PERSONAS]


def test_every_named_url_has_an_expectation():
    missing = sorted(named_urls() - set(EXPECTED))
    assert not missing, (
        f"These named URLs have no expected statuses: {missing}. Add each to EXPECTED in "
        "tests/authorization/<app>.py, e.g. "
        '"app:name": entry(login_required(), kwargs_factory=lambda world: {...}); '
        "see the contract at the top of tests/test_authorization_matrix.py."
    )


def test_every_expectation_names_an_existing_url():
    stale = sorted(set(EXPECTED) - named_urls())
    assert not stale, f"Entries for URL names that do not exist (renamed or removed?): {stale}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expectation_gives_a_status_for_every_persona(name):
    expected = EXPECTED[name]
    assert set(expected["statuses"]) == set(PERSONAS), (
        f"{name} ({expected['module']}) must give a status for exactly these personas: {PERSONAS}"
    )
    assert expected["method"] in ("get", "post"), f"{name}: method must be 'get' or 'post'"


@pytest.fixture
def world(request, trust, clinic, unit_a, unit_b):
    people = {persona: request.getfixturevalue(persona) for persona in PERSONAS if persona != "anonymous"}
    return SimpleNamespace(trust=trust, clinic=clinic, unit_a=unit_a, unit_b=unit_b, **people)


@pytest.mark.parametrize(("name", "persona"), CASES, ids=[f"{name}-{persona}" for name, persona in CASES])
def test_persona_gets_the_expected_status(client, world, name, persona):
    expected = EXPECTED[name]
    kwargs = expected["kwargs_factory"](world) if expected["kwargs_factory"] else {}
    url = reverse(name, kwargs=kwargs)
    query = expected.get("query")
    query = query(world) if callable(query) else query
    if query:
        url = f"{url}?{urlencode(query, doseq=True)}"
    data = expected["data"](world) if callable(expected["data"]) else expected["data"]
    if persona != "anonymous":
        login(client, getattr(world, persona))

    if expected["method"] == "post":
        response = client.post(url, data or {})
    else:
        response = client.get(url)

    assert response.status_code == expected["statuses"][persona], (
        f"{persona} {expected['method'].upper()} {url} ({name}) answered {response.status_code}, "
        f"expected {expected['statuses'][persona]} ({expected['module']})"
    )
    assert_cache_control(name, persona, client, response)


# Responses that are the same for everyone and say so (Cache-Control: public): the meeting feed.
PUBLIC_CACHEABLE = {"registry:meeting_feed"}


def assert_cache_control(name, persona, client, response):
    """Issue 11, 5: every response to a logged-in person is private and never stored, whatever its status."""
    directives = {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",") if part.strip()}
    still_logged_in = SESSION_KEY in client.session  # not after logging out
    if persona == "anonymous" or not still_logged_in:
        return
    if name in PUBLIC_CACHEABLE:
        assert "public" in directives and "private" not in directives, f"{name}: {response.get('Cache-Control')}"
        return
    assert {"private", "no-store"} <= directives, (
        f"{persona} {name} answered Cache-Control {response.get('Cache-Control')!r}, expected private, no-store"
    )
