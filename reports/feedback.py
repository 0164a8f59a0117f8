"""Each clinician's own feedback: their monthly referral rate beside their unit's and the target, and this
month's patients they saw who have no referral yet.

Audit and feedback changes practice most when it is individual, recurring, compared with a target and tied to
an action (Ivers et al., Cochrane 2012): hence one's own rate, every month, the target line, and a list of
patients to act on. A clinician sees only their own figures; the per-clinician table stays the lead's. The
unit's figures go through the disclosure step (reports.disclosure) like any report, with the clinician as the
reader: a unit count reads "hidden" where the unit's figures minus the clinician's own would give a small count
of colleagues' patients back (rule 7), on this page, on the unit's report and in its files alike.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F

from core.periods import month_range
from referrals.models import PatientContact
from reports import disclosure, indicators
from reports.indicators import PRIMARY, Figures
from reports.models import MonthlyBreakdown
from reports.presentation import RateView
from reports.selectors import build_unit_report

MONTHS = 12


@dataclass
class FeedbackMonth:
    month: datetime.date
    own: RateView
    unit: RateView
    target: object


@dataclass
class OpenPatient:
    code: str
    contact: PatientContact  # the latest contact of the month this clinician recorded for the patient


@dataclass
class Feedback:
    unit: object
    month: datetime.date
    months: list[FeedbackMonth]  # newest first
    open_patients: list[OpenPatient]
    protected: bool

    @property
    def latest(self) -> FeedbackMonth:
        return self.months[0]


def own_figures(unit, user, months) -> dict[datetime.date, Figures]:
    """Per month, the clinician's own patients in the unit's subtree (eligible, referred). Two queries at most."""
    frozen = indicators.frozen_months(months)
    result = {month: Figures() for month in months}
    live = [month for month in months if month not in frozen]
    if live:
        contacts = indicators.in_months(indicators.subtree_contacts(unit).filter(clinician=user), live)
        for row in indicators._aggregate(contacts, {"group_month": F("contact_month")}, with_follow_ups=False):
            month = row["group_month"]
            month = datetime.date.fromisoformat(month) if isinstance(month, str) else month
            result[month] = Figures(eligible=int(row["eligible"]), referred=int(row["referred"] or 0))
    if frozen:
        rows = MonthlyBreakdown.objects.filter(
            unit=unit, month__in=frozen, dimension=MonthlyBreakdown.Dimension.CLINICIAN, key=user.pk
        )
        for row in rows:
            result[row.month] = Figures(eligible=row.eligible, referred=row.referred)
    return result


def open_patients(user, units, month) -> list[OpenPatient]:
    """This month's patients the clinician saw in these units who have no contact at intensity 2 or higher yet."""
    contacts = PatientContact.objects.current().filter(unit__in=units, contact_month=month)
    referred = contacts.filter(intensity__gte=2).exclude(patient_pseudonym="").values("patient_pseudonym")
    mine = (
        contacts.filter(clinician=user)
        .exclude(patient_pseudonym="")
        .exclude(patient_pseudonym__in=referred)
        .select_related("unit")
        .order_by("patient_pseudonym", "-contacted_at")
    )
    latest = {}
    for contact in mine:
        latest.setdefault(contact.patient_pseudonym, contact)
    patients = [OpenPatient(contact.fingerprint, contact) for contact in latest.values()]
    return sorted(patients, key=lambda patient: patient.contact.contacted_at, reverse=True)


def build_feedback(*, user, unit, month, this_month, leads: bool, units) -> Feedback:
    months = month_range(month, MONTHS)
    exact = build_unit_report(
        unit=unit, month=month, indicator_code=PRIMARY.code, span=MONTHS, protected=not leads, reader=user
    )
    report = disclosure.publish_unit_report(exact, protected=not leads)
    own = own_figures(unit, user, months)
    rows = [
        FeedbackMonth(
            point.month,
            disclosure.open_column(own[point.month]).rate(PRIMARY, settings.REPORT_MIN_DENOMINATOR),
            report.columns[point.month].rate(PRIMARY, settings.REPORT_MIN_DENOMINATOR),
            point.target,
        )
        for point in reversed(report.points)
    ]
    return Feedback(unit, month, rows, open_patients(user, units, this_month), not leads)
