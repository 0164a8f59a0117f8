"""Writes for strong authentication and account hygiene: enrolment, recovery codes, resets, deactivation.

Every change to how a person logs in leaves a SecurityEvent that administrators can read.
"""

import datetime
import secrets
from dataclasses import dataclass

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import user_deactivate
from core.national_id import redact_national_ids
from privacy.models import SecurityEvent

RECOVERY_CODE_COUNT = 10
# Base32 without the characters people confuse (0/O, 1/I/L).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# Set at login so the middleware knows, without a query per request, that the person has a second factor.
ENROLLED_SESSION_KEY = "privacy_two_factor_enrolled"


def _actor_fields(actor) -> dict:
    if actor is None or isinstance(actor, str):
        return {"actor": None, "actor_name": (actor or "system")[:150]}
    return {"actor": actor if actor.pk else None, "actor_name": actor.get_username()[:150]}


def security_event_record(*, kind: str, user, actor=None, request=None, detail: str = "") -> SecurityEvent:
    """Append one event to the security log. `actor` is a user, a command name, or None for the user themself.

    `user` is None when nobody is known (a refused identity-provider login): the entry then names no one.
    """
    actor = (user or "anonymous") if actor is None else actor
    event = SecurityEvent(
        kind=kind,
        user=user,
        username=user.get_username() if user is not None else "–",
        client_address=(request.META.get("REMOTE_ADDR") or None) if request is not None else None,
        detail=redact_national_ids(detail)[:500],
        **_actor_fields(actor),
    )
    event.full_clean()
    event.save()
    return event


# Second factor -----------------------------------------------------------------------------------------------


def two_factor_required(user) -> bool:
    """Whether this installation asks everyone for a second factor."""
    return bool(settings.REQUIRE_2FA) and user.is_authenticated


def has_confirmed_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_second_factor(user) -> bool:
    return django_otp.user_has_device(user, confirmed=True)


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def is_authenticator_code(code: str) -> bool:
    normalised = normalise_code(code)
    return len(normalised) == 6 and normalised.isdigit()


@transaction.atomic
def authenticator_for_enrolment(*, user) -> TOTPDevice:
    """The unconfirmed authenticator being set up: the same one until confirmed, so a reload keeps the QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


def _new_recovery_codes() -> list[str]:
    return ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT)]


def format_recovery_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def _replace_recovery_codes(*, user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    device.token_set.all().delete()
    codes = _new_recovery_codes()
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [format_recovery_code(code) for code in codes]


@transaction.atomic
def two_factor_enrol(*, user, device: TOTPDevice, code: str, request=None) -> list[str] | None:
    """Confirm the authenticator with a code from the app. Returns new recovery codes, or None if the code is wrong."""
    # Gone or already confirmed when the form is sent twice at once: the second submission simply does not match.
    device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
    if device is None or not is_authenticator_code(code) or not device.verify_token(normalise_code(code)):
        return None
    # Only one authenticator per person: a confirmed one from before is replaced.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _replace_recovery_codes(user=user)
    security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_ENROLLED, user=user, request=request)
    security_event_record(kind=SecurityEvent.Kind.RECOVERY_CODES_GENERATED, user=user, request=request)
    if request is not None:
        django_otp.login(request, device)
        request.session[ENROLLED_SESSION_KEY] = True
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user, request=None) -> list[str]:
    """New recovery codes; the old ones stop working."""
    codes = _replace_recovery_codes(user=user)
    security_event_record(kind=SecurityEvent.Kind.RECOVERY_CODES_GENERATED, user=user, request=request)
    return codes


def recovery_codes_remaining(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


class VerificationOutcome:
    VERIFIED = "verified"
    WRONG = "wrong"
    WAIT = "wait"
    LOCKED = "locked"


@dataclass
class Verification:
    outcome: str
    device: object = None
    recovery_code_used: bool = False


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def second_factor_locked(*, request, user) -> bool:
    return AxesProxyHandler.is_locked(request, _credentials(user))


def second_factor_verify(*, request, user, code: str) -> Verification:
    """Check a code from the authenticator app or a recovery code.

    A wrong code counts as a failed login in django-axes, so five wrong codes (or wrong passwords) lock the
    account. While a device's own back-off runs, nothing is checked and nothing is counted.
    """
    if second_factor_locked(request=request, user=user):
        return Verification(VerificationOutcome.LOCKED)
    normalised = normalise_code(code)
    device_class = TOTPDevice if is_authenticator_code(code) else StaticDevice
    with transaction.atomic():
        devices = list(device_class.objects.filter(user=user, confirmed=True).select_for_update())
        if devices and not any(device.verify_is_allowed()[0] for device in devices):
            return Verification(VerificationOutcome.WAIT)
        matched = next((device for device in devices if normalised and device.verify_token(normalised)), None)
    if matched is not None:
        django_otp.login(request, matched)
        request.session.cycle_key()
        request.session[ENROLLED_SESSION_KEY] = True
        # The login is complete only now: this is when django-axes may forget earlier failures.
        AxesProxyHandler.reset_attempts(username=user.get_username())
        used_recovery = isinstance(matched, StaticDevice)
        if used_recovery:
            security_event_record(
                kind=SecurityEvent.Kind.RECOVERY_CODE_USED,
                user=user,
                request=request,
                detail=f"{recovery_codes_remaining(user)} left",
            )
        return Verification(VerificationOutcome.VERIFIED, device=matched, recovery_code_used=used_recovery)
    security_event_record(kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED, user=user, request=request)
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    if getattr(request, "axes_locked_out", False):
        return Verification(VerificationOutcome.LOCKED)
    return Verification(VerificationOutcome.WRONG)


@transaction.atomic
def two_factor_reset(*, user, actor, request=None) -> int:
    """Remove a person's authenticator and recovery codes: at the next request they must enrol again."""
    removed = 0
    for device_class in (TOTPDevice, StaticDevice):
        count, _ = device_class.objects.filter(user=user).delete()
        removed += count
    security_event_record(
        kind=SecurityEvent.Kind.TWO_FACTOR_RESET,
        user=user,
        actor=actor,
        request=request,
        detail=f"{removed} records removed",
    )
    return removed


# Account hygiene ---------------------------------------------------------------------------------------------


def inactive_accounts(*, days: int, now: datetime.datetime | None = None):
    """Active accounts whose last login (or, never having logged in, their creation) is more than `days` ago."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=days)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .annotate(last_seen=Coalesce("last_login", "date_joined"))
        .filter(Q(last_seen__lt=cutoff))
        .order_by("username")
    )


@transaction.atomic
def accounts_deactivate_inactive(
    *, days: int, dry_run: bool = False, actor: str = "deactivate_inactive_accounts"
) -> list:
    """Deactivate accounts not used for `days` days. Running it again finds nothing more to do."""
    if days < 1:
        raise ValueError("days must be at least 1")
    users = list(inactive_accounts(days=days).select_for_update())
    if dry_run:
        return users
    for user in users:
        last_seen = timezone.localtime(user.last_seen).strftime("%Y-%m-%d")
        user_deactivate(user=user, actor=actor, detail=f"Not used for {days} days (last seen {last_seen})")
    return users
