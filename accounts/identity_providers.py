"""Identity providers (OpenID Connect) configured from the environment, read by config/settings.py.

One list names the providers (`OIDC_PROVIDERS=helseid,entra`); each has its own `OIDC_<NAME>_…` variables.
This module is imported by the settings, so it must not touch Django models or settings itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# What a pre-created user is matched on at the first login: the user's field for each choice.
LINK_FIELDS = ("hpr_number", "email", "username")
AUTH_METHODS = ("private_key_jwt", "client_secret_basic", "client_secret_post")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


@dataclass(frozen=True)
class IdentityProvider:
    """One provider. `assurance_claim`/`assurance_value` decide whether its login counts as the second factor."""

    name: str
    label: str
    issuer: str
    client_id: str
    auth_method: str
    client_secret: str = ""
    private_key_file: str = ""
    private_key: str = ""
    key_id: str = ""
    scopes: str = "openid profile email"
    link_claim: str = "email"
    link_to: str = "email"
    assurance_claim: str = ""
    assurance_value: str = ""
    use_par: bool = True

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def claims_needed(self) -> tuple[str, ...]:
        """The only claims kept from a login: everything else (names, national ID, …) is dropped at once."""
        needed = ["iss", "sub", self.link_claim]
        if self.link_claim == "email":
            needed.append("email_verified")
        if self.assurance_claim:
            needed.append(self.assurance_claim)
        return tuple(dict.fromkeys(needed))

    def assurance_met(self, claims: dict) -> bool:
        """Whether the login is strong enough to count as the second factor.

        A list claim (Entra ID's `amr`) must contain the value; a number (HelseID's security level) must reach it;
        anything else must equal it. Without a configured claim, a provider login never counts as the second factor.
        """
        if not (self.assurance_claim and self.assurance_value):
            return False
        value = claims.get(self.assurance_claim)
        if value is None:
            return False
        if isinstance(value, list | tuple):
            return self.assurance_value in [str(item) for item in value]
        try:
            return float(value) >= float(self.assurance_value)
        except (TypeError, ValueError):
            return str(value) == self.assurance_value

    def signing_keys(self) -> dict:
        """The client's private keys as a JWK set, read anew at each use so that a replaced file takes effect.

        Accepts one JWK, a JWK set (several keys during a rotation) or a PEM private key.
        """
        text = Path(self.private_key_file).read_text() if self.private_key_file else self.private_key
        text = text.strip()
        if text.startswith("{"):
            data = json.loads(text)
            return data if "keys" in data else {"keys": [data]}
        return {"pem": text}


def _require(env, variable: str) -> str:
    value = env.str(variable, default="").strip()
    if not value:
        raise ImproperlyConfigured(f"The environment variable {variable} must be set for this identity provider.")
    return value


def provider_from_env(env, name: str) -> IdentityProvider:
    if not _NAME.match(name):
        raise ImproperlyConfigured(
            f"OIDC_PROVIDERS: {name!r} is not a valid provider name (lower-case letters, digits and _)."
        )
    prefix = f"OIDC_{name.upper()}_"
    secret = env.str(prefix + "CLIENT_SECRET", default="")
    key_file = env.str(prefix + "PRIVATE_KEY_FILE", default="")
    key = env.str(prefix + "PRIVATE_KEY", default="")
    default_method = "private_key_jwt" if (key_file or key) else "client_secret_basic"
    method = env.str(prefix + "AUTH_METHOD", default=default_method)
    if method not in AUTH_METHODS:
        raise ImproperlyConfigured(f"{prefix}AUTH_METHOD must be one of {', '.join(AUTH_METHODS)}.")
    if method == "private_key_jwt" and not (key_file or key):
        raise ImproperlyConfigured(f"{prefix}PRIVATE_KEY_FILE or {prefix}PRIVATE_KEY must be set for private_key_jwt.")
    if method == "private_key_jwt" and key_file and not Path(key_file).is_file():
        raise ImproperlyConfigured(f"{prefix}PRIVATE_KEY_FILE: {key_file} is not a readable file.")
    if method != "private_key_jwt" and not secret:
        raise ImproperlyConfigured(f"{prefix}CLIENT_SECRET must be set for {method}.")
    link_to = env.str(prefix + "LINK_TO", default="email")
    if link_to not in LINK_FIELDS:
        raise ImproperlyConfigured(f"{prefix}LINK_TO must be one of {', '.join(LINK_FIELDS)}.")
    return IdentityProvider(
        name=name,
        label=env.str(prefix + "LABEL", default=name.capitalize()),
        issuer=_require(env, prefix + "ISSUER"),
        client_id=_require(env, prefix + "CLIENT_ID"),
        auth_method=method,
        client_secret=secret,
        private_key_file=key_file,
        private_key=key,
        key_id=env.str(prefix + "KEY_ID", default=""),
        scopes=env.str(prefix + "SCOPES", default="openid profile email"),
        link_claim=env.str(prefix + "LINK_CLAIM", default="email"),
        link_to=link_to,
        assurance_claim=env.str(prefix + "ASSURANCE_CLAIM", default=""),
        assurance_value=env.str(prefix + "ASSURANCE_VALUE", default=""),
        use_par=env.bool(prefix + "USE_PAR", default=True),
    )


def providers_from_env(env) -> tuple[IdentityProvider, ...]:
    names = [name.strip() for name in env.list("OIDC_PROVIDERS", default=[]) if name.strip()]
    if len(set(names)) != len(names):
        raise ImproperlyConfigured("OIDC_PROVIDERS names a provider twice.")
    return tuple(provider_from_env(env, name) for name in names)
