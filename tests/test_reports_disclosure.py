"""Rule 7 of reports/disclosure.py, worked by hand: a reader's own contacts make the unit's column minus their own
figures their colleagues' figures, so what rules 1–3 would hide there is hidden in the column too."""

import csv
import datetime
import io

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from reports import disclosure
from reports.indicators import PRIMARY, Figures
from reports.selectors import build_comparison, build_unit_report
from reports.snapshots import freeze_months
from tests.factories import MembershipFactory, UserFactory, login
from tests.reports_helpers import NOW, OCTOBER, in_english, month_of_contacts

SEPTEMBER = datetime.date(2026, 9, 1)
HIDDEN = str(disclosure.HIDDEN)


@pytest.fixture(autouse=True)
def frozen_now(client):
    cache.clear()
    in_english(client)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def colleague(unit_a):
    return MembershipFactory(user=UserFactory(username="kollega"), unit=unit_a).user


@pytest.fixture
def thirty_and_twelve(unit_a, clinician_a, colleague):
    """October in unit A: 30 patients, 12 referred; the clinician saw 27 and referred 10, the colleague 3 and 2."""
    month_of_contacts(unit_a, patients=27, referred=10, clinician=clinician_a)
    month_of_contacts(unit_a, patients=3, referred=2, clinician=colleague, prefix=100)


def _figures(eligible, referred):
    """A column of `eligible` patients, `referred` of them at intensity 2, the others at 0 (month_of_contacts)."""
    return Figures(
        eligible=eligible,
        referred=referred,
        informed=referred,
        suitable_eligible=eligible,
        suitable_referred=referred,
        contacts=eligible,
        answered_contacts=eligible,
    )


def test_the_colleagues_small_counts_hide_the_units_counts():
    """30 and 12 hide nothing by rules 1–3; minus the reader's own 27 and 10 they are 3 and 2."""
    unit, own = _figures(30, 12), _figures(27, 10)
    assert disclosure.column_marks(unit) == {}

    column = disclosure.reader_column(unit, own)

    assert (column.text("eligible"), column.text("referred")) == (HIDDEN, HIDDEN)
    assert column.rate(PRIMARY, 10).percent is None
    assert column.text("informed") == HIDDEN  # 3 − 2 = 1 not informed among the colleagues' patients


def test_without_own_contacts_in_the_column_nothing_more_is_hidden():
    unit = _figures(30, 12)

    assert disclosure.reader_column(unit, None).marks == {}
    assert disclosure.reader_column(unit, Figures()).marks == {}
    assert disclosure.reader_column(unit, _figures(15, 6)).marks == {}  # the colleagues' 15 and 6 hide nothing


def test_the_unit_report_hides_what_the_readers_own_figures_would_give_back(thirty_and_twelve, unit_a, clinician_a):
    exact = build_unit_report(unit=unit_a, month=OCTOBER, indicator_code=PRIMARY.code, reader=clinician_a)

    protected = disclosure.publish_unit_report(exact, protected=True)
    without_reader = disclosure.publish_unit_report(
        build_unit_report(unit=unit_a, month=OCTOBER, indicator_code=PRIMARY.code), protected=True
    )

    assert (protected.headline.numerator, protected.headline.denominator) == (HIDDEN, HIDDEN)
    assert (without_reader.headline.numerator, without_reader.headline.denominator) == ("12", "30")


def test_the_clinics_total_inherits_the_hidden_counts_of_the_readers_unit(
    thirty_and_twelve, clinic, unit_a, unit_b, clinician_a
):
    """The clinic's 50 and 20 minus the clinician's 27 and 10 are 23 and 10, not small; but the clinic minus unit
    B's 20 and 8 is unit A, and unit A minus the clinician's own is the colleagues' 3 and 2 (rules 5 and 7)."""
    month_of_contacts(unit_b, patients=20, referred=8, prefix=1000)
    exact = build_unit_report(unit=clinic, month=OCTOBER, indicator_code=PRIMARY.code, reader=clinician_a)

    report = disclosure.publish_unit_report(exact, protected=True)

    assert (report.headline.numerator, report.headline.denominator) == (HIDDEN, HIDDEN)


def test_a_pooled_period_hides_what_the_readers_pooled_figures_would_give_back(unit_a, clinician_a, colleague):
    """July to September pooled: 3 × 20 patients, the colleague's 2 in September are the pooled rest."""
    for month in (datetime.date(2026, 7, 1), datetime.date(2026, 8, 1), SEPTEMBER):
        month_of_contacts(unit_a, patients=20, referred=8, month=month, clinician=clinician_a)
    month_of_contacts(unit_a, patients=2, referred=0, month=SEPTEMBER, clinician=colleague, prefix=100)
    exact = build_unit_report(unit=unit_a, month=OCTOBER, indicator_code=PRIMARY.code, reader=clinician_a)

    report = disclosure.publish_unit_report(exact, protected=True)

    assert report.previous.denominator == HIDDEN


def test_frozen_months_use_the_readers_frozen_figures(thirty_and_twelve, unit_a, clinician_a):
    freeze_months(before=datetime.date(2026, 11, 1))
    exact = build_unit_report(unit=unit_a, month=OCTOBER, indicator_code=PRIMARY.code, reader=clinician_a)

    report = disclosure.publish_unit_report(exact, protected=True)

    assert exact.figures.frozen
    assert (report.headline.numerator, report.headline.denominator) == (HIDDEN, HIDDEN)


def test_the_comparison_hides_the_readers_unit_and_the_pooled_row(thirty_and_twelve, unit_a, unit_b, clinician_a):
    month_of_contacts(unit_b, patients=20, referred=8, prefix=1000)

    report = disclosure.publish_comparison(
        build_comparison(month=OCTOBER, indicator_code=PRIMARY.code, reader=clinician_a)
    )

    rows = {row.unit.code: row.rate for row in report.rows}
    assert (rows[unit_a.code].numerator, rows[unit_a.code].denominator) == (HIDDEN, HIDDEN)
    assert (rows[unit_b.code].numerator, rows[unit_b.code].denominator) == ("8", "20")
    assert (report.pooled.numerator, report.pooled.denominator) == (HIDDEN, HIDDEN)


def test_a_lead_reading_their_unit_sees_exact_figures(client, thirty_and_twelve, unit_a):
    lead = MembershipFactory(user=UserFactory(username="leder"), unit=unit_a, role="lead").user
    login(client, lead)

    assert "12 of 30 patients" in client.get(reverse("reports:report")).content.decode()


def _october_csv_row(client, unit):
    content = client.get(reverse("reports:export", args=["csv"]), {"unit": unit.code, "month": "2026-10"}).content
    return next(row for row in csv.DictReader(io.StringIO(content.decode())) if row["month"] == "2026-10")


def test_a_clinicians_file_hides_what_their_page_hides(client, thirty_and_twelve, unit_a, clinician_a):
    login(client, clinician_a)

    row = _october_csv_row(client, unit_a)

    assert (row["referred"], row["eligible"]) == (HIDDEN, HIDDEN)


def test_a_leads_file_is_the_same_for_every_lead(client, thirty_and_twelve, unit_a):
    """Rule 7 is about what the reader knows; a lead knows the exact figures, so their file is the reader-free one."""
    lead = MembershipFactory(user=UserFactory(username="leder"), unit=unit_a, role="lead").user
    login(client, lead)

    row = _october_csv_row(client, unit_a)

    assert (row["referred"], row["eligible"]) == ("12", "30")


def test_a_clinicians_cached_body_is_not_served_to_a_colleague_with_other_own_figures(
    client, thirty_and_twelve, unit_a, clinician_a, colleague
):
    """The colleague's own 3 and 2 leave 27 and 10: the unit's 12 of 30 is theirs to see; not the clinician's."""
    login(client, colleague)
    assert "12 of 30 patients" in client.get(reverse("reports:report"), {"month": "2026-10"}).content.decode()

    login(client, clinician_a)
    shown = client.get(reverse("reports:report"), {"month": "2026-10"}).content.decode()

    assert "12 of 30 patients" not in shown
    assert "Referred: hidden." in shown
