"""Report speed with 1,000,000 contacts over 50 units and 24 months (PostgreSQL).

    .venv/bin/python bench/reports_bench.py            # builds the data once, then reuses it
    .venv/bin/python bench/reports_bench.py --rebuild  # empties the database and builds again
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports .venv/bin/python bench/reports_bench.py

Its own database (created and migrated if missing). Contacts are streamed with COPY by
bench/dataset.py. Server time is measured around Django's test client: the full middleware stack
with production settings, no network. Prints p50/p95 and the number of queries per page, and the
plan of the unit report's aggregate query. Targets: one unit's report < 300 ms, the all-units
comparison < 1 s, with a fixed number of queries. Nothing here asserts.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_reports"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
CONTACTS, UNITS, MONTHS = 1_000_000, 50, 24
REPEAT = 20
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


from bench import dataset  # noqa: E402
from bench.report_pdf import report_pdf_times  # noqa: E402
from bench.timing import timed  # noqa: E402

# This script times computing the reports; the shared report cache (bench/run.py measures it) would hide that.
os.environ["REPORT_CACHE_SECONDS"] = "0"
dataset.setup_django(DATABASE_URL)

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Unit, User  # noqa: E402
from core.periods import month_range, previous_month  # noqa: E402
from referrals.models import FollowUp, PatientContact  # noqa: E402
from reports import indicators  # noqa: E402
from reports.models import Target  # noqa: E402


def build(rebuild: bool) -> None:
    present = PatientContact.objects.count()
    if present == CONTACTS and not rebuild:
        print(f"Reusing {present:,} contacts in {DATABASE_URL.rsplit('/', 1)[1]}.")
        return
    dataset.clear()
    start = time.perf_counter()
    units = dataset.build_units(count=UNITS)
    dataset.build_contacts(count=CONTACTS, units=units, months=MONTHS)
    clinic = Unit.objects.get(code="KLINIKK-BENCH")
    Target.objects.get_or_create(
        unit=clinic, indicator="referral_rate", valid_from=datetime.date(2000, 1, 1), defaults={"target_percent": 40}
    )
    print(f"Built {CONTACTS:,} contacts over {UNITS} units and {MONTHS} months in {time.perf_counter() - start:.0f} s.")


def measure(label: str, client: Client, url: str, target_ms: float | None, rows: list) -> None:
    for _ in range(3):
        timed(client, url)  # warm caches
    runs = [timed(client, url) for _ in range(REPEAT)]
    times = sorted(elapsed * 1000 for elapsed, _ in runs)
    p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
    verdict = "" if target_ms is None else ("ok" if p95 < target_ms else "SLOW")
    goal = f"< {target_ms:,.0f} ms" if target_ms else "–"
    rows.append((label, p50, p95, runs[0][1], goal, verdict))
    print(f"  {label:<50} {times[0]:7.1f} {p50:7.1f} {p95:7.1f} {runs[0][1]:>8}   {goal:<10} {verdict}", flush=True)


def main() -> None:
    call_command("migrate", verbosity=0)
    # Production settings use the manifest storage: the pages need collected static files.
    call_command("collectstatic", interactive=False, verbosity=0)
    build(rebuild="--rebuild" in sys.argv)

    month = previous_month()
    unit = Unit.objects.get(code=f"{dataset.BENCH_UNIT_PREFIX}01")
    unit_contacts = PatientContact.objects.filter(unit=unit)
    print(
        f"{PatientContact.objects.count():,} contacts, {FollowUp.objects.count():,} follow-ups; "
        f"{unit.code}: {unit_contacts.count():,} contacts, "
        f"{unit_contacts.filter(contact_month=month).count():,} in {month:%Y-%m}.\n"
    )

    lead = Client()
    lead.force_login(User.objects.get(username="bench-lead-01"), backend="django.contrib.auth.backends.ModelBackend")
    analyst = Client()
    analyst.force_login(User.objects.get(username="bench-analyst"), backend="django.contrib.auth.backends.ModelBackend")
    month_text = f"{month:%Y-%m}"

    rows: list = []
    # The machine may be shared: the load average says how far the times are from an idle server's.
    print(f"Load average before: {' '.join(f'{value:.1f}' for value in os.getloadavg())} ({os.cpu_count()} CPUs)\n")
    print(f"  {'page (server time in ms)':<50} {'min':>7} {'p50':>7} {'p95':>7} {'queries':>8}   {'target':<10}")
    measure("unit report, 12-month trend (lead)", lead, f"/reports/?month={month_text}", 300, rows)
    measure("unit report, 24-month trend (lead)", lead, f"/reports/?month={month_text}&span=24", 300, rows)
    measure("unit report, CSV export", lead, f"/reports/export.csv?month={month_text}", 300, rows)
    measure("all units compared, funnel (analyst)", analyst, f"/reports/compare/?month={month_text}", 1000, rows)
    measure("all units compared, CSV export", analyst, f"/reports/compare/export.csv?month={month_text}", 1000, rows)
    measure(
        "clinic report: 50 units, patients once (analyst)",
        analyst,
        f"/reports/?unit=KLINIKK-BENCH&month={month_text}",
        None,
        rows,
    )
    measure("home page with last month's headline (lead)", lead, "/", None, rows)
    pdf = report_pdf_times(lead, month=month_text, runs=REPEAT)
    print(f"  {'unit report PDF (lead), target p50 ≤ 1 s':<50} {pdf['min']:7.1f} {pdf['p50']:7.1f} {pdf['p95']:7.1f}")

    print(f"\nLoad average after: {' '.join(f'{value:.1f}' for value in os.getloadavg())}")
    print("\nPlan of the unit report's aggregate query (12 months):")
    inner = indicators._per_patient(  # the patient level; the follow-up subquery is joined to it
        indicators.subtree_contacts(unit).filter(contact_month__in=month_range(month, 12)),
        {"group_month": indicators.F("contact_month")},
    )
    print(inner.explain(analyze=True))


if __name__ == "__main__":
    main()
