from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy and security")

    def ready(self):
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts import principals
        from privacy import signals  # noqa: F401 - connects the login receivers

        # The authenticator a session was verified with is kept with the signed-in user (privacy.middleware).
        principals.watch(TOTPDevice, StaticDevice)
