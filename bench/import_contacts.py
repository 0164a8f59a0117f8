"""Times the EHR extract import with 10,000 rows: check only, first import, re-import, import with changes.

Runs against its own database (default: a fresh SQLite file in /tmp; set DATABASE_URL for PostgreSQL):
    .venv/bin/python bench/import_contacts.py [ROWS]

`upload_figures(rows)` measures what a unit lead's upload costs where it runs, with production settings: the preview
and confirm on the upload page (a web worker's work) and the queued import (the job worker's), each in a process of
its own, time and peak memory; bench/run.py calls it. On its own, in a PostgreSQL database named bench* (DATABASE_URL,
default bench_imports):
    .venv/bin/python bench/import_contacts.py 100000 --upload
"""

import json
import os
import pydoc
import random
import re
import resource
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "--upload" in sys.argv or "--stage" in sys.argv:
    # Production settings (DEBUG off, so the confirm queues the import as in production), in a bench* database.
    from bench import dataset

    dataset.setup_django(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_imports"))
else:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench_import_contacts.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from accounts.models import Membership, Unit, User  # noqa: E402
from referrals import importers  # noqa: E402
from referrals.models import AccessLogEntry, PatientContact  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10_000


def build_csv(rows: int, *, seed: int, intensity_shift: int = 0) -> bytes:
    rng = random.Random(seed)
    lines = ["date;unit;patient_ref;setting;intensity;fellowships;response;clinician"]
    for number in range(rows):
        unit = f"BENCH-{number % 5}"
        day = f"2025-{1 + number % 12:02d}-{1 + number % 28:02d}"
        intensity = 1 + (number + intensity_shift) % 4
        fellowships = rng.choice(["AA", "NA", '"AA;NA"', ""])
        response = rng.choice(["positive", "undecided", "declined", ""])
        lines.append(f"{day};{unit};EP-{number:06d};outpatient;{intensity};{fellowships};{response};bench{number % 5}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def timed(label: str, function):
    start = time.perf_counter()
    result = function()
    print(f"{label:<42} {time.perf_counter() - start:6.2f} s")
    return result


def _bench_units():
    trust, _ = Unit.objects.get_or_create(code="BENCH-HF", defaults={"name": "Bench", "kind": Unit.Kind.HEALTH_TRUST})
    for index in range(5):
        unit, _ = Unit.objects.get_or_create(
            code=f"BENCH-{index}", defaults={"name": f"Bench {index}", "parent": trust}
        )
        user, _ = User.objects.get_or_create(username=f"bench{index}")
        Membership.objects.get_or_create(user=user, unit=unit)
    lead, _ = User.objects.get_or_create(username="bench-lead")
    Membership.objects.get_or_create(user=lead, unit=trust, defaults={"role": Membership.Role.LEAD})
    return lead


def upload_figures(rows: int = 100_000) -> dict:
    """What a unit lead's upload of a `rows`-row file costs where it runs: seconds and peak memory (RSS) of the
    preview (and the confirm that queues the file) in a web worker, and of the queued import in the job worker.

    This process makes the file and the lead; each stage then runs in a fresh process of its own that does only
    that stage, as gunicorn's and django-q's workers do, so the figures include neither the file's generation
    nor the other stage. Every call imports new patients (a fresh reference prefix), so nothing needs deleting.
    """
    lead = _bench_units()
    contacts_before = PatientContact.objects.filter(unit__code__startswith="BENCH-").count()
    # Letters only: digits next to the row number could read as a national identity number and be refused.
    prefix = "".join(random.choices(string.ascii_uppercase, k=8)) + "-"
    data = build_csv(rows, seed=2).replace(b";EP-", f";{prefix}".encode())
    megabytes = round(len(data) / 1024 / 1024, 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "extract.csv"
        path.write_bytes(data)
        del data
        preview = _run_stage("preview", str(path), lead.username)
    job = _run_stage("import", preview["token"])
    assert job["state"] == "done", job
    return {
        "rows": rows,
        "megabytes": megabytes,
        "preview_s": preview["preview_s"],
        "confirm_s": preview["confirm_s"],
        "preview_peak_mb": preview["peak_mb"],
        "import_s": job["seconds"],
        "import_peak_mb": job["peak_mb"],
        "total_s": round(preview["preview_s"] + preview["confirm_s"] + job["seconds"], 2),
        "baseline_mb": max(preview["baseline_mb"], job["baseline_mb"]),
        # bench/run.py takes this as the figure's peak: the stages' own, not this process's.
        "peak_mb": max(preview["peak_mb"], job["peak_mb"]),
        "contacts_added": PatientContact.objects.filter(unit__code__startswith="BENCH-").count() - contacts_before,
        "load_average": round(os.getloadavg()[0], 1),
    }


def _run_stage(stage: str, *arguments: str) -> dict:
    """Run one stage in a new Python process with this one's settings and database; its figures."""
    command = [sys.executable, str(Path(__file__).resolve()), "--stage", stage, *arguments]
    output = subprocess.run(command, env=os.environ.copy(), capture_output=True, text=True, check=False)
    found = re.search(r"^BENCH-STAGE (.+)$", output.stdout, re.MULTILINE)
    assert found, (stage, output.returncode, output.stdout[-2000:], output.stderr[-4000:])
    return json.loads(found.group(1))


def _peak_mb() -> float:
    """The highest resident memory this process has had (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _current_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return round(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024, 1)


def _preview_stage(path: str, username: str) -> dict:
    """The upload view's preview and confirm, as a web worker runs them; the token of the queued import."""
    from django.test import Client
    from django.urls import reverse

    from referrals.import_views import TASK_KEY

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=username))
    url = reverse("referrals:import")
    client.get(url)  # the page's own imports and first queries, before the baseline
    baseline = _current_mb()
    with open(path, "rb") as upload:
        start = time.perf_counter()
        preview = client.post(url, {"action": "upload", "file": upload})
        preview_seconds = time.perf_counter() - start
    found = re.search(rb'name="sha256" value="([0-9a-f]{64})"', preview.content)
    assert preview.status_code == 200 and found, (preview.status_code, preview.content[:2000])
    del preview
    start = time.perf_counter()
    confirm = client.post(url, {"action": "confirm", "sha256": found.group(1).decode()})
    confirm_seconds = time.perf_counter() - start
    assert confirm.status_code == 302, confirm.status_code
    return {
        "preview_s": round(preview_seconds, 2),
        "confirm_s": round(confirm_seconds, 2),
        "baseline_mb": baseline,
        "peak_mb": _peak_mb(),
        "token": client.session[TASK_KEY],
    }


def _import_stage(token: str) -> dict:
    """The queued import, taken from the job queue and run as django-q's worker runs it."""
    from django_q.models import OrmQ

    from referrals import import_tasks

    queued = [item for item in OrmQ.objects.all() if item.name() == f"contact import {token[:8]}"]
    assert len(queued) == 1, f"{len(queued)} queued imports for this token (is DEBUG or JOBS_INLINE on?)"
    task = queued[0].task
    queued[0].delete()
    del queued
    function = pydoc.locate(task["func"])
    baseline = _current_mb()
    start = time.perf_counter()
    function(*task["args"], **task["kwargs"])
    seconds = time.perf_counter() - start
    state = import_tasks.status(token)["state"]
    return {"state": state, "seconds": round(seconds, 2), "baseline_mb": baseline, "peak_mb": _peak_mb()}


def main():
    call_command("migrate", verbosity=0)
    PatientContact.objects.filter(unit__code__startswith="BENCH-").delete()
    _bench_units()

    first = build_csv(ROWS, seed=1)
    changed = build_csv(ROWS, seed=1, intensity_shift=1)
    print(f"{ROWS} rows, {len(first) / 1024:.0f} KiB, database {os.environ['DATABASE_URL'].split(':')[0]}")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work skews the figures)")
    plan = timed("check only (dry run)", lambda: importers.plan_import(first))
    assert plan.is_valid, plan.errors[:3]
    entries_before = AccessLogEntry.objects.count()
    result = timed("first import (all created)", lambda: importers.apply_import(first))
    print(f"  created {result.created}, access-log entries written {AccessLogEntry.objects.count() - entries_before}")
    result = timed("same file again (all unchanged)", lambda: importers.apply_import(first))
    print(f"  unchanged {result.unchanged}")
    result = timed("intensity changed on every row (updated)", lambda: importers.apply_import(changed))
    print(f"  updated {result.updated}")


if __name__ == "__main__":
    if "--stage" in sys.argv:
        stage, *arguments = sys.argv[sys.argv.index("--stage") + 1 :]
        figures = _preview_stage(*arguments) if stage == "preview" else _import_stage(*arguments)
        print("BENCH-STAGE " + json.dumps(figures))
    elif "--upload" in sys.argv:
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)  # the import's progress lives in the database cache
        print(upload_figures(ROWS))
    else:
        main()
