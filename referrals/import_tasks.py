"""The confirmed contact import, run on the job worker (django-q2) so that no request waits for it.

A 100,000-row extract takes longer to check and write than a web request may last (gunicorn's 30 s), more so on a
busy machine. So the confirm only queues the previewed file; the worker runs importers.apply_import (all or nothing,
as before) and keeps its progress and then its outcome in the shared cache under a random token, which only the
lead's session knows. The upload page polls it. With Q_CLUSTER["sync"] (JOBS_INLINE: `make run` and the tests) the
task runs inside the confirm request instead, with the same outcome.
"""

from __future__ import annotations

import logging
import uuid
import zlib

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import translation
from django_q.tasks import async_task

from accounts.access import led_units
from accounts.models import User
from referrals import importers

logger = logging.getLogger(__name__)
STATUS_SECONDS = 24 * 3600


def _key(token: str) -> str:
    return f"referrals:import:{token}"


def status(token: str) -> dict | None:
    """{"state": "queued" | "check" | "write" | "done" | "invalid" | "file_error" | "failed", ...}, or None."""
    return cache.get(_key(token))


def start(*, data: bytes, user, sha256: str, name: str, client_address: str | None, language: str) -> str:
    """Queue the import of a previewed file; the token to follow it with."""
    token = uuid.uuid4().hex
    cache.set(_key(token), {"state": "queued", "name": name}, STATUS_SECONDS)
    async_task(
        "referrals.import_tasks.run",
        token,
        zlib.compress(data, 6),
        user.pk,
        sha256,
        name,
        client_address,
        language,
        task_name=f"contact import {token[:8]}",
    )
    return token


def run(token, compressed, user_id, sha256, name, client_address, language) -> str:
    """The worker's side: import, reporting progress; the outcome goes to the cache, never patient data."""
    key = _key(token)

    def progress(stage: str, done: int, total: int) -> None:
        cache.set(key, {"state": stage, "done": done, "total": total, "name": name}, STATUS_SECONDS)

    user = User.objects.get(pk=user_id)
    request = HttpRequest()  # only for the access log's client address
    request.META["REMOTE_ADDR"] = client_address or ""
    with translation.override(language):
        try:
            result = importers.apply_import(
                zlib.decompress(compressed),
                user=user,
                allowed_units=led_units(user),
                request=request,
                expected_sha256=sha256,
                progress=progress,
            )
            outcome = {"state": "done", "result": {"name": name, **vars(result)}}
        except importers.ImportFileError as error:
            outcome = {"state": "file_error", "message": str(error)}
        except importers.ImportInvalid as invalid:
            errors = [(error.line, error.reasons) for error in invalid.plan.errors]
            outcome = {"state": "invalid", "rows": invalid.plan.rows, "errors": errors}
        except Exception:
            logger.exception("Contact import %s failed", token[:8])
            outcome = {"state": "failed"}
    cache.set(key, {**outcome, "name": name}, STATUS_SECONDS)
    return outcome["state"]
