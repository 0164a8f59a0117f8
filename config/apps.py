from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    """The site assembled from the apps: home page, menu, demo data. The only app that may import every other."""

    # This module holds other apps' configurations too (below), so say which one is the site's.
    default = True
    name = "config"
    verbose_name = _("Site")


class AxesConfig(AxesAppConfig):
    """django-axes, whose app has no translatable name ("Axes" in every language), and whose model names would
    collide with the referrals app's access log ("access log") in the catalogue."""

    default = False
    verbose_name = _("Login lockout")

    def ready(self):
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        names = {
            AccessAttempt: (_("failed log-in count"), _("failed log-in counts")),
            AccessFailureLog: (_("failed log-in"), _("failed log-ins")),
            AccessLog: (_("log-in record"), _("log-in records")),
        }
        for model, (singular, plural) in names.items():
            model._meta.verbose_name = singular
            model._meta.verbose_name_plural = plural
