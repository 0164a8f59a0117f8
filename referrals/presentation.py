"""Human-readable values of a contact, for the edit-conflict comparison."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.periods import OSLO
from referrals.models import (
    Attended,
    ClosureReason,
    FollowUp,
    Intensity,
    PatientContact,
    PriorExperience,
    Reason,
    Response,
    Setting,
    Substance,
)
from referrals.services import FOLLOW_UP_FIELDS


def _label(choices, value) -> str:
    if value in (None, ""):
        return "—"
    return str(dict(choices).get(value, value))


def _yes_no(value) -> str:
    return _("Yes") if value else _("No")


def _date(value) -> str:
    return date_format(value, "DATE_FORMAT") if value else "—"


def _values(source: dict) -> list[tuple[str, str]]:
    return [
        (_("Date of contact"), _date(source["contacted_on"])),
        (_("Setting"), _label(Setting.choices, source["setting"])),
        (_("Main substance"), _label(Substance.choices, source["main_substance"])),
        (_("Earlier experience with 12-step groups"), _label(PriorExperience.choices, source["prior_twelve_step"])),
        (_("Intensity"), _label(Intensity.choices, source["intensity"])),
        (_("Fellowships"), ", ".join(sorted(f.code for f in source["fellowships"])) or "—"),
        (_("Suggested meetings"), ", ".join(sorted(m.name for m in source["suggested_meetings"])) or "—"),
        (_("Patient's response"), _label(Response.choices, source["response"])),
        (_("Reasons"), ", ".join(_label(Reason.choices, r) for r in source["reasons"]) or "—"),
        (_("Comorbid mental illness"), _yes_no(source["precaution_comorbidity"])),
        (_("In opioid maintenance treatment (LAR)"), _yes_no(source["precaution_opioid_maintenance"])),
        (_("Contact with a volunteer or peer arranged"), _yes_no(source["volunteer_contact_arranged"])),
        (_("Planned follow-up"), _date(source["follow_up_planned_on"])),
        (_("Notes"), source["notes"] or "—"),
    ]


def contact_comparison(current: PatientContact, submitted: dict) -> list[dict]:
    """Rows of (field, stored now, your version, differs) for a contact someone else changed meanwhile."""
    stored = {
        "contacted_on": timezone.localtime(current.contacted_at, OSLO).date(),
        "setting": current.setting,
        "main_substance": current.main_substance,
        "prior_twelve_step": current.prior_twelve_step,
        "intensity": current.intensity,
        "fellowships": list(current.fellowships.all()),
        "suggested_meetings": list(current.suggested_meetings.all()),
        "response": current.response,
        "reasons": current.reasons or [],
        "precaution_comorbidity": current.precaution_comorbidity,
        "precaution_opioid_maintenance": current.precaution_opioid_maintenance,
        "volunteer_contact_arranged": current.volunteer_contact_arranged,
        "follow_up_planned_on": current.follow_up_planned_on,
        "notes": current.notes,
    }
    mine = {key: submitted.get(key, stored[key]) for key in stored}
    rows = []
    for (label, stored_value), (_label_again, my_value) in zip(_values(stored), _values(mine), strict=True):
        rows.append({"label": label, "stored": stored_value, "mine": my_value, "differs": stored_value != my_value})
    return rows


def _follow_up_values(source: dict) -> list[tuple[str, str]]:
    meetings = source["meetings_last_30_days"]
    return [
        (_("Date of follow-up"), _date(source["followed_up_on"])),
        (_("Has the patient attended at least one meeting?"), _label(Attended.choices, source["attended"])),
        (_("Meetings in the last 30 days"), "—" if meetings is None else str(meetings)),
        (_("Has a sponsor"), _yes_no(source["has_sponsor"])),
        (_("Has done service (e.g. made coffee, chaired)"), _yes_no(source["did_service"])),
        (_("Reads the literature"), _yes_no(source["reads_literature"])),
        (_("Sees themself as a member"), _yes_no(source["sees_self_as_member"])),
        (_("Status after this follow-up"), _label(ClosureReason.choices, source["closure_reason"])),
        (_("Notes"), source["notes"] or "—"),
    ]


def follow_up_comparison(current: FollowUp, submitted: dict) -> list[dict]:
    """Rows of (field, stored now, your version, differs) for a follow-up someone else changed meanwhile."""
    stored = {field: getattr(current, field) for field in FOLLOW_UP_FIELDS}
    mine = {field: submitted.get(field, stored[field]) for field in FOLLOW_UP_FIELDS}
    return [
        {"label": label, "stored": stored_value, "mine": my_value, "differs": stored_value != my_value}
        for (label, stored_value), (_label_again, my_value) in zip(
            _follow_up_values(stored), _follow_up_values(mine), strict=True
        )
    ]
