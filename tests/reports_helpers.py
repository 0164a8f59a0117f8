"""Shared data for the reports tests: a hand-countable month in unit A."""

import datetime
import zoneinfo

from tests.factories import PatientContactFactory

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
OCTOBER = datetime.date(2026, 10, 1)
# Mid-November 2026 in Oslo: the default report month is October.
NOW = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=OSLO)


def month_of_contacts(unit, *, patients=12, referred=3, month=OCTOBER, clinician=None, repeat=1, prefix=0):
    """`patients` unique patients in `month`, `referred` of them at intensity 2; each seen `repeat` times."""
    for patient in range(patients):
        for visit in range(repeat):
            PatientContactFactory(
                unit=unit,
                clinician=clinician,
                patient_pseudonym=f"{prefix + patient:064x}",
                contacted_at=datetime.datetime(month.year, month.month, 1 + (patient + visit) % 27, 10, 0, tzinfo=OSLO),
                intensity=2 if patient < referred and visit == 0 else 0,
            )


def in_english(client):
    """The tests read English texts; the product's default language is Norwegian."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def jit_switches(aggregates: int) -> int:
    """Queries added on PostgreSQL: each report aggregate first switches JIT off (SET LOCAL jit = off)."""
    from django.db import connection

    return aggregates if connection.vendor == "postgresql" else 0
