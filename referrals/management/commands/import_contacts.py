"""python manage.py import_contacts FILE.csv [--dry-run] [--user USERNAME]

Loads eligible contacts from the patient record system's CSV extract (columns in referrals.importers).
Any invalid row: every bad row is printed with its line number, the command exits with status 1 and
nothing is written.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from referrals import importers


class Command(BaseCommand):
    help = "Import eligible patient contacts from a CSV extract of the patient record system. All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with the columns " + ",".join(importers.COLUMNS))
        parser.add_argument("--dry-run", action="store_true", help="Check the file, print the counts, write nothing.")
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Print progress on stderr (the default when stderr is a terminal).",
        )
        parser.add_argument(
            "--user", help="User name recorded in the access log and as creator (default: the log says “system”)."
        )

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(_("No active user named %(name)r.") % {"name": options["user"]})
        path = Path(options["file"])
        if path.is_dir():
            raise CommandError(_("%(path)s is a directory, not a CSV file.") % {"path": path})
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": path})
        with path.open("rb") as handle:
            # One byte over the limit is enough to say the file is too large.
            data = handle.read(importers.max_bytes() + 1)

        progress = self._progress if options["progress"] or self.stderr.isatty() else None
        try:
            if options["dry_run"]:
                plan = importers.plan_import(data, progress=progress)
                if not plan.is_valid:
                    raise importers.ImportInvalid(plan)
                counts = plan.counts
                self.stdout.write(
                    _(
                        "Dry run, nothing written. %(rows)s rows are valid: %(created)s would be created, "
                        "%(updated)s updated, %(unchanged)s unchanged"
                    )
                    % counts
                    + self._skipped(counts["skipped_deleted"])
                    + "."
                )
                return
            result = importers.apply_import(data, user=user, progress=progress)
        except importers.ImportFileError as error:
            raise CommandError(
                _("%(file)s: %(error)s Nothing was imported.") % {"file": path.name, "error": error}
            ) from None
        except importers.ImportInvalid as invalid:
            for row_error in invalid.plan.errors:
                self.stderr.write(str(row_error))
            invalid_rows = len(invalid.plan.errors)
            raise CommandError(
                _("%(file)s: %(invalid)s of %(rows)s rows are invalid. Nothing was imported.")
                % {"file": path.name, "invalid": invalid_rows, "rows": invalid.plan.rows}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(file)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged")
                % {
                    "file": path.name,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                }
                + self._skipped(result.skipped_deleted)
                + "."
            )
        )

    def _progress(self, stage: str, done: int, total: int) -> None:
        # The rows are written batch by batch as they are checked: "write" comes once, when all are written.
        what = {"check": _("Checked %(done)s of %(total)s rows"), "write": _("Wrote %(total)s contacts")}[stage]
        self.stderr.write(what % {"done": f"{done:,}", "total": f"{total:,}"})

    @staticmethod
    def _skipped(count: int) -> str:
        if not count:
            return ""
        return _(", %(count)s skipped because the contact was deleted in the registry") % {"count": count}
