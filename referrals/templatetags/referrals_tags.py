"""Template helpers of the referrals app, including the home page's follow-up section."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import patient_unit_ids
from core.periods import OSLO
from referrals import audit
from referrals.models import Intensity, PatientContact

register = template.Library()

HOME_WORKLIST_ROWS = 5

INTENSITY_TITLES = {
    Intensity.NOT_DISCUSSED: _("Not discussed"),
    Intensity.INFORMATION: _("Information given"),
    Intensity.ACTIVELY_RECOMMENDED: _("Actively recommended"),
    Intensity.VOLUNTEER_CONTACT: _("Volunteer contact arranged"),
    Intensity.ATTENDED_DURING_TREATMENT: _("Attended during treatment"),
}


@register.filter
def intensity_title(value) -> str:
    """The short plain-language name of an intensity level (without its number)."""
    try:
        return str(INTENSITY_TITLES[int(value)])
    except (KeyError, TypeError, ValueError):
        return ""


@register.inclusion_tag("referrals/_home_worklist.html", takes_context=True)
def referrals_home(context):
    """The clinician's start: new contact, and the follow-ups that are due (the oldest first).

    Shows nothing to users without patient units. The shown rows are access-logged like any list.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    unit_ids = patient_unit_ids(user)
    if not unit_ids:
        return {"show": False}
    today = timezone.localdate(timezone=OSLO)
    due = PatientContact.objects.filter(unit_id__in=unit_ids).follow_up_due(today)
    rows = list(
        due.filter(clinician=user)
        .select_related("unit", "clinician")
        .order_by("follow_up_planned_on", "id")[: HOME_WORKLIST_ROWS + 1]
    )
    audit.log_shown(
        user=user, action=audit.Action.LIST, contacts=rows[:HOME_WORKLIST_ROWS], request=request, detail="home worklist"
    )
    return {
        "show": True,
        "rows": rows[:HOME_WORKLIST_ROWS],
        "more": len(rows) > HOME_WORKLIST_ROWS,
        "unit_due_count": PatientContact.objects.filter(unit_id__in=unit_ids).count_follow_up_due(today),
        "today": today,
    }
