"""Meeting registry at scale: the feed (cold, warm, gzip), import and re-import, and search at 100,000 meetings.

Runs against its own PostgreSQL database (created and migrated if missing; emptied first):

    .venv/bin/python bench/registry_bench.py
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_regx .venv/bin/python bench/registry_bench.py

Server time is measured around Django's test client (the full middleware stack, no network), with production
settings (DEBUG off) and the database cache that every worker shares. It prints a table; nothing here asserts.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_regx"

from bench import dataset  # noqa: E402

if __name__ == "__main__":
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.pop("CACHE_URL", None)  # the default: Django's database cache
    dataset.setup_django(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL)

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from registry import changes, feed  # noqa: E402
from registry.importers import import_meetings, read_source  # noqa: E402
from registry.models import Meeting, Status  # noqa: E402

ROWS: list[tuple[str, str, str]] = []
LAST_CPU = [0.0]  # CPU seconds of this process in the last timed request: the machine is shared


def row(label: str, value: str, note: str = "") -> None:
    ROWS.append((label, value, note))
    print(f"  {label:<52} {value:>14}  {note}", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def timed_get(client: Client, url: str, **headers):
    start = time.perf_counter()
    cpu = time.process_time()
    response = client.get(url, **headers)
    elapsed = time.perf_counter() - start
    LAST_CPU[0] = time.process_time() - cpu
    assert response.status_code == 200, (url, response.status_code)
    return response, elapsed


def median_get(client: Client, url: str, *, repeat: int, **headers) -> float:
    return statistics.median(timed_get(client, url, **headers)[1] for _ in range(repeat))


def cold_feed(client: Client):
    cache.clear()
    feed.clear_process_cache()
    with CaptureQueriesContext(connection) as queries:
        response, elapsed = timed_get(client, "/meetings/feed.json")
    meeting_queries = [q for q in queries if '"registry_' in q["sql"]]
    return response, elapsed, len(queries), len(meeting_queries)


def feed_section(client: Client) -> None:
    count = Meeting.objects.filter(status=Status.ACTIVE).count()
    print(f"\nFeed: {count:,} active meetings")
    for _ in range(2):  # warm Python and PostgreSQL caches; the figures below are from the third cold build
        cold_feed(client)
    response, elapsed, queries, meeting_queries = cold_feed(client)
    records = json.loads(response.content)
    row("feed cold build + response (server time)", ms(elapsed), f"{len(records):,} meetings, CPU {ms(LAST_CPU[0])}")
    row(
        "  queries in the cold request",
        str(queries),
        f"{meeting_queries} for the meetings; the rest read and write the shared cache",
    )
    start, cpu = time.perf_counter(), time.process_time()
    feed.meeting_feed_records(base_url="http://localhost/")
    row(
        "  building the records alone (1 query on PostgreSQL)",
        ms(time.perf_counter() - start),
        f"CPU {ms(time.process_time() - cpu)}",
    )
    row(
        "  JSON size / gzip size",
        f"{len(response.content) / 1e6:.1f} MB",
        f"gzip {len(feed.get_feed_entry(base_url='http://testserver/').gzip_body) / 1e6:.2f} MB",
    )

    with CaptureQueriesContext(connection) as queries:
        timed_get(client, "/meetings/feed.json")
    warm_queries = len(queries)  # read now: the next requests reset Django's query log
    row("feed warm (median of 50)", ms(median_get(client, "/meetings/feed.json", repeat=50)), f"{warm_queries} query")
    gz = median_get(client, "/meetings/feed.json", repeat=50, HTTP_ACCEPT_ENCODING="gzip")
    row("feed warm, gzip (median of 50)", ms(gz), "stored gzip bytes")
    gzipped, _ = timed_get(client, "/meetings/feed.json", HTTP_ACCEPT_ENCODING="gzip")
    assert gzip.decompress(gzipped.content) == response.content
    etag = response["ETag"]
    row(
        "feed 304 with If-None-Match (median of 50)",
        ms(statistics.median(_conditional(client, etag) for _ in range(50))),
    )
    feed.clear_process_cache()
    start = time.perf_counter()
    timed_get(client, "/meetings/feed.json")
    row("feed from the shared cache in a fresh worker", ms(time.perf_counter() - start), "no rebuild")
    row("bare Django view /bench/ok (median of 50)", ms(median_get(client, "/bench/ok", repeat=50)), "for comparison")

    meeting = Meeting.objects.filter(status=Status.ACTIVE).first()
    meeting.name = meeting.name + " (endret)"
    meeting.save()
    start = time.perf_counter()
    edited, _ = timed_get(client, "/meetings/feed.json")
    row("first request after an edit (rebuild)", ms(time.perf_counter() - start), "edit visible at once")
    assert meeting.name.encode() in edited.content


def _conditional(client: Client, etag: str) -> float:
    start = time.perf_counter()
    response = client.get("/meetings/feed.json", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    return time.perf_counter() - start


def import_section() -> None:
    records = dataset.meeting_guide_feed(count=10_000)
    content = json.dumps(records, ensure_ascii=False).encode()
    print(f"\nImport: Meeting Guide feed of {len(records):,} meetings ({len(content) / 1e6:.1f} MB)")
    start, cpu = time.perf_counter(), time.process_time()
    result = import_meetings(content=content, source_name="bench-import", preview_limit=0)
    assert result.ok, result.problems[:3]
    first_cpu = time.process_time() - cpu
    row(
        "import (all new)",
        f"{time.perf_counter() - start:.2f} s",
        f"created {result.created:,}, groups {result.groups_created:,}, CPU {first_cpu:.2f} s",
    )
    start, cpu = time.perf_counter(), time.process_time()
    result = import_meetings(content=content, source_name="bench-import", preview_limit=0)
    again_cpu = time.process_time() - cpu
    row(
        "re-import of the same feed",
        f"{time.perf_counter() - start:.2f} s",
        f"unchanged {result.unchanged:,}, CPU {again_cpu:.2f} s",
    )
    for index, record in enumerate(records):
        if index % 10 == 0:
            record["name"] += " (ny)"
            record["types"] = [*record["types"], "W"]
    content = json.dumps(records, ensure_ascii=False).encode()
    start = time.perf_counter()
    result = import_meetings(content=content, source_name="bench-import", preview_limit=0)
    row("re-import with 10% changed", f"{time.perf_counter() - start:.2f} s", f"updated {result.updated:,}")
    start = time.perf_counter()
    result = import_meetings(content=content, source_name="bench-import", dry_run=True, preview_limit=0)
    row("dry run (validate + compare only)", f"{time.perf_counter() - start:.2f} s")


def search_section(client: Client) -> None:
    total = Meeting.objects.count()
    print(f"\nSearch: {total:,} meetings")
    urls = ("/meetings/", "/meetings/?weekday=2&time_of_day=evening", "/meetings/?postal_code=9990")
    # Rendered every time: registry-core's page cache for anonymous visitors switched off.
    with override_settings(REGISTRY_PAGE_CACHE_SECONDS=0):
        for url in urls:
            for _ in range(2):
                client.get(url)
            with CaptureQueriesContext(connection) as queries:
                timed_get(client, url)
            count = len(queries)  # read now: the next requests reset Django's query log
            row(f"GET {url} (rendered, median of 10)", ms(median_get(client, url, repeat=10)), f"{count} queries")
    for url in urls[:1]:
        client.get(url)
        row(f"GET {url} (anonymous page cache, median of 10)", ms(median_get(client, url, repeat=10)))
    response, elapsed, queries, _meeting_queries = cold_feed(client)
    row("feed cold build at this size", ms(elapsed), f"{len(json.loads(response.content)):,} active, {queries} queries")


def import_and_feed_figures(*, meetings: int = 100_000, first: int = 10_000) -> dict:
    """Issue 15's registry figures, for bench/run.py: a Meeting Guide feed of `first` meetings imported, the feed built
    cold, then `meetings` imported (the first ones unchanged), the same file again (all unchanged), the feed built cold
    again. Uses the database as it is (its own meetings stay; the imported ones, source "bench-import", are deleted at
    the end).

    Each import and each cold feed build runs in a new Python process, as a gunicorn worker would run it: the feed
    file read from disk (as `manage.py import_meetings` and the admin's upload page get it), then checked and written.
    Its seconds, its RSS once Django is loaded (`…_baseline_mb`) and its own peak RSS (`…_peak_mb`) are reported
    apart, so that neither this process's writing of the synthetic feed nor one stage's memory is counted in
    another's; `peak_mb` is the largest."""
    figures: dict = {}
    _delete_bench_import()
    with tempfile.TemporaryDirectory(prefix="bench-feed-") as directory:
        for count in (first, meetings):
            path = Path(directory) / f"feed-{count}.json"
            _write_feed(path, count=count)
            _add(figures, f"import_{count}", _in_worker_process("import_file", path=str(path)))
            if count == meetings:
                again = _in_worker_process("import_file", path=str(path), unchanged=count)
                _add(figures, f"reimport_unchanged_{count}", again)
                preview = _in_worker_process("upload_preview", path=str(path))
                pending = {key: preview.pop(key) for key in ("session", "token", "sha256")}
                _add(figures, f"admin_upload_preview_unchanged_{count}", preview)
                _add(
                    figures, f"admin_upload_confirm_unchanged_{count}", _in_worker_process("upload_confirm", **pending)
                )
            feed_figures = _in_worker_process("cold_feed_figures")
            _add(figures, f"feed_cold_{feed_figures.pop('active')}_active", feed_figures)
            path.unlink()
    # bench/run.py takes this as the figure's peak: the worker processes' own, not this process's.
    figures["peak_mb"] = max(value for key, value in figures.items() if key.endswith("_peak_mb"))
    _delete_bench_import()
    return figures


# Runs one function of this module in a new process (Django set up as bench/run.py sets it up, the URLconf and
# middleware loaded by a first request as in a worker that has served pages) and prints its figures and peak RSS.
WORKER_RUNNER = """
import json, os, resource, sys
sys.path.insert(0, os.environ["BENCH_BASE_DIR"])
from bench import dataset
dataset.setup_django(os.environ["DATABASE_URL"])
from django.test import Client
from bench import registry_bench
assert Client(HTTP_HOST="localhost").get("/bench/ok").status_code == 200
ready_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
figures = getattr(registry_bench, sys.argv[1])(**json.loads(sys.argv[2]))
figures["baseline_mb"] = round(ready_mb)
figures["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print("WORKER-FIGURES " + json.dumps(figures))
"""


def _in_worker_process(function: str, **keywords) -> dict:
    environment = {**os.environ, "BENCH_BASE_DIR": str(Path(__file__).resolve().parent.parent)}
    command = [sys.executable, "-c", WORKER_RUNNER, function, json.dumps(keywords)]
    output = subprocess.run(command, env=environment, stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(re.search(r"^WORKER-FIGURES (.+)$", output, re.MULTILINE).group(1))


def _add(figures: dict, prefix: str, worker_figures: dict) -> None:
    figures[f"{prefix}_s"] = worker_figures.pop("s")
    for key, value in worker_figures.items():
        figures[f"{prefix}_{key}"] = value


def _write_feed(path: Path, *, count: int) -> None:
    """The synthetic feed, written record by record (the same bytes as json.dumps of the whole list)."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for index, record in enumerate(dataset.meeting_guide_records(count=count, prefix="bench-import")):
            handle.write(", " if index else "")
            handle.write(json.dumps(record))
        handle.write("]")


def import_file(*, path: str, unchanged: int | None = None) -> dict:
    """In a worker process: import the feed file as `manage.py import_meetings` does. Seconds from reading the file."""
    start = time.perf_counter()
    result = import_meetings(content=read_source(path), filename=path, source_name="bench-import", preview_limit=0)
    seconds = round(time.perf_counter() - start, 2)
    assert result.ok, result.problems[:3]
    assert unchanged is None or result.unchanged == unchanged, result.summary()
    return {"s": seconds}


def upload_preview(*, path: str) -> dict:
    """In a worker process: the feed file uploaded on the admin's import page (checked, compared, kept for the
    confirm step). Returns the session and the confirm form's fields, for `upload_confirm` in another process.

    The request body is read from a file, as gunicorn hands a worker the body from its socket: the test client's own
    encoding would hold two copies of the whole upload in memory, which no worker does."""
    from django.contrib.auth import get_user_model

    user, _created = get_user_model().objects.get_or_create(username="bench-curator", defaults={"is_curator": True})
    client = Client(HTTP_HOST="localhost")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    body = Path(path).with_suffix(".multipart")
    content_type = _write_multipart(body, path, {"fellowship": "AA", "source_name": "bench-import"})
    start = time.perf_counter()
    with body.open("rb") as stream:
        environ = {"wsgi.input": stream, "CONTENT_LENGTH": str(body.stat().st_size), "CONTENT_TYPE": content_type}
        response = client.generic("POST", "/admin/registry/meeting/import/", **environ)
    seconds = round(time.perf_counter() - start, 2)
    body.unlink()
    assert response.status_code == 200, response.status_code
    fields = dict(re.findall(r'name="(token|sha256)" value="([^"]+)"', response.content.decode()))
    assert len(fields) == 2, "no confirm form: the upload was refused"
    return {"s": seconds, "session": client.cookies[settings.SESSION_COOKIE_NAME].value, **fields}


def _write_multipart(body: Path, path: str, fields: dict) -> str:
    """A multipart/form-data body of `fields` and the file at `path`, written to `body`; returns its content type."""
    boundary = "bench-boundary-7c1f"
    with body.open("wb") as handle, open(path, "rb") as upload:
        for name, value in fields.items():
            handle.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        handle.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="feed.json"\r\n'
            "Content-Type: application/json\r\n\r\n".encode()
        )
        shutil.copyfileobj(upload, handle)
        handle.write(f"\r\n--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}"


def upload_confirm(*, session: str, token: str, sha256: str) -> dict:
    """In a worker process: the confirm step of `upload_preview`'s upload (the file imported from the shared cache)."""
    client = Client(HTTP_HOST="localhost")
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    start = time.perf_counter()
    response = client.post("/admin/registry/meeting/import/confirm/", {"token": token, "sha256": sha256})
    assert response.status_code == 302 and response["Location"].endswith("/admin/registry/meeting/"), response
    return {"s": round(time.perf_counter() - start, 2)}


def cold_feed_figures() -> dict:
    """In a worker process: the feed built cold three times (median seconds), and how many meetings it lists."""
    client = Client(HTTP_HOST="localhost")
    seconds = statistics.median(cold_feed(client)[1] for _ in range(3))
    return {"s": round(seconds, 3), "active": Meeting.objects.filter(status=Status.ACTIVE).count()}


def _delete_bench_import() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM registry_meeting_types WHERE meeting_id IN "
            "(SELECT id FROM registry_meeting WHERE source = 'bench-import')"
        )
        cursor.execute("DELETE FROM registry_meeting WHERE source = 'bench-import'")
        cursor.execute(
            "DELETE FROM registry_group WHERE name LIKE 'Importgruppe %%' "
            "AND NOT EXISTS (SELECT 1 FROM registry_meeting m WHERE m.group_id = registry_group.id)"
        )
    changes.registry_changed()


def main() -> None:
    print(f"Database: {connection.vendor} {connection.settings_dict['NAME']} · cache: {cache.__class__.__name__}")
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG is off: pages need the manifest
    print(f"Load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    dataset.clear()
    cache.clear()
    start = time.perf_counter()
    dataset.build_meetings(count=10_000)
    Meeting.objects.update(status=Status.ACTIVE)
    changes.registry_changed()
    print(f"Built 10,000 meetings in {time.perf_counter() - start:.1f} s")
    client = Client(HTTP_HOST="localhost")

    feed_section(client)
    import_section()

    start = time.perf_counter()
    dataset.build_meetings(count=80_000, seed=3)
    changes.registry_changed()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"\nBuilt 80,000 more meetings in {time.perf_counter() - start:.1f} s")
    search_section(client)

    print(f"\nLoad average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("\nSummary")
    print(f"| {'measure':<52} | {'value':>14} | note")
    print(f"|{'-' * 54}|{'-' * 16}|------")
    for label, value, note in ROWS:
        print(f"| {label:<52} | {value:>14} | {note}")


if __name__ == "__main__":
    main()
