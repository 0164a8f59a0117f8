"""The site's own pages: the home page, and the error pages (config/urls.py handler400 and handler500).

The home page shows what this user can do, by role and unit, with a section from each app (config/site.py).
Django renders its 400 and 500 pages without the request, so they would lack the language, the user and the menu.
These render with it, and fall back to the bare template, then to plain text, if rendering fails too (a 500 can
come from a database that is down, which the header's user lookup would hit again).
"""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from accounts import access
from config import site

logger = logging.getLogger(__name__)


def _error_page(request, template_name: str, status: int) -> HttpResponse:
    try:
        return render(request, template_name, status=status)
    except Exception:  # noqa: BLE001 - an error page must answer whatever else is broken
        logger.exception("Could not render %s with the request", template_name)
    try:
        return HttpResponse(loader.get_template(template_name).render(), status=status)
    except Exception:  # noqa: BLE001
        logger.exception("Could not render %s", template_name)
    return HttpResponse(f"Error {status}", status=status, content_type="text/plain; charset=utf-8")


@requires_csrf_token
def bad_request(request, exception=None):
    return _error_page(request, "400.html", 400)


@requires_csrf_token
def server_error(request):
    return _error_page(request, "500.html", 500)


@login_required
def home(request):
    user = request.user
    memberships = list(user.memberships.select_related("unit").order_by("unit__path"))
    context = {
        "memberships": memberships,
        # As loaded once for this request (the menu and the sections ask too), top of the tree first.
        "patient_units": access.covered_units(user),
        "led_units": access.led_unit_list(user),
        "is_curator": access.is_curator(user),
        "is_quality_analyst": access.is_quality_analyst(user),
        "is_administrator": access.is_administrator(user),
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        # Built here, in the view, in the order shown: the referrals section writes the access log for its rows.
        "sections": {name: build(request) for name, build in site.HOME_SECTIONS},
    }
    context["has_role"] = bool(
        memberships or context["is_curator"] or context["is_quality_analyst"] or context["is_administrator"]
    )
    return render(request, "config/home.html", context)
