"""OpenID Connect login (HelseID, Microsoft Entra ID, …): the protocol is Authlib's; this module only configures it.

Authorization code with PKCE (S256), state and nonce (Authlib keeps them in the session until the callback),
discovery from the issuer, client authentication by private_key_jwt or client secret, and pushed authorization
requests (PAR) when the provider advertises them. The ID token's signature, issuer, audience, expiry, issue time,
nonce and at_hash are checked by Authlib against the provider's published keys. Of its claims only the ones
IdentityProvider.claims_needed() names are kept; no token is stored or logged anywhere.
"""

from __future__ import annotations

import secrets
import threading
import time
from urllib.parse import parse_qsl, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.urls import add_params_to_uri
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from django.conf import settings
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from accounts.identity_providers import IdentityProvider

# Session keys read by other apps: which provider logged the person in, and whether that login was strong enough
# to count as the second factor (privacy.middleware honours it; accounts cannot import privacy).
PROVIDER_SESSION_KEY = "accounts_login_provider"
SECOND_FACTOR_SESSION_KEY = "accounts_provider_second_factor"
HTTP_TIMEOUT_SECONDS = 10
# Discovery documents and keys are fetched again after this long (a provider's signing keys rotate; an unknown
# key id makes Authlib fetch the key set at once anyway).
METADATA_MAX_AGE_SECONDS = 3600


class ProviderUnavailable(Exception):
    """The provider cannot be reached or answers something unusable (down, or misconfigured on either side)."""


class LoginFailed(Exception):
    """The login response was refused (state, nonce, signature, audience, time …). `reason` goes to the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def configured_providers() -> tuple[IdentityProvider, ...]:
    return tuple(settings.OIDC_PROVIDERS)


def provider_named(name: str) -> IdentityProvider | None:
    return next((provider for provider in configured_providers() if provider.name == name), None)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def provider_origins() -> list[str]:
    """Where the login and logout forms may send the browser: each provider's issuer, and the hosts of its
    authorization and end-session endpoints once its discovery document is known (no request is made here)."""
    origins = []
    for provider in configured_providers():
        origins.append(_origin(provider.issuer))
        _created, app = _apps.get(provider, (0.0, None))
        metadata = app.server_metadata if app is not None else {}
        origins += [
            _origin(metadata[key]) for key in ("authorization_endpoint", "end_session_endpoint") if key in metadata
        ]
    return list(dict.fromkeys(origins))


def signing_key(provider: IdentityProvider):
    """The private key that signs client assertions: the one named by KEY_ID, else the first of the set.

    During a rotation the file holds the old and the new key; the provider is told which one signed (`kid`).
    """
    keys = provider.signing_keys()
    if "pem" in keys:
        key = RSAKey.import_key(keys["pem"]) if "RSA" in keys["pem"] else ECKey.import_key(keys["pem"])
        return key, provider.key_id or key.thumbprint()
    key_set = KeySet.import_key_set(keys)
    if provider.key_id:
        return key_set.get_by_kid(provider.key_id), provider.key_id
    key = key_set.keys[0]
    return key, key.kid or key.thumbprint()


class ClientAssertion(PrivateKeyJWT):
    """private_key_jwt as HelseID asks for it: audience the issuer (which every provider accepts, for PAR and the
    token endpoint alike), at most 60 seconds' life, the key id in the header, and a fresh jti each time."""

    def __init__(self, provider: IdentityProvider):
        super().__init__()
        self.provider = provider

    def sign(self, auth, token_endpoint):
        key, kid = signing_key(self.provider)
        now = int(time.time())
        return private_key_jwt_sign(
            key,
            client_id=auth.client_id,
            token_endpoint=self.provider.issuer,
            alg="RS256" if isinstance(key, RSAKey) else "ES256",
            claims={"nbf": now, "jti": secrets.token_urlsafe(32)},
            header={"kid": kid, "typ": "JWT"},
            issued_at=now,
            expires_in=60,
        )


class ProviderApp(DjangoOAuth2App):
    """Authlib's Django client, plus pushed authorization requests (RFC 9126), which Authlib's client lacks."""

    use_par = True

    def create_authorization_url(self, redirect_uri=None, **kwargs):
        result = super().create_authorization_url(redirect_uri, **kwargs)
        metadata = self.load_server_metadata()
        endpoint = metadata.get("pushed_authorization_request_endpoint")
        if self.use_par and endpoint:
            result["url"] = self._pushed(result["url"], endpoint, metadata)
        return result

    def _pushed(self, url: str, endpoint: str, metadata: dict) -> str:
        """Send the authorization request's parameters to the provider directly; the browser carries only a
        reference to them (`request_uri`), so nothing in it can be changed on the way."""
        parameters = dict(parse_qsl(urlsplit(url).query))
        with self._get_oauth_client(**metadata) as session:
            auth = session.client_auth(session.token_endpoint_auth_method)
            response = session.post(endpoint, data=parameters, auth=auth, withhold_token=True)
        response.raise_for_status()
        request_uri = response.json()["request_uri"]
        return add_params_to_uri(
            metadata["authorization_endpoint"], {"client_id": self.client_id, "request_uri": request_uri}
        )


_apps: dict[IdentityProvider, tuple[float, ProviderApp]] = {}
_apps_lock = threading.Lock()


def provider_app(provider: IdentityProvider) -> ProviderApp:
    """One Authlib client per provider and process, so that discovery and keys are not fetched at every login."""
    with _apps_lock:
        created, app = _apps.get(provider, (0.0, None))
        if app is None or time.monotonic() - created > METADATA_MAX_AGE_SECONDS:
            app = _new_app(provider)
            _apps[provider] = (time.monotonic(), app)
        return app


def forget_provider_apps() -> None:
    """Fetch discovery documents and keys again at the next login (tests; a provider that moved)."""
    with _apps_lock:
        _apps.clear()


def _new_app(provider: IdentityProvider) -> ProviderApp:
    private_key_jwt = provider.auth_method == "private_key_jwt"
    app = ProviderApp(
        DjangoIntegration(provider.name),
        provider.name,
        client_id=provider.client_id,
        client_secret=None if private_key_jwt else provider.client_secret,
        server_metadata_url=provider.discovery_url,
        client_auth_methods=[ClientAssertion(provider)] if private_key_jwt else None,
        client_kwargs={
            "scope": provider.scopes,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": provider.auth_method,
            "default_timeout": HTTP_TIMEOUT_SECONDS,
        },
    )
    app.use_par = provider.use_par
    return app


def _check_metadata(provider: IdentityProvider, app: ProviderApp) -> dict:
    try:
        metadata = app.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable("discovery") from error
    if metadata.get("issuer", "").rstrip("/") != provider.issuer.rstrip("/"):
        # A discovery document for another issuer: tokens from it would never validate.
        app.server_metadata.pop("_loaded_at", None)
        raise ProviderUnavailable("issuer_mismatch")
    return metadata


def login_redirect(request, provider: IdentityProvider, redirect_uri: str):
    """The redirect to the provider's login page (after pushing the request when PAR is advertised)."""
    app = provider_app(provider)
    _check_metadata(provider, app)
    try:
        return app.authorize_redirect(request, redirect_uri, nonce=secrets.token_urlsafe(32))
    except (requests.RequestException, ValueError, KeyError, AuthlibBaseError, JoseError) as error:
        raise ProviderUnavailable("authorization_request") from error


def login_claims(request, provider: IdentityProvider) -> dict:
    """Exchange the code for tokens, validate the ID token and return only the claims this product needs.

    The tokens themselves go out of scope here: they are never stored, in the session or anywhere else.
    """
    app = provider_app(provider)
    metadata = _check_metadata(provider, app)
    if request.GET.get("error"):
        raise LoginFailed("provider_error")
    # The audience must name this client: Authlib checks it only when asked (else an `azp` naming us would do).
    claims_options = {
        "iss": {"essential": True, "values": [metadata["issuer"]]},
        "aud": {"essential": True, "values": [provider.client_id]},
    }
    try:
        token = app.authorize_access_token(
            request, leeway=settings.OIDC_CLOCK_SKEW_SECONDS, claims_options=claims_options
        )
    except requests.RequestException as error:
        raise ProviderUnavailable("token_request") from error
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as error:
        raise LoginFailed(_reason(error)) from error
    id_claims = token.get("userinfo")
    if not id_claims:
        raise LoginFailed("id_token_missing")
    return {name: id_claims[name] for name in provider.claims_needed() if name in id_claims}


def _reason(error: Exception) -> str:
    """A short, fixed description of why a login response was refused: never a claim value or a token."""
    name = type(error).__name__
    described = {
        "MismatchingStateError": "state_mismatch",
        "ExpiredTokenError": "id_token_expired",
        "BadSignatureError": "id_token_bad_signature",
        "InvalidKeyIdError": "id_token_unknown_key",
        "OAuthError": "token_request_refused",
    }
    if name in described:
        return described[name]
    claim = getattr(error, "claim", None) or getattr(error, "claim_name", None)
    if claim in ("nonce", "aud", "iss", "azp", "at_hash", "iat", "nbf", "exp", "sub"):
        return f"id_token_{'missing' if name == 'MissingClaimError' else 'invalid'}_{claim}"
    if name == "InvalidTokenError":
        return "id_token_not_yet_valid"
    return f"id_token_invalid ({name})"


def logout_url(provider: IdentityProvider, post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session URL (RP-initiated logout), or None when it advertises none or cannot be reached.

    No ID token is kept, so the request names the client instead of passing `id_token_hint`.
    """
    app = provider_app(provider)
    try:
        metadata = _check_metadata(provider, app)
    except ProviderUnavailable:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    return app.create_logout_url(post_logout_redirect_uri=post_logout_redirect_uri, client_id=provider.client_id)["url"]
