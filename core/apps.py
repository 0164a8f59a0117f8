from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The shared kernel: small rules that several apps need. It imports no other app of the project."""

    name = "core"
    verbose_name = _("Shared kernel")
