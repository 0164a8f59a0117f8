"""compose.yaml runs what ops needs: two app replicas checked through /readyz, and the job worker with its check."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from ops import jobs

ROOT = Path(__file__).resolve().parent.parent


def compose() -> str:
    return (ROOT / "compose.yaml").read_text()


def service(name: str) -> str:
    """The lines of one service in compose.yaml, up to the next service or the volumes."""
    return re.search(rf"\n  {name}:\n(.*?)(?=\n  \w+:\n|\nvolumes:)", compose(), re.S).group(1)


def test_compose_runs_two_web_replicas_checked_through_readyz():
    web = service("web")

    assert "replicas: 2" in web
    assert 'test: ["CMD", "python", "-m", "config.healthcheck"]' in web
    assert "condition: service_healthy" in web  # Redis up before the app


def test_compose_runs_the_job_worker_with_its_own_healthcheck():
    worker = service("worker")

    assert 'command: ["python", "manage.py", "qcluster"]' in worker
    assert 'test: ["CMD", "python", "manage.py", "worker_health"]' in worker
    assert "service_completed_successfully" in worker  # after migrate


def test_worker_health_is_ok_while_the_schedule_fires(db):
    jobs.install_schedule()
    out = io.StringIO()

    call_command("worker_health", stdout=out)

    assert out.getvalue().split() == ["database=ok", "cache=ok", "migrations=ok", "schedule=ok"]


def test_worker_health_fails_when_nothing_fires_the_schedule(db):
    from django_q.models import Schedule

    jobs.install_schedule()
    Schedule.objects.filter(name=jobs.SCHEDULE_NAME).update(next_run=timezone.now() - datetime.timedelta(minutes=30))
    out = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("worker_health", stdout=out)

    assert exited.value.code == 1
    assert "schedule=error" in out.getvalue()
