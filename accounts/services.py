"""Writes about accounts: deactivating a user; linking an identity-provider login to exactly one pre-created user,
and removing it.

A provider login never creates a user and never grants units or roles: an administrator creates the user and their
memberships first; the provider only proves who is at the keyboard.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.identity_providers import IdentityProvider
from accounts.models import ExternalIdentity, User
from accounts.signals import external_identity_linked, external_identity_removed, user_deactivated


@transaction.atomic
def user_deactivate(*, user: User, actor, request=None, detail: str) -> bool:
    """Close an account: it can no longer log in; its records keep its name. Told to the security log (privacy)
    through `user_deactivated`, in the same transaction. False, and nothing written, if it was already inactive."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        return False
    locked.is_active = user.is_active = False
    locked.save(update_fields=["is_active"])
    user_deactivated.send(sender=User, user=locked, actor=actor, request=request, detail=detail)
    return True


@transaction.atomic
def users_deactivate(*, users, actor, request=None, detail: str) -> int:
    """Deactivate each of `users` except `actor` (nobody locks themself out); how many were active."""
    return sum(
        user_deactivate(user=user, actor=actor, request=request, detail=detail)
        for user in users
        if user.pk != getattr(actor, "pk", None)
    )


class LoginRefused(Exception):
    """The provider login is valid but leads to no user here. `reason` is a short code for the security log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _link_value(provider: IdentityProvider, claims: dict) -> str:
    value = claims.get(provider.link_claim)
    if provider.link_claim == "email" and claims.get("email_verified") is not True:
        # An address the provider has not verified proves nothing about who owns it.
        raise LoginRefused("email_not_verified")
    if not isinstance(value, str | int) or not str(value).strip():
        raise LoginRefused("link_claim_missing")
    return str(value).strip()


def _user_for_first_login(provider: IdentityProvider, claims: dict) -> User:
    value = _link_value(provider, claims)
    lookup = "hpr_number" if provider.link_to == "hpr_number" else f"{provider.link_to}__iexact"
    candidates = list(User.objects.filter(**{lookup: value})[:2])
    if not candidates:
        raise LoginRefused("no_matching_user")
    if len(candidates) > 1:
        raise LoginRefused("several_matching_users")
    return candidates[0]


@transaction.atomic
def external_login_user(*, provider: IdentityProvider, claims: dict, request=None) -> User:
    """The user this provider login belongs to, linking it at the first login.

    `claims` are the validated ID token's claims, already reduced to IdentityProvider.claims_needed().
    Raises LoginRefused when no single active user fits.
    """
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    identity = (
        ExternalIdentity.objects.select_for_update().select_related("user").filter(issuer=issuer, subject=subject)
    ).first()
    if identity is None:
        user = _user_for_first_login(provider, claims)
        if ExternalIdentity.objects.filter(user=user, issuer=issuer).exists():
            # The claim now points at a user who already logs in as someone else at this provider.
            raise LoginRefused("user_linked_to_other_identity")
        identity = ExternalIdentity(user=user, provider=provider.name, issuer=issuer, subject=subject)
        identity.full_clean()
        try:
            with transaction.atomic():
                identity.save()
        except IntegrityError as error:  # the same first login twice at once
            raise LoginRefused("link_conflict") from error
        external_identity_linked.send(sender=ExternalIdentity, request=request, identity=identity, actor=None)
    if not identity.user.is_active:
        raise LoginRefused("user_inactive")
    identity.last_login_at = timezone.now()
    identity.save(update_fields=["last_login_at"])
    return identity.user


@transaction.atomic
def external_identity_remove(*, identity: ExternalIdentity, actor, request=None) -> None:
    """Unlink: the person's next login through that provider links again, or is refused."""
    identity.delete()
    external_identity_removed.send(sender=ExternalIdentity, request=request, identity=identity, actor=actor)
