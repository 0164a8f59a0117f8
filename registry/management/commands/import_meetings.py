"""`manage.py import_meetings SOURCE`: a Meeting Guide JSON feed (file or URL) or a 12 Step Meeting List CSV."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry.importers import MAX_SOURCE_BYTES, SourceError, import_meetings, read_source


class Command(BaseCommand):
    help = (
        "Import meetings from a Meeting Guide JSON feed (file or http(s) URL) or a CSV in the 12 Step Meeting List "
        "template's columns. Updates meetings in place by slug. Any invalid record: nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="Path or http(s) URL of a .json feed or a .csv file.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and count, but write nothing.")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Mark meetings of the same source that the file no longer lists as inactive.",
        )
        parser.add_argument(
            "--source-name",
            help="Name that ties meetings to this source (default: the SOURCE argument). At most 200 characters.",
        )
        parser.add_argument(
            "--fellowship",
            default="AA",
            help="Fellowship code for records that name none (default AA).",
        )
        parser.add_argument("--max-bytes", type=int, default=MAX_SOURCE_BYTES, help="Refuse sources larger than this.")
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Print progress on stderr (the default when stderr is a terminal).",
        )

    def handle(self, *args, **options):
        source = options["source"]
        source_name = (options["source_name"] or source).strip()
        if not source_name or len(source_name) > 200:
            raise CommandError("--source-name must be 1–200 characters.")
        try:
            result = import_meetings(
                # Not kept here: the import lets the bytes go once it has decoded them.
                content=read_source(source, max_bytes=options["max_bytes"]),
                filename=source,
                source_name=source_name,
                fellowship_code=options["fellowship"],
                dry_run=options["dry_run"],
                deactivate_missing=options["deactivate_missing"],
                preview_limit=0,
                progress=self._progress if options["progress"] or self.stderr.isatty() else None,
            )
        except SourceError as error:
            raise CommandError(f"{source}: {error} Nothing was imported.") from error
        if result.problems:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(result.problems)} problem(s) in {result.records} record(s) of {source}. Nothing was imported."
            )
        self.stdout.write(f"{result.records} record(s) read from {source} ({result.format}).")
        self.stdout.write(result.summary())

    def _progress(self, stage: str, done: int, total: int) -> None:
        what = {
            "check": _("Checked %(done)s of %(total)s records"),
            "compare": _("Comparing %(total)s meetings with the registry"),
            "write": _("Writing %(total)s changes"),
        }[stage]
        self.stderr.write(what % {"done": f"{done:,}", "total": f"{total:,}"})
