"""/readyz: ready only when the database answers, the cache works and every migration is applied."""

from unittest import mock

import pytest
from django.db import OperationalError

from ops import health


@pytest.fixture(autouse=True)
def check_migrations_again(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_readyz_is_ok_when_database_cache_and_migrations_are(client, db):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "migrations": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_503_when_the_database_is_down(client, db):
    with mock.patch("ops.health.connections") as connections:
        connections.__getitem__.return_value.cursor.side_effect = OperationalError("connection refused")
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "ok", "migrations": "error"}


def test_readyz_is_503_when_the_cache_does_not_keep_values(client, db):
    with mock.patch("ops.health.cache.get", return_value=None):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["cache"] == "error"


def test_readyz_is_503_while_a_migration_of_this_release_is_unapplied(client, db):
    with mock.patch("ops.health.MigrationExecutor.migration_plan", return_value=[("ops", "0002_next")]):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["migrations"] == "error"


def test_readyz_needs_no_login_and_no_https_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/readyz").status_code == 200


def test_the_container_healthcheck_asks_readyz():
    from config import healthcheck

    with mock.patch("urllib.request.urlopen") as urlopen:
        urlopen.return_value.__enter__.return_value.status = 200
        assert healthcheck.main() == 0

    assert urlopen.call_args.args[0].full_url.endswith("/readyz")
