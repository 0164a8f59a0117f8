"""referrals.demo.seed: 13 months of demo contacts whose referral rate rises from about 15% toward 40%."""

import io

import pytest
import time_machine
from django.db.models import Count, Q

from accounts import demo as accounts_demo
from core.periods import month_start
from referrals import demo
from referrals.models import FollowUp, PatientContact
from tests.referrals_helpers import NOW


@pytest.fixture
def seeded(db):
    with time_machine.travel(NOW, tick=False):
        accounts_demo.seed(io.StringIO())
        demo.seed(io.StringIO())
        yield


def monthly_rates():
    rows = (
        PatientContact.objects.values("contact_month")
        .annotate(
            patients=Count("patient_pseudonym", distinct=True),
            referred=Count("patient_pseudonym", distinct=True, filter=Q(intensity__gte=2)),
        )
        .order_by("contact_month")
    )
    return [row["referred"] / row["patients"] for row in rows]


# One seeded database per test costs seconds, so the checks of one seed share a test.
def test_seed_gives_13_months_of_contacts_with_a_rising_rate_and_overdue_follow_ups(seeded):
    months = PatientContact.objects.values_list("contact_month", flat=True).distinct()
    assert len(set(months)) == 13
    assert set(PatientContact.objects.values_list("unit__code", flat=True).distinct()) == set(demo.DEMO_UNITS)

    rates = monthly_rates()
    assert 0.08 <= sum(rates[:2]) / 2 <= 0.25
    assert 0.30 <= sum(rates[-2:]) / 2 <= 0.50

    # save() is bypassed by bulk_create: the derived fields must still be right.
    for contact in PatientContact.objects.all()[:300]:
        assert contact.contact_month == month_start(contact.contacted_at)
        assert contact.not_suitable == ("not_suitable" in contact.reasons)

    assert FollowUp.objects.count() > 300
    assert PatientContact.objects.follow_up_due(NOW.date()).count() > 5


def test_seeding_twice_adds_nothing(seeded):
    counts = PatientContact.objects.count(), FollowUp.objects.count()
    with time_machine.travel(NOW, tick=False):
        out = io.StringIO()
        demo.seed(out)
    assert (PatientContact.objects.count(), FollowUp.objects.count()) == counts
    assert "0 new contacts" in out.getvalue()


def test_seed_without_demo_units_says_so(db):
    out = io.StringIO()
    demo.seed(out)
    assert "skipped" in out.getvalue() and not PatientContact.objects.exists()
