import os

from django.apps import AppConfig
from django.db import connections
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
        # The worker (qcluster) forks its pusher, scheduler and workers: a database connection open in the parent
        # would be shared by them, and one closing it breaks it for all ("the connection is closed"). Close first.
        os.register_at_fork(before=connections.close_all)
        contacts_bulk_changed.connect(metrics.count_import, dispatch_uid="ops-metrics-contact-import")
