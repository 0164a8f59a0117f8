from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: scheduled jobs, readiness, metrics and request logs. At the top with `config`: nothing imports it."""

    name = "ops"
    verbose_name = _("Operations")

    def ready(self):
        from ops import jobs, metrics
        from referrals.signals import contacts_bulk_changed

        post_migrate.connect(jobs.install_schedule, sender=self)
        contacts_bulk_changed.connect(metrics.count_import, dispatch_uid="ops-metrics-contact-import")
