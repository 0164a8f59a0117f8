from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_q.apps import DjangoQConfig


def rename_models(names: dict) -> None:
    """Give a third-party app's models our own (translatable) names: {model: (singular, plural)}. Migrations keep
    the names the app declared, so no migration follows."""
    for model, (singular, plural) in names.items():
        model._meta.verbose_name = singular
        model._meta.verbose_name_plural = plural


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

        rename_models(
            {
                AccessAttempt: (_("failed log-in count"), _("failed log-in counts")),
                AccessFailureLog: (_("failed log-in"), _("failed log-ins")),
                AccessLog: (_("log-in record"), _("log-in records")),
            }
        )


class TaskQueueConfig(DjangoQConfig):
    """django-q2, whose model names are capitalised ("Scheduled task"), so that Django's own sentences read
    "Velg Planlagt jobb …" in Norwegian. Its other words go through gettext and are in the catalogue."""

    default = False

    def ready(self):
        super().ready()
        from django_q.models import Failure, OrmQ, Schedule, Success, Task

        rename_models(
            {
                Task: (_("task"), _("tasks")),
                Success: (_("successful task"), _("successful tasks")),
                Failure: (_("failed task"), _("failed tasks")),
                Schedule: (_("scheduled task"), _("scheduled tasks")),
                OrmQ: (_("queued task"), _("queued tasks")),
            }
        )
