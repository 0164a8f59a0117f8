"""Home page, login, lockout page and the health check."""

import math

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from accounts import access, demo, forms


@login_required
def home(request):
    """What this user can do, by role and unit. Each app adds its own section through
    `templates/<app>/_home.html`, which receives this context."""
    user = request.user
    memberships = list(user.memberships.select_related("unit").order_by("unit__path"))
    patient_units = list(access.patient_units(user).order_by("path"))
    context = {
        "memberships": memberships,
        "patient_units": patient_units,
        "led_units": list(access.led_units(user).order_by("path")) if memberships else [],
        "is_curator": access.is_curator(user),
        "is_quality_analyst": access.is_quality_analyst(user),
        "is_administrator": access.is_administrator(user),
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
    }
    context["has_role"] = bool(
        memberships or context["is_curator"] or context["is_quality_analyst"] or context["is_administrator"]
    )
    return render(request, "accounts/home.html", context)


class LoginView(auth_views.LoginView):
    """Django's login view; in demo mode the page lists the demo users and their password."""

    authentication_form = forms.LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.DEMO_MODE:
            context["demo_users"] = demo.demo_users_for_display()
            context["demo_password"] = settings.DEMO_PASSWORD
        return context


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer once the failure limit is reached (AXES_LOCKOUT_CALLABLE)."""
    cooloff_minutes = math.ceil(float(settings.AXES_COOLOFF_TIME) * 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": cooloff_minutes}
    return render(request, "accounts/locked_out.html", context, status=429)


@never_cache
def healthz(request):
    """Load balancers and monitoring: is this process up, and can it reach the database?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure means "not ok"
        database = "error"
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", "database": database}, status=status)
