"""Privacy speed on PostgreSQL: the patient access report in a 1,000,000-entry access log, and apply_retention
over 300,000 contacts spread over 72 months.

    .venv/bin/python bench/privacy_bench.py            # builds the data once, then reuses it
    .venv/bin/python bench/privacy_bench.py --rebuild  # empties the database and builds again
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_privacy .venv/bin/python bench/privacy_bench.py

Its own database (created and migrated if missing). Contacts come from bench/dataset.py; access-log entries are
streamed with COPY. The report is timed around Django's test client (full middleware stack, production settings,
no network) and its query plan printed. apply_retention runs inside a transaction that is rolled back, so the data
can be reused; its time includes freezing the report months. Targets: the report < 200 ms whatever the size of
the log (index scans, no sequential scan of the log); a nightly retention run in minutes, not hours. Nothing here
asserts.
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_privacy"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
CONTACTS, UNITS, MONTHS = 300_000, 20, 72
LOG_ENTRIES, LOG_YEARS = 1_000_000, 12
PATIENT_REFERENCE = "BENCH-PATIENT-0001"
PATIENT_ENTRIES = 60
REPEAT = 20
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


from bench import dataset  # noqa: E402

dataset.setup_django(DATABASE_URL)

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Unit, User  # noqa: E402
from privacy import selectors  # noqa: E402
from privacy.retention import retention_apply, retention_cutoffs  # noqa: E402
from referrals.models import AccessLogEntry, PatientContact  # noqa: E402
from referrals.pseudonyms import pseudonym_for  # noqa: E402


def build_access_log(*, count: int, seed: int = 3) -> None:
    """`count` entries over LOG_YEARS years, about the contacts; PATIENT_ENTRIES of them about the bench patient."""
    rng = random.Random(seed)
    contacts = list(PatientContact.objects.values_list("pk", "unit_id", "patient_pseudonym")[:200_000])
    users = list(User.objects.values_list("pk", "username"))
    now = datetime.datetime.now(tz=datetime.UTC)
    span = datetime.timedelta(days=365 * LOG_YEARS)
    target = pseudonym_for(PATIENT_REFERENCE)
    target_contact = contacts[0]
    actions = ["view", "list", "update", "export", "print"]

    def rows():
        for index in range(count):
            user_id, username = users[index % len(users)]
            if index % (count // PATIENT_ENTRIES) == 0:
                contact_id, unit_id, pseudonym = target_contact[0], target_contact[1], target
            else:
                contact_id, unit_id, pseudonym = contacts[rng.randrange(len(contacts))]
            at = now - span * rng.random()
            yield (
                at,
                user_id,
                username,
                unit_id,
                contact_id,
                pseudonym,
                rng.choice(actions),
                f"PatientContact #{contact_id}",
            )

    given = ["at", "user_id", "username", "unit_id", "contact_id", "patient_pseudonym", "action", "object_description"]
    with transaction.atomic():
        dataset._copy(AccessLogEntry, rows(), given=given)
    PatientContact.objects.filter(pk=target_contact[0]).update(patient_pseudonym=target)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def build(rebuild: bool) -> None:
    present = PatientContact.objects.count(), AccessLogEntry.objects.count()
    if present[0] == CONTACTS and present[1] >= LOG_ENTRIES and not rebuild:
        print(f"Reusing {present[0]:,} contacts and {present[1]:,} access-log entries.")
        return
    dataset.clear()
    start = time.perf_counter()
    units = dataset.build_units(count=UNITS)
    dataset.build_contacts(count=CONTACTS, units=units, months=MONTHS)
    build_access_log(count=LOG_ENTRIES)
    print(
        f"Built {CONTACTS:,} contacts over {UNITS} units and {MONTHS} months and {LOG_ENTRIES:,} access-log entries "
        f"in {time.perf_counter() - start:.0f} s."
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def bench_report() -> None:
    administrator, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    client = Client()
    client.force_login(administrator, backend="django.contrib.auth.backends.ModelBackend")
    url = "/privacy/patient-access/"
    times, query_counts = [], []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.post(url, {"reference": PATIENT_REFERENCE})
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
        query_counts.append(len(queries))
    queryset = selectors.patient_access_entries(pseudonym=pseudonym_for(PATIENT_REFERENCE))
    print(
        f"Patient access report, {AccessLogEntry.objects.count():,} log entries, {queryset.count()} for the patient: "
        f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms, "
        f"{query_counts[-1]} queries"
    )
    print("Plan of the report's query:")
    for line in queryset.explain(analyze=True).splitlines():
        print("   ", line)
    # The look-ups written by the timing runs are removed so that reruns measure the same log.
    AccessLogEntry.objects.filter(action="lookup", username="bench-admin")._raw_delete(connection.alias)


class Rollback(Exception):
    pass


def bench_retention() -> None:
    cutoffs = retention_cutoffs()
    for dry_run in (True, False):
        start = time.perf_counter()
        try:
            with transaction.atomic():
                run = retention_apply(dry_run=dry_run, run_by="bench")
                elapsed = time.perf_counter() - start
                raise Rollback
        except Rollback:
            pass
        label = "dry run" if dry_run else "run (rolled back)"
        print(
            f"apply_retention {label}: {elapsed:.1f} s; contacts before {cutoffs.contact_month:%Y-%m}: "
            f"{run.contacts_anonymised:,} anonymised, {run.follow_ups_cleared:,} follow-up notes, "
            f"{run.access_log_entries_deleted:,} log entries deleted, {run.months_frozen} months frozen"
        )


def main() -> None:
    call_command("migrate", verbosity=0)
    build("--rebuild" in sys.argv)
    print(f"Units: {Unit.objects.count()}, contacts: {PatientContact.objects.count():,}")
    bench_report()
    if "--report-only" not in sys.argv:
        bench_retention()


if __name__ == "__main__":
    main()
