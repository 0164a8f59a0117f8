"""Scheduled job: anonymise contacts past RETENTION_MONTHS and delete access-log entries past
ACCESS_LOG_RETENTION_MONTHS. Safe to run twice; `--dry-run` only counts."""

import getpass

from django.conf import settings
from django.core.management.base import BaseCommand

from privacy.retention import retention_apply


class Command(BaseCommand):
    help = "Remove pseudonyms and notes from old contacts and delete old access-log entries."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would be done; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        run = retention_apply(dry_run=dry_run, run_by=f"apply_retention (system user {getpass.getuser()})")
        would = "Would" if dry_run else "Did"
        self.stdout.write(
            f"{'DRY RUN: nothing changed. ' if dry_run else ''}"
            f"Contacts before {run.contact_cutoff:%Y-%m} (RETENTION_MONTHS={settings.RETENTION_MONTHS}); "
            f"access log before {run.access_log_cutoff:%Y-%m-%d %H:%M} "
            f"(ACCESS_LOG_RETENTION_MONTHS={settings.ACCESS_LOG_RETENTION_MONTHS})."
        )
        self.stdout.write(f"{would} anonymise {run.contacts_anonymised} contacts (pseudonym and notes removed).")
        self.stdout.write(f"{would} remove notes from {run.follow_ups_cleared} follow-ups.")
        self.stdout.write(f"{would} delete {run.access_log_entries_deleted} access-log entries.")
        if not dry_run:
            self.stdout.write(f"Froze the report figures of {run.months_frozen} month(s) first.")
        self.stdout.write(f"Recorded as retention run #{run.pk}.")
