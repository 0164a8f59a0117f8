from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import is_administrator


def nav_items(request) -> list[dict]:
    user = request.user
    if not user.is_authenticated:
        return []
    items = []
    if is_administrator(user):
        items.append({"url": reverse("privacy:patient_access_report"), "label": _("Patient access report")})
    items.append({"url": reverse("privacy:two_factor_settings"), "label": _("Two-factor settings")})
    return items
