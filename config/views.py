"""Error pages for the whole site (config/urls.py handler400 and handler500).

Django renders its 400 and 500 pages without the request, so they would lack the language, the user and the menu.
These render with it, and fall back to the bare template, then to plain text, if rendering fails too (a 500 can
come from a database that is down, which the header's user lookup would hit again).
"""

import logging

from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

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
