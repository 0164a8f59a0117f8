"""The security event log and the record of retention runs. Both are append-only."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel


class SecurityEvent(AppendOnlyModel):
    """Something that changed how a person logs in: second factor, recovery codes, deactivation."""

    class Kind(models.TextChoices):
        TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("Two-factor login set up")
        TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor login reset by an administrator")
        RECOVERY_CODES_GENERATED = "recovery_codes_generated", _("New recovery codes generated")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Wrong one-time code")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Account deactivated")
        EXTERNAL_LOGIN_REFUSED = "external_login_refused", _("Identity-provider login refused")
        EXTERNAL_IDENTITY_LINKED = "external_identity_linked", _("Identity-provider identity linked")
        EXTERNAL_IDENTITY_REMOVED = "external_identity_removed", _("Identity-provider identity removed")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("event"), max_length=40, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Names are kept as text so the entry still says who it was if an account is removed.
    username = models.CharField(_("user name"), max_length=150)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("done by (name)"), max_length=150)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}: {self.username}"


class RetentionRun(AppendOnlyModel):
    """One run of `apply_retention`: the cut-offs it used and what it changed (or would have)."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    run_by = models.CharField(_("run by"), max_length=200)
    dry_run = models.BooleanField(_("dry run"), default=False)
    contact_cutoff = models.DateField(
        _("contacts before"), help_text=_("Contacts in months before this date lose pseudonym and notes.")
    )
    access_log_cutoff = models.DateTimeField(
        _("access log before"), help_text=_("Access-log entries before this time are deleted.")
    )
    months_frozen = models.PositiveIntegerField(_("report months frozen"), default=0)
    contacts_anonymised = models.PositiveIntegerField(_("contacts anonymised"), default=0)
    follow_ups_cleared = models.PositiveIntegerField(_("follow-up notes removed"), default=0)
    access_log_entries_deleted = models.PositiveIntegerField(_("access-log entries deleted"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self):
        kind = _("dry run") if self.dry_run else _("run")
        return f"{self.started_at:%Y-%m-%d %H:%M} {kind}"
