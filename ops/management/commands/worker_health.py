"""python manage.py worker_health: exit 0 when the job worker can work, 1 otherwise (the worker's healthcheck).

Ready means what /readyz means (database, cache, migrations), and the scheduler is alive: django-q2 moves the
schedule's next run forward each time it fires, so a next run more than five minutes past says nothing fires it.
"""

import datetime
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from ops import health, jobs


class Command(BaseCommand):
    help = "Exit 0 when the job worker's database, cache and migrations are ready and its schedule is firing."

    def handle(self, *args, **options):
        from django_q.models import Schedule

        results = health.check_all()
        schedule = Schedule.objects.filter(name=jobs.SCHEDULE_NAME).values_list("next_run", flat=True).first()
        late = timezone.now() - datetime.timedelta(minutes=5)
        results["schedule"] = "ok" if schedule is not None and schedule >= late else "error"
        self.stdout.write(" ".join(f"{name}={result}" for name, result in results.items()))
        if any(result != "ok" for result in results.values()):
            sys.exit(1)
