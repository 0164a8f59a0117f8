"""The unit's contact list, the worklist and the home page with 100,000 contacts in one unit (PostgreSQL).

Runs against its own database (created and migrated if missing; emptied first):

    .venv/bin/python bench/referrals_lists.py [CONTACTS]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_refcore .venv/bin/python bench/referrals_lists.py

Server time is measured around Django's test client (full middleware stack, production settings, no
network), logged in as the unit's clinician. Every list request also writes its access-log rows, as
in production. It prints a table and the plan of the list query; nothing here asserts.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_refcore"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
CONTACTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
REPEAT = 20
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


from bench import dataset  # noqa: E402
from bench.timing import timed  # noqa: E402

dataset.setup_django(DATABASE_URL)

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from core.periods import OSLO  # noqa: E402
from referrals.models import PatientContact  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    # Production settings use the manifest storage: the pages need collected static files.
    call_command("collectstatic", interactive=False, verbosity=0)
    dataset.clear()
    units = dataset.build_units(count=2)
    unit = units[0]
    start = time.perf_counter()
    # All contacts in the first unit; the second unit exists so that the unit filter has to work.
    dataset.build_contacts(count=CONTACTS, units=[unit], months=24)
    print(f"Built {CONTACTS:,} contacts in {unit.code} in {time.perf_counter() - start:.1f} s")

    contacts = PatientContact.objects.filter(unit=unit)
    today = timezone.localdate(timezone=OSLO)
    due = contacts.follow_up_due(today).count()
    some_month = contacts.order_by("contact_month").values_list("contact_month", flat=True)[12]
    clinician = User.objects.get(username="bench-clinician-01")
    print(f"{contacts.count():,} contacts, {due:,} follow-ups due, month filter {some_month:%Y-%m}\n")

    client = Client()
    client.force_login(clinician, backend="django.contrib.auth.backends.ModelBackend")
    pages = [
        ("contact list, first page", "/contacts/"),
        ("contact list, page 100 (offset 4,950)", "/contacts/?page=100"),
        ("contact list, one month", f"/contacts/?month={some_month:%Y-%m}"),
        ("contact list, intensity 2", "/contacts/?intensity=2"),
        ("contact list, my contacts", f"/contacts/?clinician={clinician.pk}"),
        ("contact list, follow-up due", "/contacts/?due=on"),
        ("worklist, first page", "/contacts/worklist/"),
        ("worklist, only mine", "/contacts/worklist/?mine=1"),
        ("home page (with the follow-up section)", "/"),
        ("new contact form", "/contacts/new/"),
        ("contact detail", f"/contacts/{contacts.order_by('-pk').values_list('pk', flat=True).first()}/"),
    ]
    print(f"  {'page':<44} {'median':>10} {'max':>10} {'queries':>8}")
    for label, url in pages:
        for _ in range(3):
            timed(client, url)  # warm caches
        runs = [timed(client, url) for _ in range(REPEAT)]
        times = [elapsed for elapsed, _ in runs]
        print(
            f"  {label:<44} {statistics.median(times) * 1000:8.1f} ms {max(times) * 1000:7.1f} ms {runs[0][1]:>8}",
            flush=True,
        )

    # The key queries of referrals.selectors.contact_page: one unit read along its index.
    print("\nPlan of the contact list's key query (first page):")
    keys = PatientContact.objects.current().filter(unit_id=unit.pk).order_by("-contacted_at", "-pk")
    print(keys.values_list("pk", "contacted_at")[:51].explain(analyze=True))
    print("\nPlan of the worklist's key query (first page):")
    due_keys = PatientContact.objects.follow_up_due(today).filter(unit_id=unit.pk)
    due_keys = due_keys.order_by("follow_up_planned_on", "pk")
    print(due_keys.values_list("pk", "follow_up_planned_on")[:51].explain(analyze=True))


if __name__ == "__main__":
    main()
