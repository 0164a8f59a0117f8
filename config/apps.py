from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    """The site assembled from the apps: home page, menu, demo data. The only app that may import every other."""

    name = "config"
    verbose_name = _("Site")
