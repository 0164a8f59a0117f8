"""Menu entries of the referrals app, for users who may see patient-level data."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import can_see_patient_data


def nav_items(request) -> list[dict]:
    if not (request.user.is_authenticated and can_see_patient_data(request.user)):
        return []
    new, worklist = reverse("referrals:contact_create"), reverse("referrals:worklist")
    contacts = reverse("referrals:contact_list")
    path = request.path
    return [
        # "current" is set here because the three share the /contacts/ prefix.
        {
            "url": contacts,
            "label": _("Contacts"),
            "current": path.startswith(contacts) and not path.startswith((new, worklist)),
        },
        {"url": new, "label": _("New contact"), "current": path.startswith(new)},
        {"url": worklist, "label": _("Follow-ups due"), "current": path.startswith(worklist)},
    ]
