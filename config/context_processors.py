"""Template context shared by every page: demo flags, the main menu and the search's quick links."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from config import site
from privacy.navigation import awaiting_second_factor
from referrals.quick_searches import quick_searches


def nav_items(request) -> list[dict]:
    """Menu entries from every app (config/site.py), in a fixed order; none before the second factor."""
    if awaiting_second_factor(request):
        return []
    items: list[dict] = []
    for entries in site.MENU:
        items.extend(entries(request))
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
        # Lazy: responses that never show them (htmx partials, most pages) never build them.
        "nav_items": SimpleLazyObject(lambda: nav_items(request)),
        # One-click searches around the user's own units, for the meeting search page (referrals/quick_searches.py).
        "quick_searches": SimpleLazyObject(lambda: quick_searches(request.user)),
    }
