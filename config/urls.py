from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from config import views
from core.admin import bound_date_filters
from ops import health, metrics

bound_date_filters(admin.site)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", accounts_views.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("meetings/", include("registry.urls")),
    path("", include("privacy.urls")),
    path("contacts/", include("referrals.urls")),
    path("reports/", include("reports.urls")),
]

# 403 and 404 are Django's own views with templates/403.html and 404.html; these two render with the request.
handler400 = "config.views.bad_request"
handler500 = "config.views.server_error"
