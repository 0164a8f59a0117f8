"""The referrals section of the home page (config/views.py): new contact, and the clinician's follow-ups due."""

from django.utils import timezone

from accounts.access import leads_any_unit, patient_unit_ids
from core.periods import OSLO
from referrals import list_cache
from referrals.models import PatientContact

HOME_WORKLIST_ROWS = 5
# What the section shows changes with the lists (the home page is cached under it, config/home.py).
GENERATION = list_cache.GENERATION


def home_section(request) -> dict | None:
    """The user's own follow-ups that are due, the oldest first, and the count due in their units; None for users
    without patient units. `shown` names the rows for the access log, which the home page writes on every request,
    whether its content was rendered or came from the cache."""
    user = request.user
    if not user.is_authenticated:
        return None
    unit_ids = patient_unit_ids(user)
    if not unit_ids:
        return None
    today = timezone.localdate(timezone=OSLO)
    due = PatientContact.objects.filter(unit_id__in=unit_ids).follow_up_due(today)
    rows = list(
        due.filter(clinician=user)
        .select_related("unit", "clinician")
        .order_by("follow_up_planned_on", "id")[: HOME_WORKLIST_ROWS + 1]
    )
    return {
        "rows": rows[:HOME_WORKLIST_ROWS],
        "more": len(rows) > HOME_WORKLIST_ROWS,
        "unit_due_count": PatientContact.objects.filter(unit_id__in=unit_ids).count_follow_up_due(today),
        "shown": list_cache.shown(rows[:HOME_WORKLIST_ROWS]),
        "can_import": leads_any_unit(user),
        "today": today,
    }
