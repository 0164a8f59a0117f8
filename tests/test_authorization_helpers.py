"""The helpers that build the authorization tables (tests/authorization/__init__.py)."""

import pytest

from tests.authorization import PERSONAS, entry, login_required, only, public, statuses


def test_statuses_gives_every_persona_the_default_unless_named():
    assert statuses(403, anonymous=302) == {
        "anonymous": 302,
        "clinician_a": 403,
        "clinician_b": 403,
        "lead_a": 403,
        "analyst": 403,
        "curator": 403,
        "administrator": 403,
    }


def test_statuses_refuses_a_misspelt_persona():
    with pytest.raises(ValueError, match="clinican_a"):
        statuses(200, clinican_a=404)


def test_only_sends_anonymous_to_login_and_refuses_other_staff():
    table = only("curator", "administrator")
    assert table["anonymous"] == 302
    assert table["curator"] == table["administrator"] == 200
    assert {table[persona] for persona in ["clinician_a", "clinician_b", "lead_a", "analyst"]} == {403}


def test_login_required_and_public_cover_every_persona():
    assert set(login_required()) == set(public()) == set(PERSONAS)
    assert login_required()["anonymous"] == 302


def test_entry_defaults_to_a_get_without_kwargs_data_or_query():
    assert entry(public()) == {
        "statuses": public(),
        "kwargs_factory": None,
        "method": "get",
        "data": None,
        "query": None,
    }
