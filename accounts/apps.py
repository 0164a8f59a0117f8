from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and units")

    def ready(self):
        from accounts import principals, signals  # noqa: F401 - signals connects the receivers
        from accounts.models import Membership, Unit, User

        principals.watch(User, Membership, Unit)
