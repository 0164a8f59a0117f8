"""The referrals section of the home page (config/views.py): new contact, and the clinician's follow-ups due."""

from django.utils import timezone

from accounts.access import leads_any_unit, patient_unit_ids
from core.periods import OSLO
from referrals import audit, list_cache
from referrals.models import PatientContact

HOME_WORKLIST_ROWS = 5


def home_section(request) -> dict | None:
    """The user's own follow-ups that are due, the oldest first, and the count due in their units; None for users
    without patient units. The shown rows are access-logged like any list, and cached like one
    (referrals/list_cache.py)."""
    user = request.user
    if not user.is_authenticated:
        return None
    unit_ids = patient_unit_ids(user)
    if not unit_ids:
        return None
    today = timezone.localdate(timezone=OSLO)
    parts = {"page": "home", "user": user.pk, "units": sorted(unit_ids), "today": today}
    section, shown = list_cache.get_or_render(parts, lambda: _due(user, unit_ids, today))
    audit.log_shown(user=user, action=audit.Action.LIST, contacts=shown, request=request, detail="home worklist")
    return {**section, "can_import": leads_any_unit(user), "today": today}


def _due(user, unit_ids: list[int], today) -> tuple[dict, list]:
    due = PatientContact.objects.filter(unit_id__in=unit_ids).follow_up_due(today)
    rows = list(
        due.filter(clinician=user)
        .select_related("unit", "clinician")
        .order_by("follow_up_planned_on", "id")[: HOME_WORKLIST_ROWS + 1]
    )
    section = {
        "rows": rows[:HOME_WORKLIST_ROWS],
        "more": len(rows) > HOME_WORKLIST_ROWS,
        "unit_due_count": PatientContact.objects.filter(unit_id__in=unit_ids).count_follow_up_due(today),
    }
    return section, list_cache.shown(rows[:HOME_WORKLIST_ROWS])
