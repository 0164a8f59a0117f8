"""ops.jobs: each scheduled job runs once per period, catches up once, and records every run."""

import datetime
import io
import threading
import time

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from ops import jobs
from ops.models import JobRun
from referrals.models import OSLO
from tests.factories import MeetingFactory, UserFactory


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=OSLO)


def recording_job(name="probe", every="month", calls=None, fails=False, **kwargs):
    calls = [] if calls is None else calls

    def run(period):
        calls.append(period)
        if fails:
            raise RuntimeError("the printer is on fire")
        return f"ran {period}"

    return jobs.Job(name, every, datetime.time(6, 0), run, **kwargs), calls


@pytest.mark.parametrize(
    ("now", "period"),
    [
        (at(2026, 12, 5, 5, 59), "2026-11"),
        (at(2026, 12, 5, 6, 0), "2026-12"),
        (at(2027, 1, 4, 23, 0), "2026-12"),
    ],
)
def test_the_monthly_report_is_due_on_the_configured_day_at_six(now, period, settings):
    settings.REPORT_DAY_OF_MONTH = 5
    job = next(job for job in jobs.JOBS if job.name == "monthly_report")

    assert job.due_period(now) == period


def test_weekly_and_daily_periods_start_at_their_hour():
    weekly = next(job for job in jobs.JOBS if job.name == "stale_meetings")
    daily = next(job for job in jobs.JOBS if job.name == "inactive_accounts")

    assert weekly.due_period(at(2026, 11, 30, 6, 59)) == "2026-W48"  # Monday 30 November, before 07:00
    assert weekly.due_period(at(2026, 11, 30, 7, 0)) == "2026-W49"
    assert daily.due_period(at(2026, 11, 30, 2, 14)) == "2026-11-29"
    assert daily.due_period(at(2026, 11, 30, 2, 15)) == "2026-11-30"


def test_a_due_job_runs_once_and_its_run_is_recorded(db):
    job, calls = recording_job()

    with time_machine.travel(at(2026, 12, 2, 7, 0), tick=False):
        first = jobs.run_due_jobs(jobs=[job])
        second = jobs.run_due_jobs(jobs=[job])

    assert calls == ["2026-12"]
    assert second == []
    run = JobRun.objects.get()
    assert (run.job, run.period, run.status, run.output) == ("probe", "2026-12", "succeeded", "ran 2026-12")
    assert run.started_at == at(2026, 12, 2, 7, 0) and run.finished_at == at(2026, 12, 2, 7, 0)
    assert first == [run]


def test_a_worker_that_was_down_for_months_catches_up_once(db):
    job, calls = recording_job()
    with time_machine.travel(at(2026, 9, 1, 7, 0), tick=False):
        jobs.run_due_jobs(jobs=[job])

    with time_machine.travel(at(2026, 12, 20, 7, 0), tick=False):
        jobs.run_due_jobs(jobs=[job])
        jobs.run_due_jobs(jobs=[job])

    assert calls == ["2026-09", "2026-12"]


def test_a_failed_job_is_recorded_as_failed_and_the_others_still_run(db):
    broken, _calls = recording_job("broken", fails=True)
    healthy, calls = recording_job("healthy")

    with time_machine.travel(at(2026, 12, 2, 7, 0), tick=False):
        jobs.run_due_jobs(jobs=[broken, healthy])

    assert JobRun.objects.get(job="broken").status == "failed"
    assert JobRun.objects.get(job="broken").output == "RuntimeError: the printer is on fire"
    assert calls == ["2026-12"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_run_a_period_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent inserts are what PostgreSQL production does")
    calls = []

    def slow(period):
        calls.append(period)
        time.sleep(0.5)
        return ""

    job = jobs.Job("slow", "day", datetime.time(0, 0), slow)
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait()
            results.append(jobs.run_due_jobs(jobs=[job]))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 1
    assert sorted(len(done) for done in results) == [0, 1]
    assert JobRun.objects.filter(job="slow").count() == 1


def test_the_monthly_report_job_reports_the_month_before_its_period(db, monkeypatch):
    called = {}
    monkeypatch.setattr(jobs, "_command", lambda name, **options: called.update(name=name, **options) or "")

    jobs.monthly_report("2026-12")

    assert called == {"name": "monthly_report", "email": True, "month": "2026-11"}


def test_curators_get_the_meetings_not_verified_for_six_months(db):
    UserFactory(username="kurator", is_curator=True, email="kurator@example.no")
    UserFactory(username="kliniker", email="kliniker@example.no")
    with time_machine.travel(at(2026, 11, 30, 7, 0), tick=False):
        MeetingFactory(name="Gammelt møte", last_verified_at=at(2026, 1, 10, 12, 0))
        MeetingFactory(name="Ferskt møte", last_verified_at=at(2026, 11, 1, 12, 0))

        output = jobs.stale_meetings_email("2026-W49")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kurator@example.no"]
    assert "Gammelt møte (2026-01-10)" in message.body
    assert "Ferskt møte" not in message.body
    assert output == "1 stale meetings sent to 1 curators."


def test_the_command_runs_what_is_due_and_says_what_it_ran(db, monkeypatch):
    job, _calls = recording_job()
    monkeypatch.setattr(jobs, "JOBS", (job,))

    with time_machine.travel(at(2026, 12, 2, 7, 0), tick=False):
        out, again = io.StringIO(), io.StringIO()
        call_command("run_due_jobs", stdout=out)
        call_command("run_due_jobs", stdout=again)

    assert out.getvalue() == "probe 2026-12: succeeded\n"
    assert again.getvalue() == "Nothing due.\n"


def test_migrate_installs_one_schedule_that_calls_the_jobs_every_minute(db):
    from django_q.models import Schedule

    jobs.install_schedule()
    jobs.install_schedule()

    schedule = Schedule.objects.get(name=jobs.SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == ("ops.jobs.run_due_jobs", "I", 1)


def test_administrators_see_job_runs_read_only_and_curators_do_not(client, administrator, curator):
    from tests.factories import login

    run = JobRun.objects.create(job="retention", period="2026-12", started_at=at(2026, 12, 1, 2, 30))

    login(client, administrator)
    listing = client.get("/admin/ops/jobrun/")
    change = client.post(f"/admin/ops/jobrun/{run.pk}/change/", {"status": "failed"})
    login(client, curator)
    as_curator = client.get("/admin/ops/jobrun/")

    assert listing.status_code == 200 and "retention" in listing.content.decode()
    assert change.status_code == 403
    assert as_curator.status_code == 403
