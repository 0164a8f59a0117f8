"""Readiness: may a load balancer send this process requests? Its database, its cache and its migrations.

/healthz (accounts.views.healthz) says the process is alive; /readyz says it can serve: the database answers, the
cache stores and returns a value, and no migration of this code is unapplied (a new release whose `migrate` has not run
yet is not ready). Each check's name and "ok" or "error" are in the JSON; nothing else, so it can be public.
"""

import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

_migrations_applied = False  # once applied, they stay applied for this process's code


def _database() -> bool:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return True


def _cache() -> bool:
    value = uuid.uuid4().hex
    cache.set("ops:readyz", value, 30)
    return cache.get("ops:readyz") == value


def _migrations() -> bool:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


CHECKS = {"database": _database, "cache": _cache, "migrations": _migrations}


def check_all() -> dict[str, str]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = "ok" if check() else "error"
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            results[name] = "error"
    return results


@never_cache
def readyz(request):
    results = check_all()
    ready = all(result == "ok" for result in results.values())
    return JsonResponse({"status": "ok" if ready else "error", **results}, status=200 if ready else 503)
