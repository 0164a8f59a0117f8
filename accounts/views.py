from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from accounts import access


@login_required
def home(request):
    user = request.user
    context = {
        "patient_units": access.patient_units(user).order_by("path"),
        "led_units": access.led_units(user).order_by("path"),
        "is_curator": access.is_curator(user),
        "is_quality_analyst": access.is_quality_analyst(user),
        "is_administrator": access.is_administrator(user),
    }
    return render(request, "accounts/home.html", context)


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure means "not ok"
        database = "error"
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", "database": database}, status=status)
