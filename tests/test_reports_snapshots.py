"""freeze_months: report figures survive retention's blanking of pseudonyms unchanged."""

import datetime

from referrals.models import PatientContact
from reports import snapshots
from reports.disclosure import publish_comparison, publish_unit_report
from reports.exports import to_csv
from reports.models import FrozenMonth, MonthlyFigures
from reports.selectors import build_comparison, build_unit_report
from tests.factories import OSLO, FellowshipFactory, FollowUpFactory, PatientContactFactory, UserFactory

SEPTEMBER, OCTOBER, NOVEMBER = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=OSLO)


def _history(unit_a, unit_b):
    """Patients with several contacts, in two units of one clinic, with fellowships and follow-ups."""
    aa = FellowshipFactory(code="AA")
    anna = UserFactory(username="anna", first_name="Anna", last_name="Berg")
    for month in (SEPTEMBER, OCTOBER):
        for patient in range(14):
            when = datetime.datetime(month.year, month.month, 1 + patient, 10, 0, tzinfo=OSLO)
            first = PatientContactFactory(
                unit=unit_a if patient % 3 else unit_b,
                clinician=anna,
                patient_pseudonym=f"{patient:064x}",
                contacted_at=when,
                intensity=patient % 5 if patient % 7 else None,
                reasons=["not_suitable"] if patient == 4 else [],
            )
            if first.intensity and first.intensity >= 2:
                first.fellowships.set([aa])
                FollowUpFactory(contact=first, attended=["yes", "no", "unknown"][patient % 3])
            # The same patient again, in the other unit: counted once at clinic level.
            PatientContactFactory(
                unit=unit_b if patient % 3 else unit_a,
                clinician=anna,
                patient_pseudonym=f"{patient:064x}",
                contacted_at=when + datetime.timedelta(days=2),
                intensity=0,
            )


def _everything(clinic, unit_a):
    unit_report = build_unit_report(
        unit=clinic, month=OCTOBER, indicator_code="referral_rate", span=12, include_clinicians=True, now=NOW
    )
    leaf_report = build_unit_report(unit=unit_a, month=OCTOBER, indicator_code="follow_up_recorded", now=NOW)
    comparison = build_comparison(month=OCTOBER, indicator_code="referral_rate", now=NOW)
    return (
        [point.figures for point in unit_report.points],
        unit_report.clinicians,
        unit_report.fellowships,
        [point.figures for point in leaf_report.points],
        [(row.unit.code, row.figures) for row in comparison.rows],
        to_csv(publish_unit_report(unit_report, protected=True)),
        to_csv(publish_comparison(comparison, protected=True)),
    )


def test_figures_are_identical_after_freezing_and_blanking_pseudonyms(clinic, unit_a, unit_b):
    _history(unit_a, unit_b)
    before = _everything(clinic, unit_a)

    frozen = snapshots.freeze_months(NOVEMBER)
    # What retention does next: empty every pseudonym of the frozen months.
    PatientContact.objects.filter(contact_month__lt=NOVEMBER).update(patient_pseudonym="")
    after = _everything(clinic, unit_a)

    assert frozen == [SEPTEMBER, OCTOBER]
    assert after == before
    assert before[0][-1].eligible == 14  # the clinic counts each patient once across its two units
    assert before[1] and before[2]  # breakdowns by clinician and fellowship are compared too


def test_blanking_without_freezing_would_change_the_figures(clinic, unit_a, unit_b):
    # The reason freeze_months exists: without it, every blanked contact becomes a patient of its own.
    _history(unit_a, unit_b)
    before = _everything(clinic, unit_a)

    PatientContact.objects.filter(contact_month__lt=NOVEMBER).update(patient_pseudonym="")

    assert _everything(clinic, unit_a) != before


def test_freezing_twice_leaves_frozen_months_alone(clinic, unit_a, unit_b):
    _history(unit_a, unit_b)
    snapshots.freeze_months(OCTOBER)
    PatientContact.objects.filter(contact_month__lt=OCTOBER).update(patient_pseudonym="")
    september_rows = list(MonthlyFigures.objects.filter(month=SEPTEMBER).values_list("pk", "eligible"))

    frozen_again = snapshots.freeze_months(NOVEMBER)

    assert frozen_again == [OCTOBER]
    assert list(MonthlyFigures.objects.filter(month=SEPTEMBER).values_list("pk", "eligible")) == september_rows
    assert set(FrozenMonth.objects.values_list("month", flat=True)) == {SEPTEMBER, OCTOBER}


def test_frozen_months_ignore_later_changes_to_their_contacts(unit_a):
    PatientContactFactory(unit=unit_a, contacted_at=datetime.datetime(2026, 9, 3, 10, 0, tzinfo=OSLO), intensity=2)
    snapshots.freeze_months(OCTOBER)

    PatientContactFactory(unit=unit_a, contacted_at=datetime.datetime(2026, 9, 4, 10, 0, tzinfo=OSLO), intensity=0)
    report = build_unit_report(unit=unit_a, month=SEPTEMBER, indicator_code="referral_rate", now=NOW)

    assert (report.figures.eligible, report.figures.referred) == (1, 1)
    assert report.frozen


def test_freezing_stores_no_patient_key(unit_a):
    contact = PatientContactFactory(unit=unit_a, contacted_at=datetime.datetime(2026, 9, 3, tzinfo=OSLO))

    snapshots.freeze_months(OCTOBER)

    stored = [str(value) for row in MonthlyFigures.objects.values() for value in row.values()]
    assert contact.patient_pseudonym not in stored


def test_months_without_contacts_are_not_frozen(unit_a):
    assert snapshots.freeze_months(OCTOBER) == []
    assert not FrozenMonth.objects.exists()
