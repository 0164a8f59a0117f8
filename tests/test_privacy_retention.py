"""apply_retention: pseudonyms and free text go after RETENTION_MONTHS, report figures stay, old log entries go."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Q

from accounts.models import Unit
from privacy.models import RetentionRun
from privacy.retention import retention_cutoffs
from referrals.audit import Action, log_access
from referrals.models import AccessLogEntry, FollowUp, PatientContact
from reports import indicators
from reports.disclosure import publish_comparison, publish_unit_report
from reports.exports import rows_for
from reports.indicators import INDICATORS
from reports.models import MonthlyBreakdown
from reports.selectors import build_comparison, build_unit_report
from tests.factories import FollowUpFactory, PatientContactFactory, UnitFactory

PRIMARY = next(iter(INDICATORS))

OSLO = datetime.timezone(datetime.timedelta(hours=1))


def _retention(*args) -> str:
    out = StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("today", "months", "first_kept"),
    [
        (datetime.datetime(2026, 11, 26, 12, 0, tzinfo=OSLO), 60, datetime.date(2021, 12, 1)),
        (datetime.datetime(2026, 11, 1, 12, 0, tzinfo=OSLO), 60, datetime.date(2021, 11, 1)),
        # 00:30 on 1 December in Oslo is still 30 November in UTC: the Oslo date counts.
        (datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC), 1, datetime.date(2026, 11, 1)),
        (datetime.datetime(2026, 3, 31, 12, 0, tzinfo=OSLO), 1, datetime.date(2026, 3, 1)),
    ],
)
def test_a_month_is_anonymised_once_its_first_day_is_past_the_limit(settings, today, months, first_kept):
    settings.RETENTION_MONTHS = months
    assert retention_cutoffs(now=today).contact_month == first_kept


def test_access_log_cutoff_is_the_retention_period_back_from_now(settings):
    settings.ACCESS_LOG_RETENTION_MONTHS = 120
    now = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
    assert retention_cutoffs(now=now).access_log == datetime.datetime(2016, 11, 26, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def unit(db):
    return UnitFactory(code="RET-UNIT")


@pytest.fixture
def history(unit):
    """Contacts on both sides of the 60-month limit (today 2026-11-26: months before 2021-12 go)."""
    old = PatientContactFactory(
        unit=unit, contacted_at=datetime.datetime(2021, 11, 30, 10, 0, tzinfo=OSLO), notes="old note"
    )
    kept = PatientContactFactory(
        unit=unit, contacted_at=datetime.datetime(2021, 12, 1, 10, 0, tzinfo=OSLO), notes="recent note"
    )
    FollowUpFactory(contact=old, notes="old follow-up note")
    FollowUpFactory(contact=kept, notes="kept follow-up note")
    return {"old": old, "kept": kept}


@pytest.fixture
def today():
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, 0, tzinfo=OSLO), tick=False) as traveller:
        yield traveller


def test_old_contacts_lose_pseudonym_and_notes_and_recent_ones_keep_them(history, today):
    old_pseudonym = history["old"].patient_pseudonym
    output = _retention()
    old, kept = (PatientContact.objects.get(pk=history[name].pk) for name in ("old", "kept"))
    assert (old.patient_pseudonym, old.notes) == ("", "")
    assert old.anonymised_at is not None and old.version == history["old"].version + 1
    assert kept.patient_pseudonym == history["kept"].patient_pseudonym and kept.notes == "recent note"
    assert kept.anonymised_at is None
    assert FollowUp.objects.get(contact=old).notes == ""
    assert FollowUp.objects.get(contact=kept).notes == "kept follow-up note"
    assert "Did anonymise 1 contacts" in output and "Did remove notes from 1 follow-ups" in output
    # The anonymisation is itself in the access log, with the pseudonym, so the patient can still learn of it.
    entry = AccessLogEntry.objects.get(action=Action.ANONYMISE)
    assert (entry.contact_id, entry.patient_pseudonym, entry.username) == (old.pk, old_pseudonym, "apply_retention")


def test_second_run_changes_nothing(history, today):
    _retention()
    snapshot = list(PatientContact.objects.order_by("pk").values())
    log_count = AccessLogEntry.objects.count()
    output = _retention()
    assert list(PatientContact.objects.order_by("pk").values()) == snapshot
    assert AccessLogEntry.objects.count() == log_count
    assert "Did anonymise 0 contacts" in output
    first, second = RetentionRun.objects.order_by("started_at", "pk")
    assert (first.contacts_anonymised, second.contacts_anonymised) == (1, 0)
    assert second.months_frozen == 0 and second.follow_ups_cleared == 0


def test_dry_run_prints_what_it_would_do_and_changes_nothing(history, today):
    log_access(user=None, action=Action.VIEW, contact=history["kept"])
    AccessLogEntry.objects.create(username="old", action=Action.VIEW, at=datetime.datetime(2016, 1, 1, tzinfo=OSLO))
    before = list(PatientContact.objects.order_by("pk").values())
    output = _retention("--dry-run")
    assert "DRY RUN" in output
    assert "Would anonymise 1 contacts" in output and "Would delete 1 access-log entries" in output
    assert list(PatientContact.objects.order_by("pk").values()) == before
    assert AccessLogEntry.objects.count() == 2
    assert not FollowUp.objects.filter(notes="").exists()
    run = RetentionRun.objects.get()
    assert run.dry_run and run.contacts_anonymised == 1 and run.months_frozen == 0
    assert not indicators.frozen_months([datetime.date(2021, 11, 1)])


def test_access_log_entries_older_than_their_limit_are_deleted(unit, today):
    limit = datetime.datetime(2016, 11, 26, 12, 0, tzinfo=OSLO)
    AccessLogEntry.objects.create(username="a", action=Action.VIEW, at=limit - datetime.timedelta(seconds=1))
    AccessLogEntry.objects.create(username="b", action=Action.VIEW, at=limit + datetime.timedelta(seconds=1))
    output = _retention()
    assert list(AccessLogEntry.objects.values_list("username", flat=True)) == ["b"]
    assert "Did delete 1 access-log entries" in output
    run = RetentionRun.objects.get()
    assert (run.access_log_entries_deleted, run.dry_run, run.access_log_cutoff) == (1, False, limit)
    assert run.run_by.startswith("apply_retention")


def test_the_run_is_recorded_with_its_cutoffs(history, today):
    _retention()
    run = RetentionRun.objects.get()
    assert run.contact_cutoff == datetime.date(2021, 12, 1)
    assert run.months_frozen == 1  # November 2021 frozen before its pseudonyms went


# On demo data: every report figure is the same before and after ------------------------------------------


def _all_figures():
    """Every figure a report can show: raw counts per unit and month, breakdowns, and the export rows
    (each row carries every indicator) of each unit's 24-month report and of each month's comparison."""
    units = list(Unit.objects.order_by("path"))
    months = sorted(set(PatientContact.objects.values_list("contact_month", flat=True)))
    figures = {}
    for unit in units:
        for month, values in indicators.scope_figures_by_month(unit, months).items():
            figures[("scope", unit.code, month)] = values.as_dict()
        for month in months:
            for dimension in MonthlyBreakdown.Dimension.values:
                figures[("breakdown", unit.code, month, dimension)] = indicators.breakdown(unit, month, dimension)
        report = build_unit_report(unit=unit, month=months[-1], indicator_code=PRIMARY, span=24)
        figures[("report", unit.code)] = rows_for(publish_unit_report(report, protected=False))
    for month in months:
        for unit_id, values in indicators.own_figures_by_unit(month).items():
            figures[("own", unit_id, month)] = values.as_dict()
        figures[("comparison", month)] = rows_for(
            publish_comparison(build_comparison(month=month, indicator_code=PRIMARY), protected=False)
        )
    return months, figures


@pytest.mark.django_db
def test_on_demo_data_every_report_figure_is_identical_and_no_old_pseudonym_remains(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", stdout=StringIO())
    settings.RETENTION_MONTHS = 6  # the demo has 13 months: about half of them pass the limit
    months, before = _all_figures()
    cutoff = retention_cutoffs().contact_month
    old = PatientContact.objects.filter(contact_month__lt=cutoff)
    assert old.count() > 100 and PatientContact.objects.filter(contact_month__gte=cutoff).count() > 100
    assert old.exclude(patient_pseudonym="").exists()
    assert FollowUp.objects.filter(contact__in=old).exists()

    _retention()

    assert not old.filter(~Q(patient_pseudonym="") | ~Q(notes="") | Q(anonymised_at__isnull=True)).exists()
    assert not FollowUp.objects.filter(contact__in=old).exclude(notes="").exists()
    assert not PatientContact.objects.filter(contact_month__gte=cutoff, patient_pseudonym="").exists()
    _months_after, after = _all_figures()
    assert after.keys() == before.keys()
    changed = [key for key in before if before[key] != after[key]]
    assert changed == []
