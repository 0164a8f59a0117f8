"""The product's benchmark: scale data, server time per page, and throughput under load against a bare view.

    .venv/bin/python bench/run.py                 # build (or reuse) the data, measure, load-test
    .venv/bin/python bench/run.py --scale 10000   # 10,000 meetings and 100,000 contacts: a shorter run
    .venv/bin/python bench/run.py --rebuild       # rebuild the data first
    .venv/bin/python bench/run.py --quick         # small data, 5-second load runs: a smoke test of the script
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mine .venv/bin/python bench/run.py

1. Builds a PostgreSQL database (name starting with "bench"; "bench" at the default scale, "bench_<meetings>"
   at another) with `--scale` meetings (default 100,000) and ten times as many contacts over 50 units and 24
   months by COPY (bench/dataset.py), with suggested meetings on 200 contacts for the handout, unless it is there.
2. Server time (p50, p95) and queries per request, through Django's full middleware stack in this
   process, with production settings: the search page cached and rendered, the two uncached search mixes (a
   unique postal code and weekday on every request; free text), the feed cold and warm, a unit report, the
   all-units comparison, the logged-in lists (contact list, worklist, home page), the handout PDF's first render
   for a contact and the report PDF.
3. Throughput: gunicorn with config/gunicorn.conf.py and production settings (DEBUG off, second
   factor required; only the HTTPS redirect is off, as behind a TLS-terminating proxy), `wrk` with 64
   connections for 30 s per page: a bare "ok" view served by the same processes (bench/urls.py),
   anonymous and with logged-in sessions; popular searches (20 addresses repeated), the two uncached search mixes
   (every request a new address, so neither the page cache nor the shared search body can answer) and a meeting
   page; and, as a unit lead logged in with password and one-time code (64 sessions), the unit report, the search
   page, the home page, the contact list and the worklist. Requests per second, the ratio to the bare view (and,
   for logged-in pages, to the bare view with the same sessions), latency, errors and non-2xx answers, against the
   targets (issue 15). Every gunicorn worker's memory (RSS) is sampled through the whole run and its peak
   printed. Cache and sessions are in Redis as compose.yaml runs production when one answers on
   127.0.0.1:6379 (database 15, emptied), else in the database; `--cache-url database` or `--cache-url redis://…`
   chooses.
4. The import and feed figures of the per-area scripts (bench/registry_bench.py, bench/import_contacts.py), each
   in a process of its own whose peak memory is printed beside them, as a worker's would be.

The machine has two cores: other work on it distorts every figure, so compare ratios measured in the same run.
Prints its tables and writes them to bench/out/ (ignored by git). Nothing here asserts; figures are
read by people (README, "Performance").
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
PORT = int(os.environ.get("BENCH_PORT", "8108"))
OUT_DIR = BASE_DIR / "bench" / "out"
# Ratio to the bare view (issue 15); server-time and memory targets in milliseconds and megabytes.
TARGETS = {
    "popular searches (cached)": 0.25,
    "search, unique postal code and weekday (uncached)": 0.10,
    "search, free text (uncached)": 0.10,
    "unit report, logged-in lead": 0.10,
    "home page, logged-in lead": 0.10,
    "contact list, logged-in lead": 0.10,
    "worklist, logged-in lead": 0.10,
}
SERVER_TIME_TARGETS_MS = {
    "search, unique postal code and weekday (uncached)": 25,
    "search, free text (uncached)": 25,
    "handout PDF, first render for a contact": 200,
    "report PDF": 1000,
}
WORKER_MEMORY_LIMIT_MB = 300
# A unit lead's 100,000-row contact file: preview plus the queued import, in seconds (issue 15).
CONTACT_IMPORT_SECONDS = 20
BARE_LOGGED_IN = "bare Django view, logged in"
DEFAULT_SCALE = 100_000

WRK_SCRIPT = r"""
-- Counts answers by status class in every thread. Arguments: "--cookie VALUE" (repeated: the sessions to cycle
-- through) and "--paths FILE" (one path a line: each thread takes every second one, from its own start, so that
-- with unique paths no request repeats an address).
local threads = {}
local started = 0

function setup(thread)
  thread:set("id", started)
  started = started + 1
  table.insert(threads, thread)
end

function init(args)
  s2, s3, s4, s5 = 0, 0, 0, 0
  cookies, paths, counter, wrapped = {}, {}, 0, 0
  local i = 1
  while i <= #args do
    if args[i] == "--cookie" then table.insert(cookies, args[i + 1])
    elseif args[i] == "--paths" then for line in io.lines(args[i + 1]) do table.insert(paths, line) end end
    i = i + 2
  end
end

function request()
  local headers = {}
  if #cookies > 0 then headers["Cookie"] = cookies[(counter % #cookies) + 1] end
  local path = nil
  if #paths > 0 then
    local index = counter * 2 + id
    if index >= #paths then wrapped = 1 end
    path = paths[(index % #paths) + 1]
  end
  counter = counter + 1
  return wrk.format(nil, path, headers)
end

function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1
  elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1
  else s2 = s2 + 1 end
end

function done(summary, latency, requests)
  local t2, t3, t4, t5, repeated = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    t2 = t2 + thread:get("s2")
    t3 = t3 + thread:get("s3")
    t4 = t4 + thread:get("s4")
    t5 = t5 + thread:get("s5")
    repeated = repeated + thread:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format("BENCH status 2xx=%d 3xx=%d 4xx=%d 5xx=%d\n", t2, t3, t4, t5))
  io.write(string.format("BENCH errors connect=%d read=%d write=%d status=%d timeout=%d\n",
    e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("BENCH latency_ms p50=%.1f p95=%.1f p99=%.1f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("BENCH total requests=%d seconds=%.2f\n", summary.requests, summary.duration / 1e6))
  io.write(string.format("BENCH paths_repeated=%d\n", repeated))
end
"""


# --- Set-up -------------------------------------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    """A PING to the Redis at `url` is answered (no client library needed)."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(url)
    try:
        with socket.create_connection((address.hostname, address.port or 6379), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def setup(database_url: str, cache_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    # Without a cache URL: the database cache (and database sessions) every worker shares; with one (Redis, as in
    # compose.yaml), cache and sessions live there.
    if cache_url:
        os.environ["CACHE_URL"] = cache_url
    else:
        os.environ.pop("CACHE_URL", None)
    from bench import dataset

    dataset.setup_django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Production storage needs the manifest of collected static files (bench settings collect to their own dir).
    call_command("collectstatic", interactive=False, verbosity=0)
    if cache_url:
        from django.core.cache import cache

        cache.clear()  # the benchmark's own Redis database: nothing cached from an earlier run


def cpu_reference_seconds() -> float:
    """The best of three runs of a fixed pure-Python loop (10 million additions). The same two-core virtual machine
    ran it in 0.56 s and in 2.0 s within one afternoon (2026-12-04), and every figure here moves with it: compare
    runs by their ratios to the bare view, and absolute times only with this figure beside them."""
    best = float("inf")
    for _run in range(3):
        start = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        best = min(best, time.perf_counter() - start)
    return round(best, 2)


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    memory_kb = 0
    cpu = platform.processor()
    try:
        memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1).strip()
    except (OSError, AttributeError):
        pass
    import django

    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="minutes"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "postgresql": postgres,
        "python": platform.python_version(),
        "django": django.get_version(),
        "load_average_at_start": os.getloadavg()[0],
        "cpu_reference_s": cpu_reference_seconds(),
    }


def build_data(*, meetings: int, contacts: int, units: int, months: int, rebuild: bool) -> dict:
    from accounts.models import Unit
    from bench import dataset
    from referrals.models import PatientContact
    from registry.models import Meeting

    have_meetings = Meeting.objects.filter(source="bench").count()
    have_units = Unit.objects.filter(code__startswith=dataset.BENCH_UNIT_PREFIX).count()
    # Only the bench units' contacts: the upload benchmark adds contacts in units of its own.
    have_contacts = PatientContact.objects.filter(unit__code__startswith=dataset.BENCH_UNIT_PREFIX).count()
    if not rebuild and (have_meetings, have_units, have_contacts) == (meetings, units, contacts):
        print(f"Reusing the data: {meetings:,} meetings, {contacts:,} contacts over {units} units.")
        dataset.build_suggestions()
        return {"reused": True}
    print(f"Building: {meetings:,} meetings, {contacts:,} contacts over {units} units × {months} months …")
    timings = {}
    start = time.perf_counter()
    dataset.clear()
    step = time.perf_counter()
    dataset.build_meetings(count=meetings)
    timings["meetings_s"] = time.perf_counter() - step
    step = time.perf_counter()
    built_units = dataset.build_units(count=units)
    dataset.build_contacts(count=contacts, units=built_units, months=months)
    dataset.build_suggestions()
    timings["contacts_s"] = time.perf_counter() - step
    timings["total_s"] = time.perf_counter() - start
    print(
        f"  meetings {timings['meetings_s']:.0f} s, units and contacts {timings['contacts_s']:.0f} s, "
        f"total {timings['total_s']:.0f} s (target: under 300 s)"
    )
    return timings


# --- Server time in this process -------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def sample(label: str, call, *, runs: int, warmup: int = 2, prepare=None) -> dict:
    """Run `call` (returning a response or None) `runs` times; server time and query counts per run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        if prepare:
            prepare()
        call()
    times, queries = [], []
    status = None
    for _ in range(runs):
        if prepare:
            prepare()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = call()
            times.append((time.perf_counter() - start) * 1000)
        queries.append(len(captured))
        if response is not None:
            status = response.status_code
            if status != 200:
                raise SystemExit(f"{label}: status {status}")
    result = {
        "label": label,
        "runs": runs,
        "p50_ms": statistics.median(times),
        "p95_ms": _percentile(times, 0.95),
        "queries": int(statistics.median(queries)),
        "status": status,
    }
    print(f"  {label:<58} {result['p50_ms']:>9.1f} {result['p95_ms']:>9.1f} {result['queries']:>8}  ({runs} runs)")
    return result


def search_mix(kind: str, *, seed: int) -> list[str]:
    """Search addresses that are all different, shuffled: "postal" is a postal code with one or two weekdays
    (sorted by distance, as a postal code is), "text" a municipality's name as free text with or without a weekday
    and a time of day."""
    import itertools
    import random
    from urllib.parse import urlencode

    from registry.models import Municipality, PostalCode

    weekdays = [[day] for day in range(1, 8)] + [list(pair) for pair in itertools.combinations(range(1, 8), 2)]
    if kind == "postal":
        codes = PostalCode.objects.exclude(municipality=None).values_list("code", flat=True)
        queries = [[("postal_code", code)] + [("weekday", day) for day in days] for code in codes for days in weekdays]
    else:
        # Municipality names: each finds the meetings of a place (a postal place's name mostly finds none).
        places = sorted(set(Municipality.objects.values_list("name", flat=True)))
        queries = [
            [("q", place)]
            + ([("weekday", day)] if day else [])
            + ([("time_of_day", time_of_day)] if time_of_day else [])
            for place in places
            for day in range(8)
            for time_of_day in ("", "morning", "afternoon", "evening")
        ]
    random.Random(seed).shuffle(queries)
    return [f"/meetings/?{urlencode(query)}" for query in queries]


def server_times(*, quick: bool) -> list[dict]:
    from registry.models import Meeting, Status

    runs = 8 if quick else 30
    active = Meeting.objects.filter(status=Status.ACTIVE).count()
    print(f"\nServer time in ms (Django test client, production settings), {active:,} active meetings")
    print(f"  {'page':<58} {'p50':>9} {'p95':>9} {'queries':>8}")
    results = registry_times(runs=runs, quick=quick)
    results += logged_in_times(runs=runs)
    results += pdf_times(runs=10 if quick else 20)
    return results


def _registry_changed():
    """As after a curator's edit: the shared feed, pages and search bodies are rebuilt on the next request."""
    from registry import changes, feed

    changes.registry_changed()
    feed.clear_process_cache()


def registry_times(*, runs: int, quick: bool) -> list[dict]:
    from django.test import Client

    from registry.models import Fellowship

    anonymous = Client()
    clinician = verified_client("bench-clinician-01")
    aa = Fellowship.objects.get(code="AA").pk
    feed_url = "/meetings/feed.json"
    evening_url = f"/meetings/?fellowship={aa}&time_of_day=evening&municipality=4204"
    near_url = "/meetings/?postal_code=9990"
    rendered = {"prepare": _registry_changed}
    # Every request a new address: neither the page cache nor the shared search body has it (as under load).
    postal = iter(search_mix("postal", seed=int(time.time())))
    text = iter(search_mix("text", seed=int(time.time())))
    return [
        sample("search page, anonymous (page cache)", lambda: anonymous.get("/meetings/"), runs=runs),
        sample("search page, anonymous, rendered", lambda: anonymous.get("/meetings/"), runs=runs, **rendered),
        sample("search, unique postal code and weekday (uncached)", lambda: anonymous.get(next(postal)), runs=runs),
        sample("search, free text (uncached)", lambda: anonymous.get(next(text)), runs=runs),
        sample("search page, logged in (shared body cached)", lambda: clinician.get("/meetings/"), runs=runs),
        sample("search page, logged in, rendered", lambda: clinician.get("/meetings/"), runs=runs, **rendered),
        sample(
            "search, AA evenings in a municipality, rendered", lambda: clinician.get(evening_url), runs=runs, **rendered
        ),
        sample("search, nearest to postal code 9990, rendered", lambda: clinician.get(near_url), runs=runs, **rendered),
        sample("feed, cold (registry changed)", lambda: anonymous.get(feed_url), runs=3 if quick else 5, **rendered),
        sample("feed, warm", lambda: anonymous.get(feed_url), runs=runs),
        sample("feed, warm, gzip", lambda: anonymous.get(feed_url, HTTP_ACCEPT_ENCODING="gzip"), runs=runs),
    ]


def _last_month() -> str:
    return (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


def logged_in_times(*, runs: int) -> list[dict]:
    from reports import report_cache

    lead = verified_client("bench-lead-01")
    analyst = verified_client("bench-analyst")
    report_url = f"/reports/?month={_last_month()}"
    return [
        sample("unit report, lead (body cached)", lambda: lead.get(report_url), runs=runs),
        sample(
            "unit report, lead, rendered (data changed)",
            lambda: lead.get(report_url),
            runs=runs,
            prepare=report_cache.bump_generation,
        ),
        sample(
            "all-units comparison (analyst)", lambda: analyst.get(f"/reports/compare/?month={_last_month()}"), runs=10
        ),
        sample("home page, lead", lambda: lead.get("/"), runs=runs),
        sample("contact list, lead", lambda: lead.get("/contacts/"), runs=runs),
        sample("worklist, lead", lambda: lead.get("/contacts/worklist/"), runs=runs),
    ]


def pdf_times(*, runs: int) -> list[dict]:
    """The handout PDF rendered for a different contact each time (its first render), and the report PDF."""
    from referrals.models import PatientContact

    lead = verified_client("bench-lead-01")
    contacts = iter(
        PatientContact.objects.filter(unit__code="BENCH-U01")
        .exclude(suggested_meetings=None)
        .distinct()
        .values_list("pk", flat=True)[: runs + 5]
    )
    return [
        sample(
            "handout PDF, first render for a contact",
            lambda: lead.get(f"/contacts/{next(contacts)}/handout.pdf"),
            runs=runs,
        ),
        sample("report PDF", lambda: lead.get(f"/reports/export.pdf?month={_last_month()}"), runs=runs),
    ]


# --- Throughput under wrk -------------------------------------------------------------------------------------


def verified_client(username: str):
    """A test client logged in with password and one-time code, as django-otp's login leaves the session.

    Production requires the second factor (REQUIRE_2FA), so every page checks the session's authenticator.
    """
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    user = User.objects.get(username=username)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def session_cookies(username: str, count: int) -> list[str]:
    """`count` sessions of one user, each as a browser of a busy unit would hold it."""
    from django.conf import settings

    return [
        f"{settings.SESSION_COOKIE_NAME}={verified_client(username).cookies[settings.SESSION_COOKIE_NAME].value}"
        for _ in range(count)
    ]


def start_gunicorn(database_url: str, log) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # As in production: every logged-in page checks the session's second factor.
        "REQUIRE_2FA": "true",
        "BIND": f"127.0.0.1:{PORT}",
        "LOG_LEVEL": "WARNING",
    }
    if not os.environ.get("CACHE_URL"):
        environment.pop("CACHE_URL", None)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=BASE_DIR,
        env=environment,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/ok", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
        if process.poll() is not None:
            break
    stop_gunicorn(process)
    raise SystemExit(f"gunicorn did not answer on port {PORT}; see its log")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class WorkerMemory:
    """The resident memory (RSS) of gunicorn's workers, sampled every 0.2 s in a thread through a whole run: the
    peak of every worker, and the peak during each labelled stretch (a load run, an import)."""

    def __init__(self, master_pid: int):
        import threading

        self.master_pid = master_pid
        self.peak_by_worker: dict[int, float] = {}
        self.peak_by_label: dict[str, float] = {}
        self.label = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss_mb(pid: int) -> float:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return 0.0
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else 0.0

    def _workers(self) -> list[int]:
        try:
            return [
                int(pid) for pid in Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children").read_text().split()
            ]
        except OSError:
            return []

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for pid in self._workers():
                rss = self.rss_mb(pid)
                self.peak_by_worker[pid] = max(self.peak_by_worker.get(pid, 0.0), rss)
                if self.label:
                    self.peak_by_label[self.label] = max(self.peak_by_label.get(self.label, 0.0), rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> float:
        return max(self.peak_by_worker.values(), default=0.0)


def wait_until_idle(limit_seconds: float = 120) -> None:
    """Wait until the workers have answered what the last run left queued (wrk stops; requests it sent go on), so
    that one page's backlog is not measured as the next page's slowness: the bare view answers within 0.5 s."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/ok", timeout=limit_seconds) as answer:  # noqa: S310
                answer.read()
        except OSError:
            pass
        if time.monotonic() - start < 0.5:
            return


def run_wrk(label: str, path: str, *, seconds: int, connections: int, arguments=(), warmup_arguments=None) -> dict:
    wait_until_idle()
    url = f"http://127.0.0.1:{PORT}{path}"
    # The timeout matches gunicorn's worker timeout: a request that waits longer counts as an error.
    base = ["wrk", "-t2", f"-c{connections}", "--timeout", "30s", "-s", str(OUT_DIR / "count.lua")]
    # A short warm-up (workers import, caches fill), then the measured run.
    warmup = arguments if warmup_arguments is None else warmup_arguments
    subprocess.run([*base, "-d3s", url, "--", *warmup], capture_output=True, text=True, check=False, timeout=120)
    wait_until_idle()
    completed = subprocess.run(
        [*base, f"-d{seconds}s", "--latency", url, "--", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 120,
    )
    output = completed.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    status = dict(re.findall(r"(\dxx)=(\d+)", output))
    errors = dict(re.findall(r"(connect|read|write|status|timeout)=(\d+)", output))
    latency = dict(re.findall(r"(p50|p95|p99)=([\d.]+)", output))
    result = {
        "label": label,
        "path": path,
        "rps": float(rps.group(1)) if rps else 0.0,
        "status": {key: int(value) for key, value in status.items()},
        "socket_errors": sum(int(errors.get(key, 0)) for key in ("connect", "read", "write", "timeout")),
        "latency_ms": {key: float(value) for key, value in latency.items()},
        "paths_repeated": "paths_repeated=1" in output or "paths_repeated=2" in output,
    }
    if not rps:
        result["raw"] = output + completed.stderr
    return result


def _paths_file(name: str, paths: list[str]) -> list[str]:
    file = OUT_DIR / f"paths-{name}.txt"
    file.write_text("\n".join(paths) + "\n")
    return ["--paths", str(file)]


def load_plan(connections: int) -> list[dict]:
    """Each load run: label, path, wrk arguments (sessions, addresses) for the warm-up and the measured run."""
    from registry.models import Meeting

    cookies = [part for cookie in session_cookies("bench-lead-01", connections) for part in ("--cookie", cookie)]
    slug = Meeting.objects.filter(status="active", source="bench").order_by("pk").values_list("slug", flat=True)[0]
    popular = [path for kind in ("postal", "text") for path in search_mix(kind, seed=7)[:10]]
    plan = [
        {"label": "bare Django view", "path": "/bench/ok"},
        {"label": "popular searches (cached)", "path": "/", "arguments": _paths_file("popular", popular)},
    ]
    for kind, label in (
        ("postal", "search, unique postal code and weekday (uncached)"),
        ("text", "search, free text (uncached)"),
    ):
        paths = search_mix(kind, seed=int(time.time()))
        # The warm-up's addresses are not used again: every measured request is one nobody asked for before.
        plan.append(
            {
                "label": label,
                "path": "/",
                "warmup_arguments": _paths_file(f"{kind}-warmup", paths[:3000]),
                "arguments": _paths_file(kind, paths[3000:]),
            }
        )
    plan += [
        {"label": "meeting page", "path": f"/meetings/{slug}/"},
        # The floor of every authenticated page: session, user and second-factor check.
        {"label": BARE_LOGGED_IN, "path": "/bench/ok", "arguments": cookies, "logged_in": True},
        {
            "label": "unit report, logged-in lead",
            "path": f"/reports/?month={_last_month()}",
            "arguments": cookies,
            "logged_in": True,
        },
        {"label": "search page, logged in", "path": "/meetings/", "arguments": cookies, "logged_in": True},
        {"label": "home page, logged-in lead", "path": "/", "arguments": cookies, "logged_in": True},
        {"label": "contact list, logged-in lead", "path": "/contacts/", "arguments": cookies, "logged_in": True},
        {"label": "worklist, logged-in lead", "path": "/contacts/worklist/", "arguments": cookies, "logged_in": True},
    ]
    return plan


def _print_load(result: dict) -> None:
    repeated = "  (addresses repeated!)" if result["paths_repeated"] else ""
    print(
        f"  {result['label']:<52} {result['rps']:>8.1f} req/s  p50 {result['latency_ms'].get('p50', 0):>7.1f} ms  "
        f"{result['status']}  socket errors {result['socket_errors']}  worker peak {result['worker_peak_mb']:.0f} MB"
        f"{repeated}"
    )


def throughput(database_url: str, *, seconds: int, connections: int) -> tuple[list[dict], dict]:
    """The load runs against gunicorn, with its workers' memory watched throughout."""
    if not shutil.which("wrk"):
        print("\nwrk is not installed (apt-get install wrk): no throughput run.")
        return [], {}
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "count.lua").write_text(WRK_SCRIPT)
    plan = load_plan(connections)
    print(
        f"\nThroughput: gunicorn (config/gunicorn.conf.py, production settings) on :{PORT}, wrk -c{connections} "
        f"-d{seconds}s; peak RSS of any worker during each run"
    )
    results = []
    with open(OUT_DIR / "gunicorn.log", "w") as log:
        process = start_gunicorn(database_url, log)
        try:
            with WorkerMemory(process.pid) as memory:
                for run in plan:
                    memory.label = run["label"]
                    result = run_wrk(
                        run["label"],
                        run["path"],
                        seconds=seconds,
                        connections=connections,
                        arguments=run.get("arguments", ()),
                        warmup_arguments=run.get("warmup_arguments"),
                    )
                    result["logged_in"] = run.get("logged_in", False)
                    result["worker_peak_mb"] = memory.peak_by_label.get(run["label"], 0.0)
                    results.append(result)
                    _print_load(result)
        finally:
            stop_gunicorn(process)
    bare = results[0]["rps"] or 1.0
    bare_logged_in = next(r["rps"] for r in results if r["label"] == BARE_LOGGED_IN) or 1.0
    for result in results:
        result["ratio"] = result["rps"] / bare
        result["ratio_same_session"] = result["rps"] / bare_logged_in if result["logged_in"] else None
    workers = {
        "peak_mb": memory.peak,
        "workers": len(memory.peak_by_worker),
        "by_worker_mb": sorted(memory.peak_by_worker.values()),
    }
    print(
        f"  gunicorn workers: {workers['workers']} seen, peak RSS {workers['peak_mb']:.0f} MB "
        f"(limit {WORKER_MEMORY_LIMIT_MB} MB); each: {', '.join(f'{mb:.0f}' for mb in workers['by_worker_mb'])} MB"
    )
    return results, workers


# --- Import and feed figures of the per-area scripts -----------------------------------------------------------

# (label, module, function, keyword arguments at full scale, at --quick): each runs in a process of its own, in a
# database of its own (the benchmark's name + "_imports"), so that the imports neither count the scale data's meetings
# in their feed figures nor add to its contacts.
EXTERNAL_FIGURES = [
    (
        "Meeting Guide feed: import, unchanged re-import, cold feed",
        "bench.registry_bench",
        "import_and_feed_figures",
        {"meetings": 100_000, "first": 10_000},
        {"meetings": 2_000, "first": 1_000},
    ),
    (
        "contact import: upload page preview + confirm (web worker), then the queued import (job worker)",
        "bench.import_contacts",
        "upload_figures",
        {"rows": 100_000},
        {"rows": 1_000},
    ),
]
EXTERNAL_RUNNER = """
import importlib, json, os, sys
sys.path.insert(0, os.environ["BENCH_BASE_DIR"])
from bench import dataset
dataset.setup_django(os.environ["DATABASE_URL"])
from django.core.management import call_command
call_command("migrate", verbosity=0)
name, function_name, keywords = sys.argv[1:4]
sys.argv = sys.argv[:1]  # a script may read its own command line when imported
function = getattr(importlib.import_module(name), function_name, None)
if function is None:
    print("BENCH-MISSING")
else:
    print("BENCH-FIGURES " + json.dumps(function(**json.loads(keywords)), default=str))
"""


def external_figures(database_url: str, *, quick: bool) -> list[dict]:
    """The per-area scripts' figures, each function run in a new Python process as a worker would run the import:
    its peak memory (RSS) is sampled as the workers' is. A function not (yet) in its script is reported missing."""
    import threading

    imports_url = f"{database_url}_imports"
    print(
        f"\nImports and feeds (the per-area scripts, each in a process of its own, in {imports_url.rsplit('/', 1)[1]})"
    )
    results = []
    for label, module, function, full, small in EXTERNAL_FIGURES:
        environment = {**os.environ, "DATABASE_URL": imports_url, "BENCH_BASE_DIR": str(BASE_DIR)}
        environment["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        command = [sys.executable, "-c", EXTERNAL_RUNNER, module, function, json.dumps(small if quick else full)]
        process = subprocess.Popen(command, cwd=BASE_DIR, env=environment, stdout=subprocess.PIPE, text=True)
        peak = [0.0]

        def watch(process=process, peak=peak):
            while process.poll() is None:
                peak[0] = max(peak[0], WorkerMemory.rss_mb(process.pid))
                time.sleep(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        output, _ = process.communicate()
        watcher.join()
        found = re.search(r"^BENCH-FIGURES (.+)$", output, re.MULTILINE)
        if found:
            figures = json.loads(found.group(1))
            if "peak_mb" in figures:
                # The script ran its stages in processes of their own (bench/import_contacts.py): theirs is the peak.
                peak[0] = figures["peak_mb"]
            print(f"  {label}: {figures}; peak RSS {peak[0]:.0f} MB")
        else:
            figures = None
            print(f"  {label}: not available ({module}.{function} is missing or failed)")
        results.append({"label": label, "figures": figures, "peak_mb": peak[0]})
    return results


# --- Report ------------------------------------------------------------------------------------------------------


def _ratio_lines(result: dict, target: float) -> list[str]:
    lines = [
        f"{'HELD' if result['ratio'] >= target else 'MISSED'}: {result['label']} at {result['ratio']:.1%} of the "
        f"bare view (target {target:.0%})"
    ]
    if result.get("ratio_same_session") is not None:
        lines.append(
            f"{'HELD' if result['ratio_same_session'] >= target else 'MISSED'}: {result['label']} at "
            f"{result['ratio_same_session']:.1%} of the bare view requested with the same logged-in sessions "
            f"(target {target:.0%})"
        )
    return lines


def verdicts(times: list[dict], load: list[dict], workers: dict, imports: list[dict]) -> list[str]:
    lines = []
    by_label = {result["label"]: result for result in load}
    for label, target in TARGETS.items():
        if label in by_label:
            lines += _ratio_lines(by_label[label], target)
    for result in times:
        target = SERVER_TIME_TARGETS_MS.get(result["label"])
        if target is not None:
            verdict = "HELD" if result["p50_ms"] <= target else "MISSED"
            lines.append(
                f"{verdict}: {result['label']}: server time p50 {result['p50_ms']:.1f} ms (target {target} ms)"
            )
    peaks = [workers.get("peak_mb", 0.0)] + [item["peak_mb"] for item in imports if item["figures"]]
    if workers or imports:
        verdict = "HELD" if max(peaks) < WORKER_MEMORY_LIMIT_MB else "MISSED"
        lines.append(
            f"{verdict}: worker memory peak {max(peaks):.0f} MB, imports included (limit {WORKER_MEMORY_LIMIT_MB} MB)"
        )
    for figures in [item["figures"] for item in imports if item["figures"] and "import_s" in item["figures"]]:
        verdict = "HELD" if figures["total_s"] <= CONTACT_IMPORT_SECONDS else "MISSED"
        lines.append(
            f"{verdict}: contact import of {figures['rows']:,} rows: preview {figures['preview_s']} s, confirm "
            f"{figures['confirm_s']} s, import {figures['import_s']} s, total {figures['total_s']} s "
            f"(target {CONTACT_IMPORT_SECONDS} s); peak RSS preview {figures['preview_peak_mb']:.0f} MB, "
            f"import {figures['import_peak_mb']:.0f} MB"
        )
    for result in load:
        bad = result["socket_errors"] + result["status"].get("5xx", 0)
        non_2xx = sum(count for key, count in result["status"].items() if key != "2xx")
        lines.append(
            f"{'HELD' if bad == 0 and non_2xx == 0 else 'MISSED'}: {result['label']}: "
            f"{result['socket_errors']} socket errors, {result['status'].get('5xx', 0)} 5xx, {non_2xx} non-2xx"
        )
    return lines


def _load_table(load: list[dict], workers: dict) -> list[str]:
    out = [
        "",
        "| Under load (wrk, 64 connections) | req/s | of bare | of bare, same session | p50 ms | p95 ms "
        "| 2xx | non-2xx | 5xx | socket errors | worker peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in load:
        non_2xx = sum(count for key, count in r["status"].items() if key != "2xx")
        same = f"{r['ratio_same_session']:.1%}" if r.get("ratio_same_session") is not None else "–"
        latency = r["latency_ms"]
        out.append(
            f"| {r['label']} | {r['rps']:.0f} | {r['ratio']:.1%} | {same} | {latency.get('p50', 0):.0f} | "
            f"{latency.get('p95', 0):.0f} | {r['status'].get('2xx', 0)} | {non_2xx} | {r['status'].get('5xx', 0)} "
            f"| {r['socket_errors']} | {r['worker_peak_mb']:.0f} |"
        )
    out += ["", f"gunicorn workers: peak RSS {workers['peak_mb']:.0f} MB over {workers['workers']} workers."]
    return out


def markdown(info: dict, build: dict, times: list[dict], load: list[dict], extra: dict) -> str:
    out = [
        f"Measured {info['date']} on {info['cpus']} CPUs ({info['cpu']}), {info['memory_gb']} GB memory, "
        f"PostgreSQL {info['postgresql']}, Python {info['python']}, Django {info['django']}, "
        f"cache: {info['cache']} (load average {info['load_average_at_start']:.1f} at start, "
        f"CPU reference loop {info['cpu_reference_s']} s, at the end {info.get('cpu_reference_end_s', '–')} s), "
        f"{info['scale']:,} meetings.",
        "",
    ]
    if not build.get("reused"):
        out += [
            f"Data build: meetings {build['meetings_s']:.0f} s, units and contacts {build['contacts_s']:.0f} s, "
            f"total {build['total_s']:.0f} s.",
            "",
        ]
    out += ["| Server time | p50 ms | p95 ms | queries |", "|---|---:|---:|---:|"]
    out += [f"| {r['label']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['queries']} |" for r in times]
    if load:
        out += _load_table(load, extra["workers"])
    for item in extra["imports"]:
        out.append(f"- {item['label']}: {item['figures'] or 'not available'}; peak RSS {item['peak_mb']:.0f} MB")
    out += ["", *[f"- {line}" for line in extra["lines"]]]
    return "\n".join(out)


def arguments_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data even if it is there")
    parser.add_argument("--quick", action="store_true", help="small data and 5-second load runs (a smoke test)")
    parser.add_argument(
        "--scale",
        type=int,
        default=DEFAULT_SCALE,
        help=f"meetings (default {DEFAULT_SCALE:,}; contacts are ten times as many), e.g. 10000 for a shorter run",
    )
    parser.add_argument("--seconds", type=int, default=30, help="length of each load run (default 30)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--no-load", action="store_true", help="skip the throughput runs")
    parser.add_argument("--no-server-times", action="store_true", help="skip the in-process server times")
    parser.add_argument("--no-imports", action="store_true", help="skip the import and feed figures")
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_CACHE_URL", "auto"),
        help="cache and sessions: a Redis URL, 'database' for the database cache and sessions, or 'auto' (the "
        f"default): {DEFAULT_REDIS_URL} when a Redis answers there, as compose.yaml runs production, else the "
        "database; the benchmark empties this cache",
    )
    return parser


def main() -> None:
    arguments = arguments_parser().parse_args()
    if arguments.cache_url == "auto":
        arguments.cache_url = DEFAULT_REDIS_URL if redis_answers(DEFAULT_REDIS_URL) else ""
    elif arguments.cache_url == "database":
        arguments.cache_url = ""
    meetings = 5_000 if arguments.quick else arguments.scale
    database_url = os.environ.get("BENCH_DATABASE_URL") or (
        DEFAULT_DATABASE_URL if meetings == DEFAULT_SCALE else f"{DEFAULT_DATABASE_URL}_{meetings}"
    )
    setup(database_url, arguments.cache_url)
    info = {**machine(), "scale": meetings}
    info["cache"] = arguments.cache_url.split("@")[-1] if arguments.cache_url else "database cache and sessions"
    print(
        f"{info['cpus']} CPUs ({info['cpu']}), {info['memory_gb']} GB, PostgreSQL {info['postgresql']}, "
        f"load average {info['load_average_at_start']:.1f}, CPU reference loop {info['cpu_reference_s']} s"
    )
    build = build_data(meetings=meetings, contacts=meetings * 10, units=50, months=24, rebuild=arguments.rebuild)
    times = [] if arguments.no_server_times else server_times(quick=arguments.quick)
    load, workers = [], {}
    if not arguments.no_load:
        seconds = 5 if arguments.quick else arguments.seconds
        load, workers = throughput(database_url, seconds=seconds, connections=arguments.connections)
    imports = [] if arguments.no_imports else external_figures(database_url, quick=arguments.quick)
    info["cpu_reference_end_s"] = cpu_reference_seconds()
    lines = verdicts(times, load, workers, imports)
    print(f"\nCPU reference loop: {info['cpu_reference_s']} s at the start, {info['cpu_reference_end_s']} s at the end")
    for line in lines:
        print(line)
    OUT_DIR.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M")
    report = markdown(info, build, times, load, {"workers": workers, "imports": imports, "lines": lines})
    (OUT_DIR / f"run-{stamp}.md").write_text(report + "\n")
    everything = {"machine": info, "build": build, "server": times, "load": load, "workers": workers}
    (OUT_DIR / f"run-{stamp}.json").write_text(json.dumps({**everything, "imports": imports}, indent=2, default=str))
    print(f"\nWritten to {OUT_DIR / f'run-{stamp}.md'}")


if __name__ == "__main__":
    main()
