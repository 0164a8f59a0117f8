"""Administrators read the security log and the retention runs here (never change them), and reset a person's
second factor from the user list."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin import ReadOnlyForAdministratorsMixin
from privacy.models import RetentionRun, SecurityEvent
from privacy.services import two_factor_reset

# django-otp's own device admin shows each person's secret key and QR code: with it an administrator could copy
# someone's authenticator. Administrators reset a second factor (below) instead; they never see one.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyForAdministratorsMixin, admin.ModelAdmin):
    list_display = ["at", "kind", "username", "actor_name", "client_address", "detail"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "actor_name"]
    date_hierarchy = "at"
    list_per_page = 100
    show_full_result_count = False


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyForAdministratorsMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "dry_run",
        "run_by",
        "contact_cutoff",
        "access_log_cutoff",
        "months_frozen",
        "contacts_anonymised",
        "follow_ups_cleared",
        "access_log_entries_deleted",
    ]
    list_filter = ["dry_run"]


@admin.action(description=_("Reset two-factor login for the selected users"))
def reset_two_factor(model_admin, request, queryset):
    """Through the service, so each reset is in the security log with the administrator's name."""
    users = list(queryset)
    for user in users:
        two_factor_reset(user=user, actor=request.user, request=request)
    model_admin.message_user(
        request,
        ngettext(
            "Two-factor login reset for %(count)d user: they set it up again at their next log-in.",
            "Two-factor login reset for %(count)d users: they set it up again at their next log-in.",
            len(users),
        )
        % {"count": len(users)},
        messages.SUCCESS,
    )


def _add_reset_action_to_user_admin() -> None:
    # The user admin belongs to the accounts app, which is loaded first; the action is added to it from here so
    # that two-factor code stays in one app.
    user_admin = admin.site.get_model_admin(get_user_model())
    actions = list(user_admin.actions or [])
    if reset_two_factor not in actions:
        user_admin.actions = [*actions, reset_two_factor]


try:
    _add_reset_action_to_user_admin()
except admin.sites.NotRegistered:  # pragma: no cover - the accounts admin always registers the user model
    pass
