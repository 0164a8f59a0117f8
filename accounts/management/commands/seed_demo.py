"""Demo data for a test drive: organisation, users, then each app's own demo data.

Safe to run twice: every step updates in place. Apps join in with a `seed(stdout)`
function in `<app>/demo.py`.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import demo
from accounts.optional import optional_module

APP_DEMO_MODULES = ["registry.demo", "referrals.demo", "reports.demo"]


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
            demo.seed(self.stdout)
            for name in APP_DEMO_MODULES:
                module = optional_module(name)
                if module is not None:
                    module.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
