"""The product's benchmark: scale data, server time per page, and throughput under load against a bare view.

    .venv/bin/python bench/run.py                 # build (or reuse) the data, measure, load-test
    .venv/bin/python bench/run.py --rebuild       # rebuild the data first
    .venv/bin/python bench/run.py --quick         # small data, 5-second load runs: a smoke test of the script
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mine .venv/bin/python bench/run.py

1. Builds a PostgreSQL database (name starting with "bench") with 100,000 meetings and 1,000,000
   contacts over 50 units and 24 months by COPY (bench/dataset.py), unless it is already there.
2. Server time (p50, p95) and queries per request, through Django's full middleware stack in this
   process, with production settings: the search page, the feed cold and warm, a unit report, the
   all-units comparison, and an import (and re-import) of 10,000 meetings.
3. Throughput: gunicorn with config/gunicorn.conf.py and production settings (DEBUG off, second
   factor required; only the HTTPS redirect is off, as behind a TLS-terminating proxy), `wrk` with 64
   connections for 30 s per page: a bare "ok" view served by the same processes (bench/urls.py),
   anonymous and with logged-in sessions; the search page and a meeting page; and, as a unit lead
   logged in with password and one-time code (64 sessions), the unit report, the search page and the
   home page. Requests per second, the ratio to the bare view (and, for logged-in pages, to the bare
   view with the same sessions), latency, errors and non-2xx answers, against the targets: search
   ≥ 25% of bare, unit report ≥ 10%, no errors, no 5xx. Cache and sessions are in Redis as
   compose.yaml runs production when one answers on 127.0.0.1:6379 (database 15, emptied), else in
   the database; `--cache-url database` or `--cache-url redis://…` chooses.

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
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
PORT = int(os.environ.get("BENCH_PORT", "8108"))
OUT_DIR = BASE_DIR / "bench" / "out"
TARGETS = {"search": 0.25, "report": 0.10}
BARE_LOGGED_IN = "bare Django view, logged in"

WRK_SCRIPT = r"""
-- Counts answers by status class in every thread; cycles through the session cookies given as arguments.
local threads = {}
cookies = {}
counter = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  s2, s3, s4, s5 = 0, 0, 0, 0
  for i, value in ipairs(args) do cookies[i] = value end
end

function request()
  if #cookies > 0 then
    counter = counter + 1
    return wrk.format(nil, nil, {["Cookie"] = cookies[(counter % #cookies) + 1]})
  end
  return wrk.format()
end

function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1
  elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1
  else s2 = s2 + 1 end
end

function done(summary, latency, requests)
  local t2, t3, t4, t5 = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    t2 = t2 + thread:get("s2")
    t3 = t3 + thread:get("s3")
    t4 = t4 + thread:get("s4")
    t5 = t5 + thread:get("s5")
  end
  local e = summary.errors
  io.write(string.format("BENCH status 2xx=%d 3xx=%d 4xx=%d 5xx=%d\n", t2, t3, t4, t5))
  io.write(string.format("BENCH errors connect=%d read=%d write=%d status=%d timeout=%d\n",
    e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("BENCH latency_ms p50=%.1f p95=%.1f p99=%.1f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("BENCH total requests=%d seconds=%.2f\n", summary.requests, summary.duration / 1e6))
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
    }


def build_data(*, meetings: int, contacts: int, units: int, months: int, rebuild: bool) -> dict:
    from accounts.models import Unit
    from bench import dataset
    from referrals.models import PatientContact
    from registry.models import Meeting

    have_meetings = Meeting.objects.filter(source="bench").count()
    have_units = Unit.objects.filter(code__startswith=dataset.BENCH_UNIT_PREFIX).count()
    have_contacts = PatientContact.objects.count()
    if not rebuild and (have_meetings, have_units, have_contacts) == (meetings, units, contacts):
        print(f"Reusing the data: {meetings:,} meetings, {contacts:,} contacts over {units} units.")
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


def server_times(*, quick: bool) -> list[dict]:
    from django.test import Client

    from registry import changes, feed
    from registry.models import Fellowship, Meeting, Status
    from reports import report_cache

    runs = 8 if quick else 30
    month = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    anonymous = Client()
    lead = verified_client("bench-lead-01")
    analyst = verified_client("bench-analyst")
    aa = Fellowship.objects.get(code="AA").pk
    active = Meeting.objects.filter(status=Status.ACTIVE).count()

    def registry_changed():
        """As after a curator's edit: the shared feed, pages and search bodies are rebuilt on the next request."""
        changes.registry_changed()
        feed.clear_process_cache()

    print(f"\nServer time in ms (Django test client, production settings), {active:,} active meetings")
    print(f"  {'page':<58} {'p50':>9} {'p95':>9} {'queries':>8}")
    feed_url = "/meetings/feed.json"
    evening_url = f"/meetings/?fellowship={aa}&time_of_day=evening&municipality=4204"
    near_url = "/meetings/?postal_code=9990"
    report_url = f"/reports/?month={month}"
    clinician = verified_client("bench-clinician-01")
    rendered = {"prepare": registry_changed}
    results = [
        sample("search page, anonymous (page cache)", lambda: anonymous.get("/meetings/"), runs=runs),
        sample("search page, anonymous, rendered", lambda: anonymous.get("/meetings/"), runs=runs, **rendered),
        sample("search page, logged in (shared body cached)", lambda: clinician.get("/meetings/"), runs=runs),
        sample("search page, logged in, rendered", lambda: clinician.get("/meetings/"), runs=runs, **rendered),
        sample(
            "search, AA evenings in a municipality, rendered", lambda: clinician.get(evening_url), runs=runs, **rendered
        ),
        sample("search, nearest to postal code 9990, rendered", lambda: clinician.get(near_url), runs=runs, **rendered),
        sample("feed, cold (registry changed)", lambda: anonymous.get(feed_url), runs=3 if quick else 5, **rendered),
        sample("feed, warm", lambda: anonymous.get(feed_url), runs=runs),
        sample("feed, warm, gzip", lambda: anonymous.get(feed_url, HTTP_ACCEPT_ENCODING="gzip"), runs=runs),
        sample("unit report, lead (body cached)", lambda: lead.get(report_url), runs=runs),
        sample(
            "unit report, lead, rendered (data changed)",
            lambda: lead.get(report_url),
            runs=runs,
            prepare=report_cache.bump_generation,
        ),
        sample("all-units comparison (analyst)", lambda: analyst.get(f"/reports/compare/?month={month}"), runs=10),
    ]
    results.extend(import_times(quick=quick))
    return results


def import_times(*, quick: bool) -> list[dict]:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import dataset
    from registry import changes

    count = 1000 if quick else 10_000
    records = dataset.meeting_guide_feed(count=count, prefix="bench-import")
    results = []
    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as quiet:
        path = Path(folder) / "feed.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        _delete_imported()
        for label in (f"import of {count:,} meetings (new)", f"re-import of the same {count:,} (unchanged)"):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                call_command("import_meetings", str(path), "--source-name", "bench-import", stdout=quiet)
                elapsed = (time.perf_counter() - start) * 1000
            result = {"label": label, "runs": 1, "p50_ms": elapsed, "p95_ms": elapsed, "queries": len(captured)}
            print(f"  {label:<58} {elapsed:>9.0f} {elapsed:>9.0f} {len(captured):>8}  (1 run)")
            results.append(result)
    _delete_imported()
    changes.registry_changed()
    return results


def _delete_imported() -> None:
    """Remove the imported meetings in three statements (a delete() per object would take minutes)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM registry_meeting_types WHERE meeting_id IN "
            "(SELECT id FROM registry_meeting WHERE source = 'bench-import')"
        )
        cursor.execute("DELETE FROM registry_meeting WHERE source = 'bench-import'")
        cursor.execute(
            "DELETE FROM registry_group WHERE name LIKE 'Importgruppe %%' "
            "AND NOT EXISTS (SELECT 1 FROM registry_meeting m WHERE m.group_id = registry_group.id)"
        )


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


def run_wrk(label: str, path: str, *, seconds: int, connections: int, cookies=(), script: Path) -> dict:
    url = f"http://127.0.0.1:{PORT}{path}"
    # The timeout matches gunicorn's worker timeout: a request that waits longer counts as an error.
    base = ["wrk", "-t2", f"-c{connections}", "--timeout", "30s", "-s", str(script)]
    # A short warm-up (workers import, caches fill), then the measured run.
    subprocess.run([*base, "-d3s", url, "--", *cookies], capture_output=True, text=True, check=False, timeout=120)
    completed = subprocess.run(
        [*base, f"-d{seconds}s", "--latency", url, "--", *cookies],
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
    }
    if not rps:
        result["raw"] = output + completed.stderr
    return result


def throughput(database_url: str, *, seconds: int, connections: int) -> list[dict]:
    from registry.models import Meeting

    if not shutil.which("wrk"):
        print("\nwrk is not installed (apt-get install wrk): no throughput run.")
        return []
    cookies = session_cookies("bench-lead-01", connections)
    month = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    slug = Meeting.objects.filter(status="active", source="bench").order_by("pk").values_list("slug", flat=True)[0]
    OUT_DIR.mkdir(exist_ok=True)
    script = OUT_DIR / "count.lua"
    script.write_text(WRK_SCRIPT)
    print(
        f"\nThroughput: gunicorn (config/gunicorn.conf.py, production settings) on :{PORT}, wrk -c{connections} "
        f"-d{seconds}s"
    )
    results = []
    with open(OUT_DIR / "gunicorn.log", "w") as log:
        process = start_gunicorn(database_url, log)
        try:
            plan = [
                ("bare Django view", "/bench/ok", ()),
                ("search page", "/meetings/", ()),
                ("meeting page", f"/meetings/{slug}/", ()),
                # The floor of every authenticated page: session, user and second-factor check, session saved.
                (BARE_LOGGED_IN, "/bench/ok", cookies),
                ("unit report, logged-in lead", f"/reports/?month={month}", cookies),
                ("search page, logged in", "/meetings/", cookies),
                ("home page, logged-in lead", "/", cookies),
            ]
            for label, path, plan_cookies in plan:
                result = run_wrk(
                    label, path, seconds=seconds, connections=connections, cookies=plan_cookies, script=script
                )
                results.append(result)
                print(
                    f"  {label:<32} {result['rps']:>9.1f} req/s  {result['status']}  "
                    f"socket errors {result['socket_errors']}  latency {result['latency_ms']}"
                )
        finally:
            stop_gunicorn(process)
    bare = results[0]["rps"] or 1.0
    bare_logged_in = next(r["rps"] for r in results if r["label"] == BARE_LOGGED_IN) or 1.0
    for result, (_, _, plan_cookies) in zip(results, plan, strict=True):
        result["ratio"] = result["rps"] / bare
        result["ratio_same_session"] = result["rps"] / bare_logged_in if plan_cookies else None
    return results


# --- Report ------------------------------------------------------------------------------------------------------


def verdicts(load: list[dict]) -> list[str]:
    lines = []
    by_label = {result["label"]: result for result in load}
    checks = [("search page", TARGETS["search"]), ("unit report, logged-in lead", TARGETS["report"])]
    for label, target in checks:
        result = by_label.get(label)
        if not result:
            continue
        verdict = "HELD" if result["ratio"] >= target else "MISSED"
        lines.append(f"{verdict}: {label} at {result['ratio']:.1%} of the bare view (target {target:.0%})")
        if result.get("ratio_same_session") is not None:
            verdict = "HELD" if result["ratio_same_session"] >= target else "MISSED"
            lines.append(
                f"{verdict}: {label} at {result['ratio_same_session']:.1%} of the bare view requested with the same "
                f"logged-in sessions (target {target:.0%})"
            )
    for result in load:
        bad = result["socket_errors"] + result["status"].get("5xx", 0)
        non_2xx = sum(count for key, count in result["status"].items() if key != "2xx")
        lines.append(
            f"{'HELD' if bad == 0 and non_2xx == 0 else 'MISSED'}: {result['label']}: "
            f"{result['socket_errors']} socket errors, {result['status'].get('5xx', 0)} 5xx, {non_2xx} non-2xx"
        )
    return lines


def markdown(info: dict, build: dict, times: list[dict], load: list[dict], lines: list[str]) -> str:
    out = [
        f"Measured {info['date']} on {info['cpus']} CPUs ({info['cpu']}), {info['memory_gb']} GB memory, "
        f"PostgreSQL {info['postgresql']}, Python {info['python']}, Django {info['django']}, "
        f"cache: {info['cache']} (load average {info['load_average_at_start']:.1f} at start).",
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
        out += [
            "",
            "| Under load (wrk, 64 connections) | req/s | of bare | of bare, same session | p50 ms | p95 ms "
            "| 2xx | non-2xx | 5xx | socket errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in load:
            non_2xx = sum(count for key, count in r["status"].items() if key != "2xx")
            same = f"{r['ratio_same_session']:.1%}" if r.get("ratio_same_session") is not None else "–"
            latency = r["latency_ms"]
            out.append(
                f"| {r['label']} | {r['rps']:.0f} | {r['ratio']:.1%} | {same} | {latency.get('p50', 0):.0f} | "
                f"{latency.get('p95', 0):.0f} | {r['status'].get('2xx', 0)} | {non_2xx} | {r['status'].get('5xx', 0)} "
                f"| {r['socket_errors']} |"
            )
    out += ["", *[f"- {line}" for line in lines]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data even if it is there")
    parser.add_argument("--quick", action="store_true", help="small data and 5-second load runs (a smoke test)")
    parser.add_argument("--seconds", type=int, default=30, help="length of each load run (default 30)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--no-load", action="store_true", help="skip the throughput runs")
    parser.add_argument("--no-server-times", action="store_true", help="skip the in-process server times")
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_CACHE_URL", "auto"),
        help="cache and sessions: a Redis URL, 'database' for the database cache and sessions, or 'auto' (the "
        f"default): {DEFAULT_REDIS_URL} when a Redis answers there, as compose.yaml runs production, else the "
        "database; the benchmark empties this cache",
    )
    arguments = parser.parse_args()
    if arguments.cache_url == "auto":
        arguments.cache_url = DEFAULT_REDIS_URL if redis_answers(DEFAULT_REDIS_URL) else ""
    elif arguments.cache_url == "database":
        arguments.cache_url = ""

    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if arguments.quick and "BENCH_DATABASE_URL" not in os.environ:
        database_url = DEFAULT_DATABASE_URL + "_quick"
    setup(database_url, arguments.cache_url)
    info = machine()
    info["cache"] = arguments.cache_url.split("@")[-1] if arguments.cache_url else "database cache and sessions"
    print(
        f"{info['cpus']} CPUs ({info['cpu']}), {info['memory_gb']} GB, PostgreSQL {info['postgresql']}, "
        f"load average {info['load_average_at_start']:.1f}"
    )
    scale = (
        {"meetings": 5_000, "contacts": 50_000, "units": 50, "months": 24}
        if arguments.quick
        else {"meetings": 100_000, "contacts": 1_000_000, "units": 50, "months": 24}
    )
    build = build_data(**scale, rebuild=arguments.rebuild)
    times = [] if arguments.no_server_times else server_times(quick=arguments.quick)
    load = []
    if not arguments.no_load:
        seconds = 5 if arguments.quick else arguments.seconds
        load = throughput(database_url, seconds=seconds, connections=arguments.connections)
    lines = verdicts(load)
    print()
    for line in lines:
        print(line)
    OUT_DIR.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M")
    report = markdown(info, build, times, load, lines)
    (OUT_DIR / f"run-{stamp}.md").write_text(report + "\n")
    (OUT_DIR / f"run-{stamp}.json").write_text(
        json.dumps({"machine": info, "build": build, "server": times, "load": load}, indent=2, default=str)
    )
    print(f"\nWritten to {OUT_DIR / f'run-{stamp}.md'}")


if __name__ == "__main__":
    main()
