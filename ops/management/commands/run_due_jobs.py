"""python manage.py run_due_jobs: run every scheduled job whose period has not run yet, then exit.

The worker (`qcluster`) calls the same function every minute; this command is for a host without the worker (cron) and
for trying a release. It is safe beside the worker: each (job, period) runs once, whoever claims it first.
"""

from django.core.management.base import BaseCommand

from ops import jobs


class Command(BaseCommand):
    help = "Run the scheduled jobs that are due (each period once, however many workers run this)."

    def handle(self, *args, **options):
        runs = jobs.run_due_jobs()
        for run in runs:
            self.stdout.write(f"{run.job} {run.period}: {run.status}")
        if not runs:
            self.stdout.write("Nothing due.")
