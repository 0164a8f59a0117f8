"""Expected answers of every named URL for every persona: one module per app.

See tests/test_authorization_matrix.py for the contract. This package holds the helpers
that keep the per-app tables short.
"""

PERSONAS = ["anonymous", "clinician_a", "clinician_b", "lead_a", "analyst", "curator", "administrator"]
STAFF = [persona for persona in PERSONAS if persona != "anonymous"]


def statuses(default: int, **overrides: int) -> dict[str, int]:
    """`default` for every persona except those named: statuses(403, anonymous=302, curator=200)."""
    unknown = set(overrides) - set(PERSONAS)
    if unknown:
        raise ValueError(f"Unknown persona(s) {sorted(unknown)}; personas are {PERSONAS}")
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


def public(status: int = 200) -> dict[str, int]:
    """Everyone, logged in or not, gets `status`."""
    return statuses(status)


def login_required(status: int = 200, **overrides: int) -> dict[str, int]:
    """Anonymous visitors are sent to the login page (302); every staff persona gets `status`."""
    return statuses(status, anonymous=302, **overrides)


def only(*personas: str, status: int = 200, others: int = 403) -> dict[str, int]:
    """`status` for the named personas, `others` for the rest of staff, 302 (to login) for anonymous."""
    unknown = set(personas) - set(STAFF)
    if unknown:
        raise ValueError(f"Unknown persona(s) {sorted(unknown)}; staff personas are {STAFF}")
    return {"anonymous": 302, **{persona: status if persona in personas else others for persona in STAFF}}


def entry(statuses: dict[str, int], *, kwargs_factory=None, method: str = "get", data=None, query=None) -> dict:
    """One row of a table. `kwargs_factory(world)` returns the URL's kwargs; `query` (a dict or
    callable(world) -> dict) becomes the query string, e.g. {"unit": world.unit_a.pk}. See the matrix test."""
    return {"statuses": statuses, "kwargs_factory": kwargs_factory, "method": method, "data": data, "query": query}
