"""Menu entries of the privacy app, and whether the menu is shown at all (not before the second factor)."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import is_administrator
from privacy.services import ENROLLED_SESSION_KEY


def nav_items(request) -> list[dict]:
    user = request.user
    if not user.is_authenticated:
        return []
    items = []
    if is_administrator(user):
        items.append({"url": reverse("privacy:patient_access_report"), "label": _("Patient access report")})
    items.append({"url": reverse("privacy:two_factor_settings"), "label": _("Two-factor settings")})
    return items


def awaiting_second_factor(request) -> bool:
    """Logged in with the password but not yet with the code: every page but the code pages is closed."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(user, "is_verified"):
        return False
    return bool(settings.REQUIRE_2FA or request.session.get(ENROLLED_SESSION_KEY)) and not user.is_verified()
