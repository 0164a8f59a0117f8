"""Login receivers: remember whether the person has a second factor, and reset django-axes only on a complete login.

AXES_RESET_ON_SUCCESS is off in settings: a correct password alone must not wipe out the count of wrong one-time
codes, or someone holding the password could guess codes four at a time forever. The failures are forgotten when
the whole login succeeds: here when no second factor is asked for, otherwise in services.second_factor_verify.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts.signals import (
    external_identity_linked,
    external_identity_removed,
    external_login_refused,
    user_deactivated,
)
from privacy.models import SecurityEvent
from privacy.services import ENROLLED_SESSION_KEY, has_second_factor, security_event_record, two_factor_required


@receiver(user_logged_in, dispatch_uid="privacy_after_password_login")
def after_password_login(sender, request, user, **kwargs):
    enrolled = has_second_factor(user)
    if request is not None and hasattr(request, "session"):
        request.session[ENROLLED_SESSION_KEY] = enrolled
    if not (enrolled or two_factor_required(user)):
        AxesProxyHandler.reset_attempts(username=user.get_username())


# Identity-provider logins (accounts.oidc): the reasons are fixed codes, never a claim value or a token.


@receiver(external_login_refused, dispatch_uid="privacy_external_login_refused")
def record_refused_external_login(sender, request, provider, reason, user=None, **kwargs):
    security_event_record(
        kind=SecurityEvent.Kind.EXTERNAL_LOGIN_REFUSED, user=user, request=request, detail=f"{provider}: {reason}"
    )


def _record_identity_event(kind, request, identity, actor) -> None:
    detail = f"{identity.provider} ({identity.issuer})"
    security_event_record(kind=kind, user=identity.user, actor=actor, request=request, detail=detail)


@receiver(external_identity_linked, dispatch_uid="privacy_external_identity_linked")
def record_linked_identity(sender, request, identity, actor=None, **kwargs):
    _record_identity_event(SecurityEvent.Kind.EXTERNAL_IDENTITY_LINKED, request, identity, actor)


@receiver(external_identity_removed, dispatch_uid="privacy_external_identity_removed")
def record_removed_identity(sender, request, identity, actor=None, **kwargs):
    _record_identity_event(SecurityEvent.Kind.EXTERNAL_IDENTITY_REMOVED, request, identity, actor)


@receiver(user_deactivated, dispatch_uid="privacy_account_deactivated")
def record_deactivation(sender, user, actor, request=None, detail="", **kwargs):
    security_event_record(
        kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED, user=user, actor=actor, request=request, detail=detail
    )
