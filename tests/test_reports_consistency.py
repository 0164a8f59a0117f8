"""Reports are read from one consistent snapshot while contacts are saved (issue 11, item 2).

Several reader threads ask for the unit report (page, CSV) and the comparison while a writer thread saves
contacts with referrals, fellowships and follow-ups. Under READ COMMITTED the headline, the breakdowns and the
trend came from different moments, and a breakdown could count more referred patients than the headline (a 500
from the interval code). Every response must be a 200 and every figure must agree with the others on the page.
"""

import csv
import datetime
import io
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from referrals.models import PatientContact
from tests.factories import (
    OSLO,
    FellowshipFactory,
    FollowUpFactory,
    MembershipFactory,
    PatientContactFactory,
    UnitFactory,
    UserFactory,
    login,
)

PAIRS = [("referred", "eligible")] + [
    (f"{code}_numerator", f"{code}_denominator")
    for code in ("suitable_adjusted", "any_information", "intensive_linkage", "follow_up_recorded", "attended")
]
READERS = 3
REQUESTS_PER_READER = 15
CONTACTS_WRITTEN = 200


def _write(unit, fellowship, stop):
    try:
        for index in range(CONTACTS_WRITTEN):
            contact = PatientContactFactory(
                unit=unit,
                clinician=None,
                patient_pseudonym=f"{index + 1000:064x}",
                contacted_at=datetime.datetime(2026, 10, 1 + index % 27, 10, 0, tzinfo=OSLO),
                intensity=2 if index % 4 else 0,
            )
            if index % 4:
                contact.fellowships.add(fellowship)
            if index % 8 == 1:
                FollowUpFactory(contact=contact)
    finally:
        stop.set()
        connections.close_all()


def _read(user, unit, stop, statuses, problems):
    client = login(Client(raise_request_exception=False), user)
    params = {"unit": unit.code, "month": "2026-10"}
    try:
        for _index in range(REQUESTS_PER_READER):
            # The lead's page has every breakdown (by fellowship, intensity, follow-up): the 500s came from there.
            statuses.append(client.get(reverse("reports:report"), params).status_code)
            export = client.get(reverse("reports:export", args=["csv"]), params)
            statuses.append(export.status_code)
            for row in csv.DictReader(io.StringIO(export.content.decode())):
                for numerator, denominator in PAIRS:
                    x, n = row[numerator], row[denominator]
                    if x.isdigit() and n.isdigit() and int(x) > int(n):
                        problems.append(f"CSV {row['month']}: {numerator} {x} of {denominator} {n}")
            statuses.append(client.get(reverse("reports:compare"), {"month": "2026-10"}).status_code)
    finally:
        connections.close_all()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="REPEATABLE READ snapshots are PostgreSQL's")
def test_reports_stay_consistent_while_contacts_are_saved(transactional_db, settings, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 16, 9, 0, tzinfo=OSLO), tick=False)
    settings.REPORT_CACHE_SECONDS = 0  # compute every time: the cache would hide the race
    unit = UnitFactory(code="KONS", name="Konsistens")
    fellowship = FellowshipFactory(code="AA")
    lead = MembershipFactory(user=UserFactory(username="leder"), unit=unit, role=Membership.Role.LEAD).user
    lead.is_quality_analyst = True  # the comparison too
    lead.save()
    stop = threading.Event()
    statuses, problems = [], []

    writer = threading.Thread(target=_write, args=(unit, fellowship, stop))
    readers = [threading.Thread(target=_read, args=(lead, unit, stop, statuses, problems)) for _index in range(READERS)]
    for thread in [writer, *readers]:
        thread.start()
    for thread in [writer, *readers]:
        thread.join(timeout=300)

    assert PatientContact.objects.count() == CONTACTS_WRITTEN
    assert len(statuses) == READERS * REQUESTS_PER_READER * 3
    assert set(statuses) == {200}
    assert problems == []
