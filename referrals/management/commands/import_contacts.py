"""python manage.py import_contacts FILE.csv [--dry-run] [--user USERNAME]

Loads eligible contacts from the patient record system's CSV extract (columns in referrals.importers).
Any invalid row: every bad row is printed with its line number, the command exits with status 1 and
nothing is written.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from referrals import importers


class Command(BaseCommand):
    help = "Import eligible patient contacts from a CSV extract of the patient record system. All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with the columns " + ",".join(importers.COLUMNS))
        parser.add_argument("--dry-run", action="store_true", help="Check the file, print the counts, write nothing.")
        parser.add_argument(
            "--user", help="User name recorded in the access log and as creator (default: the log says “system”)."
        )

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user named {options['user']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        with path.open("rb") as handle:
            # One byte over the limit is enough to say the file is too large.
            data = handle.read(importers.max_bytes() + 1)

        try:
            if options["dry_run"]:
                plan = importers.plan_import(data, user=user)
                if not plan.is_valid:
                    raise importers.ImportInvalid(plan)
                counts = plan.counts
                self.stdout.write(
                    f"Dry run, nothing written. {counts['rows']} rows are valid: "
                    f"{counts['created']} would be created, {counts['updated']} updated, "
                    f"{counts['unchanged']} unchanged" + self._skipped(counts["skipped_deleted"]) + "."
                )
                return
            result = importers.apply_import(data, user=user)
        except importers.ImportFileError as error:
            raise CommandError(f"{path.name}: {error} Nothing was imported.") from None
        except importers.ImportInvalid as invalid:
            for row_error in invalid.plan.errors:
                self.stderr.write(str(row_error))
            invalid_rows = len(invalid.plan.errors)
            raise CommandError(
                f"{path.name}: {invalid_rows} of {invalid.plan.rows} rows are invalid. Nothing was imported."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {path.name}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged" + self._skipped(result.skipped_deleted) + "."
            )
        )

    @staticmethod
    def _skipped(count: int) -> str:
        return f", {count} skipped because the contact was deleted in the registry" if count else ""
