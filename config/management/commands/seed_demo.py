"""Demo data for a test drive: organisation, users, then each app's own demo data.

Safe to run twice: every step updates in place. The apps' `demo.seed(stdout)` functions are listed, in order, in
config/site.py (accounts first: the others need its units and users).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from config import site


class Command(BaseCommand):
    help = "Create or update demo units, one demo user per role, and each app's demo data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Seed even when DEMO_MODE is off (never on a real installation)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEMO_MODE and not force:
            raise CommandError(
                "Refusing to seed demo users with a known password: DEMO_MODE is off. "
                "Set DEMO_MODE=true, or pass --force if this really is a test installation."
            )
        with transaction.atomic():
            for seed in site.DEMO_SEEDS:
                seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
