"""Identity providers come from the environment, and a wrong configuration stops start-up with a clear message."""

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.identity_providers import providers_from_env


@pytest.fixture
def env(monkeypatch):
    def _env(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return environ.Env()

    return _env


def test_no_providers_by_default(env):
    assert providers_from_env(env()) == ()


def test_two_providers_each_with_their_own_settings(env, tmp_path):
    key_file = tmp_path / "keys.json"
    key_file.write_text('{"keys": []}')
    providers = providers_from_env(
        env(
            OIDC_PROVIDERS="helseid,entra",
            OIDC_HELSEID_LABEL="HelseID",
            OIDC_HELSEID_ISSUER="https://helseid-sts.nhn.no",
            OIDC_HELSEID_CLIENT_ID="abc",
            OIDC_HELSEID_PRIVATE_KEY_FILE=str(key_file),
            OIDC_HELSEID_LINK_CLAIM="helseid://claims/hpr/hpr_number",
            OIDC_HELSEID_LINK_TO="hpr_number",
            OIDC_HELSEID_ASSURANCE_CLAIM="helseid://claims/identity/security_level",
            OIDC_HELSEID_ASSURANCE_VALUE="4",
            OIDC_ENTRA_ISSUER="https://login.microsoftonline.com/tenant/v2.0",
            OIDC_ENTRA_CLIENT_ID="def",
            OIDC_ENTRA_CLIENT_SECRET="secret",
        )
    )
    helseid, entra = providers
    assert (helseid.name, helseid.label, helseid.auth_method, helseid.link_to) == (
        "helseid",
        "HelseID",
        "private_key_jwt",
        "hpr_number",
    )
    assert helseid.discovery_url == "https://helseid-sts.nhn.no/.well-known/openid-configuration"
    assert (entra.name, entra.label, entra.auth_method, entra.assurance_claim) == (
        "entra",
        "Entra",
        "client_secret_basic",
        "",
    )


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"OIDC_X_CLIENT_ID": "a", "OIDC_X_CLIENT_SECRET": "s"}, "OIDC_X_ISSUER"),
        ({"OIDC_X_ISSUER": "https://x", "OIDC_X_CLIENT_SECRET": "s"}, "OIDC_X_CLIENT_ID"),
        ({"OIDC_X_ISSUER": "https://x", "OIDC_X_CLIENT_ID": "a"}, "OIDC_X_CLIENT_SECRET"),
        (
            {"OIDC_X_ISSUER": "https://x", "OIDC_X_CLIENT_ID": "a", "OIDC_X_AUTH_METHOD": "private_key_jwt"},
            "OIDC_X_PRIVATE_KEY_FILE",
        ),
        (
            {"OIDC_X_ISSUER": "https://x", "OIDC_X_CLIENT_ID": "a", "OIDC_X_PRIVATE_KEY_FILE": "/nonexistent/key"},
            "/nonexistent/key",
        ),
        (
            {
                "OIDC_X_ISSUER": "https://x",
                "OIDC_X_CLIENT_ID": "a",
                "OIDC_X_CLIENT_SECRET": "s",
                "OIDC_X_LINK_TO": "pid",
            },
            "OIDC_X_LINK_TO",
        ),
    ],
)
def test_a_wrong_provider_configuration_names_the_variable(env, variables, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        providers_from_env(env(OIDC_PROVIDERS="x", **variables))


def test_a_provider_name_that_is_not_a_slug_is_refused(env):
    with pytest.raises(ImproperlyConfigured, match="not a valid provider name"):
        providers_from_env(env(OIDC_PROVIDERS="Helse ID"))
