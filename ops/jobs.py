"""The scheduled jobs, and the one rule that runs each of them once per period.

django-q2's cluster (`python manage.py qcluster`, the `worker` service) calls `run_due_jobs` every minute. For each
job it works out the latest period whose start time has passed (the monthly report's period for November starts on
November's REPORT_DAY_OF_MONTH at 06:00 Oslo time); if no JobRun row exists for (job, period), it inserts one and runs
the job. The insert is the claim: (job, period) is unique, so when several workers (or replicas, or a manual
`run_due_jobs`) tick at once, exactly one insert succeeds and the others skip. A worker that was down for a while runs
the latest missed period once when it comes back, never every period it missed.

The jobs are the management commands (called by name, so `ops` imports no command) plus the curators' weekly list.
Each run's start, end, result and printed output are in JobRun, shown read-only in the admin.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from core.freshness import stale_q
from ops.models import JobRun
from registry.models import Meeting, Status

logger = logging.getLogger(__name__)
OSLO = ZoneInfo("Europe/Oslo")
OUTPUT_LIMIT = 4000
SCHEDULE_NAME = "ops.run_due_jobs"


@dataclass(frozen=True)
class Job:
    name: str
    every: str  # "month", "week" or "day"
    at: datetime.time
    run: Callable[[str], str]  # period → what to record as output
    day_of_month: Callable[[], int] = lambda: 1

    def period_start(self, period: str) -> datetime.datetime:
        """When the run for `period` becomes due, in Oslo time."""
        if self.every == "day":
            day = datetime.date.fromisoformat(period)
        elif self.every == "week":
            day = datetime.date.fromisoformat(period + "-1")  # ISO week, Monday
        else:
            day = datetime.date.fromisoformat(period + "-01").replace(day=min(self.day_of_month(), 28))
        return datetime.datetime.combine(day, self.at, tzinfo=OSLO)

    def due_period(self, now: datetime.datetime) -> str:
        """The latest period whose start time is not after `now`."""
        today = timezone.localtime(now, OSLO).date()
        candidates = {
            "day": lambda: [today.isoformat(), (today - datetime.timedelta(days=1)).isoformat()],
            "week": lambda: [_iso_week(today), _iso_week(today - datetime.timedelta(days=7))],
            "month": lambda: [today.strftime("%Y-%m"), _previous_month(today).strftime("%Y-%m")],
        }[self.every]()
        return next(period for period in candidates if self.period_start(period) <= now)


def _iso_week(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _previous_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _command(name: str, *args, **options) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=out, **options)
    return out.getvalue()


def monthly_report(period: str) -> str:
    """The period named by the run day's month reports the month before it (the 5 December run: November)."""
    month = _previous_month(datetime.date.fromisoformat(period + "-01"))
    return _command("monthly_report", email=True, month=month.strftime("%Y-%m"))


def stale_meetings_email(period: str) -> str:
    """Tell every curator with an address which active meetings nobody has verified for six months."""
    meetings = list(
        Meeting.objects.filter(stale_q(), status=Status.ACTIVE)
        .order_by("last_verified_at", "name")
        .values_list("pk", "name", "last_verified_at")
    )
    curators = list(
        User.objects.filter(is_active=True, is_curator=True).exclude(email="").values_list("email", flat=True)
    )
    if not meetings or not curators:
        return _("%(meetings)d stale meetings, %(curators)d curators with an address: nothing sent.") % {
            "meetings": len(meetings),
            "curators": len(curators),
        }
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        never = _("never verified")  # outside the f-string, where makemessages finds it
        lines = [
            f"- {name} ({timezone.localtime(date, OSLO):%Y-%m-%d})" if date else f"- {name} ({never})"
            for _pk, name, date in meetings
        ]
        links = [f"  {base}{reverse('admin:registry_meeting_change', args=[pk])}" for pk, _name, _date in meetings]
        body = "\n".join(
            [
                ngettext(
                    "%(count)d meeting has not been verified for six months:",
                    "%(count)d meetings have not been verified for six months:",
                    len(meetings),
                )
                % {"count": len(meetings)},
                "",
                *[f"{line}\n{link}" for line, link in zip(lines, links, strict=True)],
            ]
        )
        subject = _("Meetings to verify (week %(week)s)") % {"week": period.split("-W")[-1]}
    send_mail(subject, body, None, curators)
    return _("%(meetings)d stale meetings sent to %(curators)d curators.") % {
        "meetings": len(meetings),
        "curators": len(curators),
    }


JOBS = (
    Job(
        "monthly_report",
        "month",
        datetime.time(6, 0),
        monthly_report,
        day_of_month=lambda: settings.REPORT_DAY_OF_MONTH,
    ),
    Job("retention", "month", datetime.time(2, 30), lambda period: _command("apply_retention")),
    Job("inactive_accounts", "day", datetime.time(2, 15), lambda period: _command("deactivate_inactive_accounts")),
    Job("stale_meetings", "week", datetime.time(7, 0), stale_meetings_email),
)


def claim(job: Job, period: str) -> JobRun | None:
    """The new run's row, or None when another worker already has (or had) this period."""
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job.name, period=period, started_at=timezone.now())
    except IntegrityError:
        return None


def run(job: Job, period: str) -> JobRun | None:
    """Claim and run one period of a job; None when it was already claimed."""
    job_run = claim(job, period)
    if job_run is None:
        return None
    try:
        output = job.run(period)
        job_run.status = JobRun.Status.SUCCEEDED
    except Exception as error:  # noqa: BLE001 - a failed job is recorded, and the other jobs still run
        logger.exception("Scheduled job %s %s failed", job.name, period)
        output = f"{type(error).__name__}: {error}"
        job_run.status = JobRun.Status.FAILED
    job_run.output = output[-OUTPUT_LIMIT:]
    job_run.finished_at = timezone.now()
    job_run.save(update_fields=["status", "output", "finished_at"])
    logger.info("Scheduled job %s %s %s", job.name, period, job_run.status)
    return job_run


def run_due_jobs(now: datetime.datetime | None = None, jobs=None) -> list[JobRun]:
    """Run every job whose latest period has not run yet. Safe to call from any number of workers at once."""
    now = now or timezone.now()
    done = []
    for job in JOBS if jobs is None else jobs:
        period = job.due_period(now)
        if JobRun.objects.filter(job=job.name, period=period).exists():
            continue
        job_run = run(job, period)
        if job_run is not None:
            done.append(job_run)
    return done


def install_schedule(**kwargs) -> None:
    """After migrate: django-q2 calls run_due_jobs every minute (one schedule row, however often migrate runs)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={"func": "ops.jobs.run_due_jobs", "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )
