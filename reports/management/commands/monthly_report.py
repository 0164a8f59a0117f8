"""The monthly routine: write a report file, and/or e-mail each unit lead their unit's report as a PDF.

    python manage.py monthly_report                         # (needs --format/--output or --email)
    python manage.py monthly_report --format csv --output /tmp/all-units.csv
    python manage.py monthly_report --month 2026-10 --unit RUS-POL --format pdf --output rus-pol.pdf
    python manage.py monthly_report --email                 # once per month, unit and lead

Without --month it reports the previous calendar month in Europe/Oslo. Without --unit the file is
the comparison of all units; with it, that unit's report with its trend. The e-mails are remembered
(ReportDispatch), so a second run sends nothing unless --force. Safe to run from cron every day.
"""

import os
import smtplib
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Membership, Unit
from core.periods import BadMonth, current_month, format_month, parse_month, previous_month
from core.snapshots import snapshot
from referrals.audit import Action, log_access
from reports import exports
from reports.disclosure import publish_comparison, publish_unit_report
from reports.indicators import INDICATORS, PRIMARY
from reports.models import ReportDispatch
from reports.selectors import build_comparison, build_unit_report


class Command(BaseCommand):
    help = "Write the monthly referral report to a file and/or e-mail each unit lead their unit's report (PDF)."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM; default: the previous calendar month in Europe/Oslo.")
        parser.add_argument("--unit", help="Unit code; default: all units (a comparison) or, with --email, every unit.")
        parser.add_argument(
            "--indicator", default=PRIMARY.code, choices=list(INDICATORS), help="Default: referral_rate."
        )
        parser.add_argument("--format", choices=exports.FORMATS, dest="file_format", help="File format.")
        parser.add_argument("--output", help="Path of the file to write (with --format).")
        parser.add_argument("--email", action="store_true", help="E-mail each unit lead their unit's report as a PDF.")
        parser.add_argument("--force", action="store_true", help="With --email: send again even if already sent.")

    def handle(self, *args, **options):
        month = self._month(options["month"])
        unit = self._unit(options["unit"])
        file_format, output = options["file_format"], options["output"]
        if bool(file_format) != bool(output):
            raise CommandError("Give --format and --output together.")
        if not output and not options["email"]:
            raise CommandError("Nothing to do: give --format and --output, or --email (or both).")
        if output:
            path = self._check_output(output)

        with exports.in_language(settings.LANGUAGE_CODE):
            if output:
                self._write_file(path, file_format, month=month, unit=unit, indicator=options["indicator"])
            if options["email"]:
                self._send(month=month, unit=unit, force=options["force"])

    # --- input ------------------------------------------------------------------------------------

    def _month(self, value):
        if not value:
            return previous_month()
        try:
            month = parse_month(value)
        except BadMonth as error:
            raise CommandError(str(error)) from error
        if month > current_month():
            raise CommandError(
                f"--month {format_month(month)} has not started yet (this month is {format_month(current_month())}); "
                "nothing was written. Give a month that has started, or leave --month out for the previous month."
            )
        return month

    def _unit(self, code):
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise CommandError(f"Unknown unit code “{code}”. Unit codes are listed in the admin (Units).")
        return unit

    def _check_output(self, output: str) -> Path:
        path = Path(output).expanduser()
        if path.is_dir():
            raise CommandError(f"--output {output} is a directory; give a file name.")
        if not path.parent.is_dir():
            raise CommandError(f"Cannot write {output}: the directory {path.parent} does not exist.")
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise CommandError(f"Cannot write {output}: permission denied.")
        return path

    # --- file -------------------------------------------------------------------------------------

    def _write_file(self, path: Path, file_format: str, *, month, unit, indicator) -> None:
        with snapshot():
            if unit is not None:
                report = publish_unit_report(
                    build_unit_report(unit=unit, month=month, indicator_code=indicator), protected=True
                )
            else:
                report = publish_comparison(build_comparison(month=month, indicator_code=indicator), protected=True)
        content = exports.render(report, file_format)
        # Write next to the target and rename, so a reader never sees half a file.
        try:
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
                handle.write(content)
                temporary = Path(handle.name)
            temporary.replace(path)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror or error}.") from error
        log_access(
            user=None,
            action=Action.EXPORT,
            unit=unit,
            detail=f"monthly_report {file_format}: {format_month(month)} {indicator}",
        )
        what = unit.code if unit else "all units"
        self.stdout.write(f"Wrote {path} ({file_format}, {format_month(month)}, {what}).")

    # --- e-mail -----------------------------------------------------------------------------------

    def _send(self, *, month, unit, force: bool) -> None:
        leads = Membership.objects.filter(role=Membership.Role.LEAD, user__is_active=True).select_related(
            "user", "unit"
        )
        if unit is not None:
            leads = leads.filter(unit=unit)
        recipients_by_unit: dict[Unit, list] = {}
        for membership in leads.order_by("unit__path", "user__username"):
            recipients_by_unit.setdefault(membership.unit, []).append(membership.user)
        already = set(ReportDispatch.objects.filter(month=month).values_list("unit_id", "email"))

        sent = skipped = without_address = 0
        failed = []
        for report_unit, users in recipients_by_unit.items():
            due = []
            for user in users:
                if not user.email:
                    without_address += 1
                    self.stderr.write(f"{user.username} leads {report_unit.code} but has no e-mail address; skipped.")
                elif (report_unit.pk, user.email) in already and not force:
                    skipped += 1
                else:
                    due.append(user)
            if not due:
                continue
            with snapshot():
                exact = build_unit_report(unit=report_unit, month=month, indicator_code=PRIMARY.code)
            report = publish_unit_report(exact, protected=True)  # e-mail leaves the unit
            pdf = exports.to_pdf(report)
            for user in due:
                try:
                    self._mail(report, pdf, user)
                except (OSError, smtplib.SMTPException) as error:
                    # Not recorded: the next run tries this one again.
                    failed.append(f"{report_unit.code} → {user.username}: {error}")
                    continue
                with transaction.atomic():
                    try:
                        ReportDispatch.objects.update_or_create(
                            unit=report_unit, month=month, email=user.email, defaults={"recipient": user}
                        )
                    except IntegrityError:  # a parallel run recorded it first
                        pass
                log_access(
                    user=None,
                    action=Action.EXPORT,
                    unit=report_unit,
                    detail=f"monthly_report e-mail PDF to {user.username}: {format_month(month)}",
                )
                sent += 1
        self.stdout.write(
            f"E-mail for {format_month(month)}: {sent} sent, {skipped} already sent earlier"
            f"{', ' + str(without_address) + ' leads without address' if without_address else ''}."
        )
        if failed:
            raise CommandError(f"{len(failed)} e-mails could not be sent (run again to retry): " + "; ".join(failed))

    def _mail(self, report, pdf: bytes, user) -> None:
        headline = report.headline
        month_name = date_format(report.month, "F Y")
        if headline.too_few:
            figure = _("too few patients to show a rate (%(n)s)") % {"n": headline.denominator}
        else:
            figure = _("%(rate)s %% (95 %% interval %(low)s–%(high)s %%), %(x)s of %(n)s patients") % {
                "rate": headline.percent,
                "low": headline.low,
                "high": headline.high,
                "x": headline.numerator,
                "n": headline.denominator,
            }
        target = _("target %(target)s %%") % {"target": report.target.percent} if report.target else _("no target set")
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": user.get_full_name() or user.username},
                _("the referral rate of %(unit)s in %(month)s: %(figure)s; %(target)s; national baseline 15 %%.")
                % {"unit": report.unit.name, "month": month_name, "figure": figure, "target": target},
                _("The report with its trend and definitions is attached as a PDF. It holds aggregates only."),
            ]
        )
        message = EmailMessage(
            subject=_("Referral report %(month)s: %(unit)s") % {"month": month_name, "unit": report.unit.name},
            body=body,
            to=[user.email],
        )
        message.attach(exports.filename(report, "pdf"), pdf, "application/pdf")
        message.send()
