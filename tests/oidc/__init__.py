"""A real OpenID Provider on loopback for the login tests: npm `oidc-provider` (pinned in package-lock.json).

Two clients, like the two providers hospitals use:
- `helseid-test`: private_key_jwt with two registered keys (a rotation in progress), PKCE and PAR required, and
  HelseID's own claims: security level, HPR number and the national identity number (`pid`), which the product
  must never store or log;
- `entra-test`: a client secret, and `amr` saying whether the person used multi-factor authentication.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from accounts.identity_providers import IdentityProvider

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")
PID_CLAIM = "helseid://claims/identity/pid"
HPR_CLAIM = "helseid://claims/hpr/hpr_number"
LEVEL_CLAIM = "helseid://claims/identity/security_level"
HELSEID_SCOPES = (
    "openid profile helseid://scopes/identity/security_level helseid://scopes/hpr/hpr_number "
    "helseid://scopes/identity/pid"
)
ENTRA_SECRET = "entra-test-secret-0123456789abcdef"


def valid_national_id(birth: str = "150385", individual: str = "102") -> str:
    """A fødselsnummer with valid check digits (synthetic: made up for the tests)."""
    digits = [int(d) for d in birth + individual]
    k1 = 11 - sum(w * d for w, d in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), digits, strict=True)) % 11
    k1 = 0 if k1 == 11 else k1
    if k1 == 10:
        return valid_national_id(birth, f"{int(individual) + 1:03d}")
    digits.append(k1)
    k2 = 11 - sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), digits, strict=True)) % 11
    k2 = 0 if k2 == 11 else k2
    if k2 == 10:
        return valid_national_id(birth, f"{int(individual) + 1:03d}")
    return "".join(map(str, digits)) + str(k2)


PID = valid_national_id()

ACCOUNTS = {
    "hpr-level4": {
        "claims": {
            PID_CLAIM: PID,
            LEVEL_CLAIM: "4",
            HPR_CLAIM: "565501872",
            "name": "Kari Nordmann",
        },
        "amr": ["pwd"],
    },
    "hpr-level3": {
        "claims": {PID_CLAIM: valid_national_id("010190", "234"), LEVEL_CLAIM: "3", HPR_CLAIM: "565501999"},
    },
    "hpr-unknown": {"claims": {PID_CLAIM: valid_national_id("020290", "345"), LEVEL_CLAIM: "4", HPR_CLAIM: "9999"}},
    "entra-mfa": {
        "claims": {"preferred_username": "ola.mfa@sykehus.example", "email": "ola.mfa@sykehus.example"},
        "amr": ["pwd", "mfa"],
    },
    "entra-password-only": {
        "claims": {"preferred_username": "per.pwd@sykehus.example", "email": "per.pwd@sykehus.example"},
        "amr": ["pwd"],
    },
}

CLAIMS = {
    # `amr`: how the person logged in (Entra ID's way of saying "multi-factor"), in every ID token.
    "openid": ["sub", "amr"],
    "profile": ["name", "preferred_username"],
    "email": ["email", "email_verified"],
    "helseid://scopes/identity/pid": [PID_CLAIM],
    "helseid://scopes/identity/security_level": [LEVEL_CLAIM],
    "helseid://scopes/hpr/hpr_number": [HPR_CLAIM],
}


def _rsa(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


@dataclass
class TestProvider:
    issuer: str
    process: subprocess.Popen
    signing_key: RSAKey
    client_keys_file: Path
    workdir: Path
    extra: dict = field(default_factory=dict)

    def helseid(self, **overrides) -> IdentityProvider:
        values = {
            "name": "helseid",
            "label": "HelseID",
            "issuer": self.issuer,
            "client_id": "helseid-test",
            "auth_method": "private_key_jwt",
            "private_key_file": str(self.client_keys_file),
            "key_id": "rp-2026",
            "scopes": HELSEID_SCOPES,
            "link_claim": HPR_CLAIM,
            "link_to": "hpr_number",
            "assurance_claim": LEVEL_CLAIM,
            "assurance_value": "4",
        }
        return IdentityProvider(**{**values, **overrides})

    def entra(self, **overrides) -> IdentityProvider:
        values = {
            "name": "entra",
            "label": "Microsoft Entra ID",
            "issuer": self.issuer,
            "client_id": "entra-test",
            "auth_method": "client_secret_basic",
            "client_secret": ENTRA_SECRET,
            "scopes": "openid profile email",
            "link_claim": "preferred_username",
            "link_to": "email",
            "assurance_claim": "amr",
            "assurance_value": "mfa",
        }
        return IdentityProvider(**{**values, **overrides})

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def sign_id_token(self, claims: dict, key: RSAKey | None = None) -> str:
        key = key or self.signing_key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def id_token_claims(self, id_token: str) -> dict:
        return jwt.decode(id_token, self.signing_key).claims


def require_provider_installed() -> None:
    """Skip without Node.js or the npm package, unless REQUIRE_OIDC_PROVIDER=1 (set by .ci/run): then fail."""
    if shutil.which("node") is not None and (ROOT / "node_modules" / "oidc-provider").is_dir():
        return
    reason = "the OpenID Provider tests need Node.js and npm oidc-provider (`make install-dev` runs `npm ci`)"
    if os.environ.get("REQUIRE_OIDC_PROVIDER") == "1":
        pytest.fail(f"REQUIRE_OIDC_PROVIDER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def start_provider(base_urls: list[str]) -> TestProvider:
    """Start the provider; `base_urls` are the app's addresses whose callbacks the clients may use."""
    workdir = Path(tempfile.mkdtemp(prefix="oidc-provider-"))
    signing_key = _rsa("op-signing-1")
    old_key, new_key = _rsa("rp-2025"), _rsa("rp-2026")
    client_keys_file = workdir / "helseid-client-keys.json"
    client_keys_file.write_text(json.dumps({"keys": [old_key.as_dict(private=True), new_key.as_dict(private=True)]}))

    def client(client_id, name, **metadata):
        return {
            "client_id": client_id,
            "redirect_uris": [f"{base}/accounts/oidc/{name}/callback/" for base in base_urls],
            "post_logout_redirect_uris": [f"{base}/accounts/login/" for base in base_urls],
            "response_types": ["code"],
            "grant_types": ["authorization_code"],
            **metadata,
        }

    config = {
        "clients": [
            client(
                "helseid-test",
                "helseid",
                token_endpoint_auth_method="private_key_jwt",
                token_endpoint_auth_signing_alg="RS256",
                jwks={"keys": [old_key.as_dict(private=False), new_key.as_dict(private=False)]},
                require_pushed_authorization_requests=True,
            ),
            client("entra-test", "entra", client_secret=ENTRA_SECRET, token_endpoint_auth_method="client_secret_basic"),
        ],
        "signing_keys": [signing_key.as_dict(private=True)],
        "claims": CLAIMS,
        "accounts": ACCOUNTS,
    }
    config_file = workdir / "config.json"
    config_file.write_text(json.dumps(config))
    stderr = (workdir / "stderr.log").open("w")
    process = subprocess.Popen(
        ["node", str(SCRIPT), str(config_file)], cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
    )
    line = process.stdout.readline()
    if not line.startswith("listening "):
        process.kill()
        raise RuntimeError(f"oidc-provider did not start: {(workdir / 'stderr.log').read_text()[-2000:]}")
    issuer = line.split()[1]
    _wait_until_answering(issuer)
    return TestProvider(issuer, process, signing_key, client_keys_file, workdir)


def _wait_until_answering(issuer: str) -> None:
    for _ in range(50):
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError("oidc-provider does not answer")


def log_in_at_provider(authorization_url: str, account: str, app_base: str) -> str:
    """Act as the browser at the provider: open the login page, type the account, and return the URL the
    provider sends the browser back to (the app's callback, with code and state)."""
    session = requests.Session()
    url = authorization_url
    for _ in range(10):
        if url.startswith(app_base):
            return url
        if urlsplit(url).path.startswith("/interaction/"):
            session.get(url, timeout=10)
            response = session.post(url, data={"login": account}, allow_redirects=False, timeout=10)
        else:
            response = session.get(url, allow_redirects=False, timeout=10)
        if response.status_code not in (302, 303):
            raise AssertionError(f"Provider answered {response.status_code} at {url}: {response.text[:500]}")
        url = urljoin(url, response.headers["Location"])
    raise AssertionError("Too many redirects at the provider")
