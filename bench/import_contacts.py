"""Times the EHR extract import with 10,000 rows: check only, first import, re-import, import with changes.

Runs against its own database (default: a fresh SQLite file in /tmp; set DATABASE_URL for PostgreSQL):
    .venv/bin/python bench/import_contacts.py [ROWS]

`upload_figures(rows)` times what a unit lead does on the upload page (preview, then confirm, through the views and
the session) and returns the figures; bench/run.py calls it.
"""

import os
import random
import re
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench_import_contacts.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
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
    """Preview and confirm of a `rows`-row file on the upload page, as a unit lead: seconds and counts.

    Every call imports new patients (a fresh reference prefix), so nothing needs deleting between runs."""
    from django.test import Client
    from django.urls import reverse

    lead = _bench_units()
    # Letters only: digits next to the row number could read as a national identity number and be refused.
    prefix = "".join(random.choices(string.ascii_uppercase, k=8)) + "-"
    data = build_csv(rows, seed=2).replace(b";EP-", f";{prefix}".encode())
    client = Client(HTTP_HOST="localhost")
    client.force_login(lead)
    url = reverse("referrals:import")
    upload = SimpleUploadedFile("extract.csv", data, content_type="text/csv")
    start = time.perf_counter()
    preview = client.post(url, {"action": "upload", "file": upload})
    preview_seconds = time.perf_counter() - start
    found = re.search(rb'name="sha256" value="([0-9a-f]{64})"', preview.content)
    assert preview.status_code == 200 and found, (preview.status_code, preview.content[:2000])
    start = time.perf_counter()
    confirm = client.post(url, {"action": "confirm", "sha256": found.group(1).decode()})
    confirm_seconds = time.perf_counter() - start
    assert confirm.status_code == 302, confirm.status_code
    return {
        "rows": rows,
        "megabytes": round(len(data) / 1024 / 1024, 1),
        "preview_s": round(preview_seconds, 2),
        "confirm_s": round(confirm_seconds, 2),
        "total_s": round(preview_seconds + confirm_seconds, 2),
        "load_average": round(os.getloadavg()[0], 1),
    }


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
    if "--upload" in sys.argv:
        print(upload_figures(ROWS))
    else:
        main()
