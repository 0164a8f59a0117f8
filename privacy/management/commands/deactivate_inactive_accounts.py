"""Scheduled job: deactivate accounts not used for ACCOUNT_INACTIVE_DAYS days. Safe to run twice."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from privacy.services import accounts_deactivate_inactive


class Command(BaseCommand):
    help = "Deactivate accounts whose last log-in (or creation, if never used) is older than --days days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days without log-in before an account is deactivated (default: ACCOUNT_INACTIVE_DAYS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List the accounts; change nothing.")

    def handle(self, *args, days: int | None = None, dry_run: bool = False, **options):
        days = settings.ACCOUNT_INACTIVE_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        users = accounts_deactivate_inactive(days=days, dry_run=dry_run)
        verb = "Would deactivate" if dry_run else "Deactivated"
        for user in users:
            last_seen = timezone.localtime(user.last_seen).strftime("%Y-%m-%d")
            source = "last log-in" if user.last_login else "created, never logged in"
            self.stdout.write(f"{verb} {user.get_username()} ({source} {last_seen})")
        self.stdout.write(f"{'DRY RUN: ' if dry_run else ''}{verb} {len(users)} account(s) not used for {days} days.")
