"""The home page's content, rendered once per user, units, roles, language and day and kept in the shared cache.

Every logged-in visit starts here, so the page is asked for far more often than anything on it changes. Rendering
it (the user's memberships, three apps' sections, a dozen translated blocks) was most of its server time, and the
lead's home page the slowest logged-in page under load (README, "Performance"). So the content below the menu is
rendered without the request, from nothing but what the cache key names and the sections' data, and the page
around it (menu, user block, CSRF token, messages) stays the request's own, like the lists' bodies
(referrals/list_cache.py) and the reports' (reports/report_cache.py).

Freshness: the content is kept under the change generations of every section (config/site.py, core/generations.py)
at once, so a saved contact, follow-up, target, membership, unit, user or meeting shows on the next request; what
sends no signal shows within the lists' or reports' cache span (the shorter; 0 in either turns this cache off).

The access log: the content comes with the contacts it shows, and the view logs them on every request, rendered or
cached alike.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from accounts import access
from config import site
from core.generations import Generations, fragment_key
from core.periods import OSLO
from referrals import list_cache
from reports import report_cache

KEY_PREFIX = "home:content:"
GENERATION = Generations(*(module.GENERATION for _name, module in site.HOME_SECTIONS))


def cache_seconds() -> int:
    return min(list_cache.cache_seconds(), report_cache.cache_seconds())


def content(request) -> tuple[str, list[list_cache.Shown]]:
    """(the page's content as HTML, the contacts it shows), from the cache or rendered and stored."""
    user = request.user
    parts = {
        "user": user.pk,
        # The units (and which are led) decide every section; the flags the roles shown and the sections offered.
        "units": [(unit.pk, unit.as_lead) for unit in access.covered_units(user)],
        "flags": (user.is_active, user.is_superuser, user.is_curator, user.is_quality_analyst),
        "language": get_language(),
        "today": timezone.localdate(timezone=OSLO),
    }
    seconds = cache_seconds()
    if not seconds:
        html, shown = _render(request)
    else:
        html, shown = GENERATION.get_or_render(
            fragment_key(KEY_PREFIX, parts, seconds), lambda: _render(request), seconds
        )
    return mark_safe(html), shown  # noqa: S308 - rendered by the template engine, which escaped it


def _render(request) -> tuple[str, list[list_cache.Shown]]:
    user = request.user
    memberships = list(user.memberships.select_related("unit").order_by("unit__path"))
    sections = {name: module.home_section(request) for name, module in site.HOME_SECTIONS}
    context = {
        "user": user,
        "memberships": memberships,
        # As loaded once for this request (the menu and the sections ask too), top of the tree first.
        "patient_units": access.covered_units(user),
        "is_curator": access.is_curator(user),
        "is_quality_analyst": access.is_quality_analyst(user),
        "is_administrator": access.is_administrator(user),
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "sections": sections,
    }
    context["has_role"] = bool(
        memberships or context["is_curator"] or context["is_quality_analyst"] or context["is_administrator"]
    )
    shown = [row for section in sections.values() if section for row in section.get("shown", ())]
    return render_to_string("config/home_content.html", context), shown
