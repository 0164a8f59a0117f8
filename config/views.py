"""The site's own pages: the home page, and the error pages (config/urls.py handler400 and handler500).

The home page shows what this user can do, by role and unit, with a section from each app (config/site.py),
rendered once per user, units, roles, language and day (config/home.py).
Django renders its 400 and 500 pages without the request, so they would lack the language, the user and the menu.
These render with it, and fall back to the bare template, then to plain text, if rendering fails too (a 500 can
come from a database that is down, which the header's user lookup would hit again).
"""

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from config import home as home_page
from referrals import audit

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
    # The content comes from the cache or is rendered (config/home.py); either way the contacts it shows are logged.
    html, shown = home_page.content(request)
    audit.log_shown(
        user=request.user, action=audit.Action.LIST, contacts=shown, request=request, detail="home worklist"
    )
    return render(request, "config/home.html", {"content": html})
