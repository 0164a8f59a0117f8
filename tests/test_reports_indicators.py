"""The indicators of DOMAIN.md against hand-counted data."""

import datetime

import pytest

from reports import indicators
from reports.indicators import Figures
from tests.factories import OSLO, FellowshipFactory, FollowUpFactory, PatientContactFactory, UserFactory

OCTOBER = datetime.date(2026, 10, 1)
NOVEMBER = datetime.date(2026, 11, 1)


def contact(unit, patient, intensity=2, when=datetime.datetime(2026, 10, 15, 10, 0, tzinfo=OSLO), **extra):
    return PatientContactFactory(
        unit=unit, patient_pseudonym=f"{patient:064x}", intensity=intensity, contacted_at=when, **extra
    )


def october(unit) -> Figures:
    return indicators.scope_figures_by_month(unit, [OCTOBER])[OCTOBER]


def test_a_patient_with_several_contacts_in_a_month_counts_once(unit_a):
    contact(unit_a, 1, intensity=0)
    contact(unit_a, 1, intensity=2)
    contact(unit_a, 1, intensity=3)
    contact(unit_a, 2, intensity=1)

    figures = october(unit_a)

    assert figures.eligible == 2
    assert figures.referred == 1
    assert figures.intensive == 1
    assert figures.informed == 2
    assert figures.contacts == 4


def test_primary_rate_matches_a_hand_count(unit_a):
    # 12 patients; 3 referred at intensity >= 2 (one of them twice), the rest 0, 1 or unanswered.
    for patient in range(3):
        contact(unit_a, patient, intensity=2 + patient % 3)
    contact(unit_a, 0, intensity=2)
    for patient in range(3, 12):
        contact(unit_a, patient, intensity=[None, 0, 1][patient % 3])

    figures = october(unit_a)
    rate = figures.proportion(indicators.PRIMARY)

    assert (figures.eligible, figures.referred) == (12, 3)
    assert round(rate.rate * 100, 1) == 25.0
    assert (round(rate.low * 100, 1), round(rate.high * 100, 1)) == (8.9, 53.2)


def test_deleted_contacts_are_left_out(unit_a):
    contact(unit_a, 1, intensity=2, deleted_at=datetime.datetime(2026, 10, 20, tzinfo=OSLO))
    contact(unit_a, 2, intensity=0)

    figures = october(unit_a)

    assert (figures.eligible, figures.referred, figures.contacts) == (1, 0, 1)


def test_suitable_adjusted_rate_excludes_patients_with_any_contact_coded_not_suitable(unit_a):
    contact(unit_a, 1, intensity=2)
    contact(unit_a, 2, intensity=2)
    contact(unit_a, 2, intensity=0, reasons=["not_suitable"])  # referred, but also judged not suitable
    contact(unit_a, 3, intensity=0, reasons=["not_suitable"])
    contact(unit_a, 4, intensity=0)

    figures = october(unit_a)

    assert (figures.eligible, figures.referred) == (4, 2)
    assert (figures.suitable_eligible, figures.suitable_referred) == (2, 1)


def test_follow_up_and_attendance_count_referred_patients_once(unit_a):
    referred_attended = contact(unit_a, 1, intensity=2)
    FollowUpFactory(contact=referred_attended, attended="no")
    FollowUpFactory(contact=referred_attended, attended="yes")
    FollowUpFactory(contact=contact(unit_a, 2, intensity=3), attended="no")
    FollowUpFactory(contact=contact(unit_a, 3, intensity=2), attended="unknown")
    contact(unit_a, 4, intensity=2)  # referred, no follow-up yet
    FollowUpFactory(contact=contact(unit_a, 5, intensity=1), attended="yes")  # not referred: not counted

    figures = october(unit_a)

    assert figures.referred == 4
    assert figures.followed_up == 3
    assert (figures.attended, figures.not_attended, figures.attendance_unknown) == (1, 1, 1)


def test_data_completeness_counts_contacts_with_the_question_answered(unit_a):
    contact(unit_a, 1, intensity=None)
    contact(unit_a, 1, intensity=0)
    contact(unit_a, 2, intensity=None)
    contact(unit_a, 3, intensity=4)

    figures = october(unit_a)
    completeness = figures.proportion(indicators.INDICATORS["data_completeness"])

    assert (completeness.numerator, completeness.denominator) == (2, 4)
    # Highest intensity per patient: patient 1 → 0, patient 2 → not answered, patient 3 → 4.
    assert (figures.highest_0, figures.highest_not_answered, figures.highest_4) == (1, 1, 1)


@pytest.mark.parametrize(
    ("moment", "expected_month"),
    [
        # 31 October 2026 23:30 in Oslo (CET, UTC+1) is 22:30 UTC: still October.
        (datetime.datetime(2026, 10, 31, 23, 30, tzinfo=OSLO), OCTOBER),
        # 1 November 00:30 in Oslo is 23:30 UTC on 31 October: November.
        (datetime.datetime(2026, 10, 31, 23, 30, tzinfo=datetime.UTC), NOVEMBER),
        # 31 March 2026 23:30 in Oslo (CEST, UTC+2, after the DST change) is 21:30 UTC: March.
        (datetime.datetime(2026, 3, 31, 21, 30, tzinfo=datetime.UTC), datetime.date(2026, 3, 1)),
        # 1 April 00:30 Oslo = 31 March 22:30 UTC: April.
        (datetime.datetime(2026, 3, 31, 22, 30, tzinfo=datetime.UTC), datetime.date(2026, 4, 1)),
    ],
)
def test_a_contact_belongs_to_its_calendar_month_in_oslo_time(unit_a, moment, expected_month):
    contact(unit_a, 1, when=moment)

    months = [datetime.date(2026, 3, 1), datetime.date(2026, 4, 1), OCTOBER, NOVEMBER]
    figures = indicators.scope_figures_by_month(unit_a, months)

    assert {month for month, value in figures.items() if value.eligible} == {expected_month}


def test_scope_of_a_clinic_counts_a_patient_seen_in_two_of_its_units_once(clinic, unit_a, unit_b):
    contact(unit_a, 1, intensity=0)
    contact(unit_b, 1, intensity=2)
    contact(unit_b, 2, intensity=0)

    clinic_figures = october(clinic)
    own = indicators.own_figures_by_unit(OCTOBER)

    assert (clinic_figures.eligible, clinic_figures.referred) == (2, 1)
    assert (own[unit_a.pk].eligible, own[unit_b.pk].eligible) == (1, 2)


def test_contacts_without_pseudonym_never_merge_into_one_patient(unit_a):
    for intensity in (2, 0):
        PatientContactFactory(
            unit=unit_a,
            patient_pseudonym="",
            intensity=intensity,
            contacted_at=datetime.datetime(2026, 10, 3, tzinfo=OSLO),
        )

    assert october(unit_a).eligible == 2


def test_breakdown_by_clinician_counts_each_clinicians_patients(unit_a):
    anna = UserFactory(username="anna", first_name="Anna", last_name="Berg")
    per = UserFactory(username="per", first_name="Per", last_name="Dahl")
    contact(unit_a, 1, intensity=2, clinician=anna)
    contact(unit_a, 1, intensity=0, clinician=per)
    contact(unit_a, 2, intensity=0, clinician=per)

    rows = indicators.breakdown(unit_a, OCTOBER, "clinician")

    assert [(row.label, row.eligible, row.referred) for row in rows] == [("Anna Berg", 1, 1), ("Per Dahl", 2, 0)]


def test_breakdown_by_fellowship_counts_referred_patients_per_fellowship(unit_a):
    aa, na = FellowshipFactory(code="AA"), FellowshipFactory(code="NA")
    contact(unit_a, 1, intensity=2).fellowships.set([aa, na])
    contact(unit_a, 1, intensity=3).fellowships.set([aa])
    contact(unit_a, 2, intensity=1).fellowships.set([na])
    contact(unit_a, 3, intensity=2)

    rows = {row.label: (row.eligible, row.referred) for row in indicators.breakdown(unit_a, OCTOBER, "fellowship")}

    assert rows == {"Anonyme Alkoholikere (AA)": (1, 1), "Anonyme Narkomane (NA)": (2, 1), "": (1, 1)}


def test_months_asked_for_with_a_gap_leave_the_gap_out(unit_a):
    september = datetime.date(2026, 9, 1)
    for month in (september, OCTOBER, NOVEMBER):
        contact(unit_a, month.month, when=datetime.datetime(month.year, month.month, 5, 10, 0, tzinfo=OSLO))

    figures = indicators.live_scope_figures(unit_a, [september, NOVEMBER])

    assert set(figures) == {september, NOVEMBER}
    assert (figures[september].eligible, figures[NOVEMBER].eligible) == (1, 1)
    assert indicators.in_months(indicators.current_contacts(), [september, NOVEMBER]).count() == 2


def test_a_generic_fellowship_is_named_in_the_readers_language_in_the_breakdown(unit_a):
    from django.utils import translation

    peer = FellowshipFactory(code="PEER", name="Annen likepersonstøtte")
    contact(unit_a, 1, intensity=2).fellowships.set([peer])

    with translation.override("en"):
        rows = indicators.breakdown(unit_a, OCTOBER, "fellowship")

    assert [row.label for row in rows] == ["Other peer support"]
