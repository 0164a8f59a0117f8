"""Freezing monthly figures before retention anonymises the contacts behind them."""

import datetime

from django.db import transaction
from django.db.models import Count

from accounts.models import Unit
from referrals.models import PatientContact
from reports import indicators
from reports.models import FrozenMonth, MonthlyBreakdown, MonthlyFigures, Scope


def freeze_months(before: datetime.date) -> list[datetime.date]:
    """Freeze the report figures of every month before `before`, so they survive anonymisation.

    Contract (the retention job in the privacy app relies on it):

    - Call it BEFORE emptying `patient_pseudonym` of any contact, with `before` later than the month
      of every contact you are about to blank. Simplest: blank whole months. Retention that blanks
      contacts with `contact_month < cutoff` (cutoff a first day of a month) calls
      `freeze_months(cutoff)` first, then blanks. A cut in the middle of a month needs
      `before` = the first day of the following month, so the partly blanked month is frozen too.
      Same transaction or not, the order is what matters.
    - Freezes each month before `before` (any day of `before`'s month counts as that month) that has
      at least one contact, deleted or not, and is not frozen yet. Months without contacts stay live
      (their figures are zero either way).
    - Safe to run twice: a month already frozen is never recomputed, because its pseudonyms may be
      gone. To correct a frozen month, delete its FrozenMonth row while its pseudonyms still exist.
    - All or nothing: one transaction.
    - Stores aggregates only (counts per unit and month, per clinician and fellowship), never a
      patient key. From then on every report (page, exports, command) reads those months from
      the snapshot, so their figures are identical before and after anonymisation. Contacts
      added, changed or deleted in a frozen month later do not change its figures.
    - Returns the months frozen by this call, oldest first.

    Cost: about three queries per unit with contacts, whatever the number of months or contacts.
    """
    before = before.replace(day=1)
    with transaction.atomic():
        candidate_months = set(
            PatientContact.objects.filter(contact_month__lt=before)
            .order_by()
            .values_list("contact_month", flat=True)
            .distinct()
        )
        already = set(FrozenMonth.objects.filter(month__in=candidate_months).values_list("month", flat=True))
        months = sorted(candidate_months - already)
        if not months:
            return []
        contact_counts = _contact_counts(months)
        # Left over if someone deleted a FrozenMonth row to have the month frozen again.
        MonthlyFigures.objects.filter(month__in=months).delete()
        MonthlyBreakdown.objects.filter(month__in=months).delete()

        # The unit's own contacts (unit comparison): one query for all units and months.
        own = indicators.live_own_figures(months)
        MonthlyFigures.objects.bulk_create(
            MonthlyFigures(unit_id=unit_id, month=month, scope=Scope.OWN, **figures.as_dict())
            for (unit_id, month), figures in own.items()
        )

        # Each unit's subtree, with the units above those that have contacts (clinics, trusts).
        units_with_contacts = {unit_id for unit_id, _month in own}
        contact_paths = list(Unit.objects.filter(pk__in=units_with_contacts).values_list("path", flat=True))
        for unit in Unit.objects.order_by("path"):
            if not any(path.startswith(unit.path) for path in contact_paths):
                continue
            scope = indicators.live_scope_figures(unit, months)
            MonthlyFigures.objects.bulk_create(
                MonthlyFigures(unit=unit, month=month, scope=Scope.SUBTREE, **figures.as_dict())
                for month, figures in scope.items()
                if figures.contacts
            )
            for dimension in MonthlyBreakdown.Dimension.values:
                rows = indicators.live_breakdown(unit, months, dimension)
                MonthlyBreakdown.objects.bulk_create(
                    MonthlyBreakdown(
                        unit=unit,
                        month=month,
                        dimension=dimension,
                        key=row.key,
                        label=row.label[:300],
                        eligible=row.eligible,
                        referred=row.referred,
                    )
                    for month, month_rows in rows.items()
                    for row in month_rows
                )
        FrozenMonth.objects.bulk_create(
            FrozenMonth(month=month, contacts=contact_counts.get(month, 0)) for month in months
        )
    return months


def _contact_counts(months) -> dict[datetime.date, int]:
    rows = (
        PatientContact.objects.filter(contact_month__in=months)
        .order_by()
        .values("contact_month")
        .annotate(total=Count("pk"))
    )
    return {row["contact_month"]: row["total"] for row in rows}
