"""Template context shared by every page: demo flags and the main menu.

Each app contributes its menu entries through `<app>/navigation.py`, a module with
`nav_items(request) -> list[{"url": ..., "label": ...}]` that returns only what the
user may open (the views still check access; the menu only avoids dead ends).
"""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.optional import optional_module

NAVIGATION_MODULES = ["registry.navigation", "referrals.navigation", "reports.navigation", "privacy.navigation"]


def _awaiting_second_factor(request) -> bool:
    """Logged in with the password but not yet with the code: every page but the code pages is closed."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(user, "is_verified"):
        return False
    from privacy.services import ENROLLED_SESSION_KEY

    return bool(settings.REQUIRE_2FA or request.session.get(ENROLLED_SESSION_KEY)) and not user.is_verified()


def nav_items(request) -> list[dict]:
    """Menu entries from every app that has a navigation module, in a fixed order."""
    items: list[dict] = []
    if _awaiting_second_factor(request):
        return items
    for name in NAVIGATION_MODULES:
        module = optional_module(name)
        if module is not None:
            items.extend(module.nav_items(request))
    for item in items:
        # aria-current marks the section the page belongs to.
        url = str(item["url"])
        section = url.rstrip("/") + "/"
        item.setdefault("current", request.path == url or (section != "/" and request.path.startswith(section)))
    return items


def product(request):
    return {
        "demo_mode": settings.DEMO_MODE,
        "registry_public": settings.REGISTRY_PUBLIC,
        # Lazy: responses that never show the menu (htmx partials) never build it.
        "nav_items": SimpleLazyObject(lambda: nav_items(request)),
    }
