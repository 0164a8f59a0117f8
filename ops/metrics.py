"""Prometheus metrics at /metrics: request latency by view, job results, the job queue, contact imports.

Served only with `Authorization: Bearer <METRICS_TOKEN>`, or, when no token is set, only to the addresses in
METRICS_ALLOWED_ADDRESSES (default: this host); anyone else gets a 404. Request latency and import counts are counted
in each process (summed over gunicorn's workers through PROMETHEUS_MULTIPROC_DIR when it is set); job results and
the queue length are read from the database at each scrape, so every replica answers the same.
"""

from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.db.models import Count, Max
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUEST_SECONDS = Histogram(
    "selvhjelp_request_seconds",
    "Time to answer a request, by view (URL name) and method.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IMPORTED_CONTACTS = Counter(
    "selvhjelp_contact_import_rows", "Contacts written by committed contact imports.", ["result"]
)
IMPORTS = Counter("selvhjelp_contact_imports", "Committed contact imports.")


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(view=view, method=method, status=f"{status // 100}xx").observe(seconds)


def count_import(*, created: int = 0, updated: int = 0, **kwargs) -> None:
    """A receiver of referrals.signals.contacts_bulk_changed."""
    IMPORTS.inc()
    IMPORTED_CONTACTS.labels(result="created").inc(created)
    IMPORTED_CONTACTS.labels(result="updated").inc(updated)


class DatabaseCollector:
    """Job results and the queue, from the database at scrape time."""

    def collect(self):
        from django_q.models import OrmQ

        from ops.models import JobRun

        runs = GaugeMetricFamily(
            "selvhjelp_job_runs", "Recorded runs of each scheduled job, by result.", labels=["job", "status"]
        )
        last = GaugeMetricFamily(
            "selvhjelp_job_last_success_timestamp_seconds",
            "When each scheduled job last finished successfully (Unix time).",
            labels=["job"],
        )
        for row in JobRun.objects.values("job", "status").annotate(count=Count("id")).order_by():
            runs.add_metric([row["job"], row["status"]], row["count"])
        successes = JobRun.objects.filter(status=JobRun.Status.SUCCEEDED).values("job").annotate(at=Max("finished_at"))
        for row in successes.order_by():
            last.add_metric([row["job"]], row["at"].timestamp())
        queue = GaugeMetricFamily("selvhjelp_job_queue_length", "Tasks waiting for the worker.")
        queue.add_metric([], OrmQ.objects.count())
        return [runs, last, queue]


def _allowed(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return hmac.compare_digest(given.encode(), token.encode())
    return request.META.get("REMOTE_ADDR") in getattr(settings, "METRICS_ALLOWED_ADDRESSES", ["127.0.0.1", "::1"])


@never_cache
def metrics(request):
    if not _allowed(request):
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    database_registry = CollectorRegistry()
    database_registry.register(DatabaseCollector())
    body = generate_latest(process_registry) + generate_latest(database_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
