"""Login through OpenID Connect providers, against a real provider (npm oidc-provider) on loopback.

The Django test client plays the app's side, tests.oidc.log_in_at_provider the browser at the provider.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounts.models import ExternalIdentity
from privacy.models import SecurityEvent
from tests.factories import UserFactory
from tests.oidc import LEVEL_CLAIM, log_in_at_provider

pytestmark = pytest.mark.django_db

APP = "http://testserver"


def start_login(client, provider: str = "helseid", next_url: str = ""):
    response = client.post(reverse("oidc_login", args=[provider]), {"next": next_url})
    assert response.status_code == 302
    return response["Location"]


def provider_login(client, account: str, provider: str = "helseid", next_url: str = ""):
    """The whole round trip; returns the app's answer to the callback."""
    callback = log_in_at_provider(start_login(client, provider, next_url), account, APP)
    parts = urlsplit(callback)
    return client.get(parts.path, parse_qs(parts.query))


@pytest.fixture
def kari(db):
    return UserFactory(username="kari", hpr_number="565501872")


@pytest.fixture
def ola(db):
    return UserFactory(username="ola", email="Ola.MFA@sykehus.example")


def refusals():
    return list(
        SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXTERNAL_LOGIN_REFUSED).values_list("detail", flat=True)
    )


def test_login_page_has_a_button_per_provider_and_the_password_form(client, identity_providers):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-provider="helseid"' in html and "Log in with HelseID" in html
    assert 'data-provider="entra"' in html and "Log in with Microsoft Entra ID" in html
    assert 'name="password"' in html


def test_helseid_login_pushes_the_request_and_sends_only_a_reference_through_the_browser(client, identity_providers):
    url = start_login(client)
    query = parse_qs(urlsplit(url).query)
    assert set(query) == {"client_id", "request_uri"}
    assert query["request_uri"][0].startswith("urn:ietf:params:oauth:request_uri:")


def test_entra_login_without_par_carries_pkce_state_and_nonce(client, identity_providers, settings):
    settings.OIDC_PROVIDERS = (identity_providers.entra(use_par=False),)
    query = parse_qs(urlsplit(start_login(client, "entra")).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0] and query["state"][0] and query["nonce"][0]


def test_first_helseid_login_links_the_pre_created_user_by_hpr_number(client, identity_providers, kari):
    response = provider_login(client, "hpr-level4")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    identity = ExternalIdentity.objects.get()
    assert (identity.user, identity.provider, identity.subject) == (kari, "helseid", "hpr-level4")
    assert identity.issuer == identity_providers.issuer
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXTERNAL_IDENTITY_LINKED, user=kari).count() == 1
    assert client.get(reverse("home")).context["user"] == kari


def test_helseid_level_4_counts_as_the_second_factor(client, identity_providers, kari, settings):
    settings.REQUIRE_2FA = True
    provider_login(client, "hpr-level4")
    assert client.get(reverse("home")).status_code == 200


def test_helseid_level_3_still_asks_for_the_one_time_code(client, identity_providers, settings):
    settings.REQUIRE_2FA = True
    UserFactory(username="nils", hpr_number="565501999")
    provider_login(client, "hpr-level3")
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("privacy:two_factor_setup"))


def test_entra_login_with_mfa_counts_as_the_second_factor(client, identity_providers, ola, settings):
    settings.REQUIRE_2FA = True
    response = provider_login(client, "entra-mfa", provider="entra")
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert ExternalIdentity.objects.get().user == ola


def test_entra_login_with_password_only_still_asks_for_the_one_time_code(client, identity_providers, settings):
    settings.REQUIRE_2FA = True
    UserFactory(username="per", email="per.pwd@sykehus.example")
    provider_login(client, "entra-password-only", provider="entra")
    assert client.get(reverse("home"))["Location"].startswith(reverse("privacy:two_factor_setup"))


def test_a_password_login_after_a_provider_login_does_not_inherit_its_second_factor(
    client, identity_providers, kari, settings
):
    settings.REQUIRE_2FA = True
    provider_login(client, "hpr-level4")
    client.post(reverse("logout"))
    kari.set_password("a-long-enough-password-1")
    kari.save()
    client.post(reverse("login"), {"username": "kari", "password": "a-long-enough-password-1"})
    assert client.get(reverse("home"))["Location"].startswith(reverse("privacy:two_factor_setup"))


def test_later_logins_follow_the_link_not_the_claim(client, identity_providers, kari):
    provider_login(client, "hpr-level4")
    client.logout()
    kari.hpr_number = ""
    kari.save()
    UserFactory(username="someone-else", hpr_number="565501872")
    provider_login(client, "hpr-level4")
    assert client.get(reverse("home")).context["user"] == kari


def test_a_provider_login_grants_no_units_or_roles(client, identity_providers, kari):
    provider_login(client, "hpr-level4")
    kari.refresh_from_db()
    assert not kari.memberships.exists()
    assert (kari.is_curator, kari.is_quality_analyst, kari.is_superuser, kari.is_staff) == (False,) * 4


def test_an_identity_without_a_pre_created_user_is_refused_with_a_clear_message(client, identity_providers):
    response = provider_login(client, "hpr-unknown")
    assert response["Location"] == reverse("login")
    page = client.get(reverse("login")).content.decode()
    assert "that identity has no access to this service. Ask your administrator for access." in page
    assert "_auth_user_id" not in client.session
    assert not ExternalIdentity.objects.exists()
    assert refusals() == ["helseid: no_matching_user"]


def test_two_users_with_the_claimed_value_are_refused_not_guessed(client, identity_providers):
    UserFactory(username="one", hpr_number="565501872")
    UserFactory(username="two", hpr_number="565501872")
    provider_login(client, "hpr-level4")
    assert "_auth_user_id" not in client.session
    assert refusals() == ["helseid: several_matching_users"]


def test_an_inactive_user_is_refused(client, identity_providers, kari):
    kari.is_active = False
    kari.save()
    provider_login(client, "hpr-level4")
    assert "_auth_user_id" not in client.session
    assert refusals() == ["helseid: user_inactive"]


def test_an_unverified_email_links_nobody(client, identity_providers, settings):
    settings.OIDC_PROVIDERS = (identity_providers.entra(link_claim="email"),)
    UserFactory(username="ola", email="ola.mfa@sykehus.example")
    provider_login(client, "entra-mfa", provider="entra")
    assert "_auth_user_id" not in client.session
    assert refusals() == ["entra: email_not_verified"]


def test_the_previous_signing_key_still_works_during_a_rotation(client, identity_providers, kari, settings):
    settings.OIDC_PROVIDERS = (identity_providers.helseid(key_id="rp-2025"),)
    provider_login(client, "hpr-level4")
    assert client.get(reverse("home")).context["user"] == kari


def test_the_security_level_claim_decides_the_assurance(identity_providers):
    helseid = identity_providers.helseid()
    assert helseid.assurance_met({LEVEL_CLAIM: "4"}) is True
    assert helseid.assurance_met({LEVEL_CLAIM: "3"}) is False
    assert helseid.assurance_met({}) is False
    entra = identity_providers.entra()
    assert entra.assurance_met({"amr": ["pwd", "mfa"]}) is True
    assert entra.assurance_met({"amr": ["pwd"]}) is False


# --- Failure modes ------------------------------------------------------------------------------------------


def test_a_provider_that_is_down_is_named_on_the_login_page_and_password_login_still_works(client, settings, db):
    from tests.oidc import TestProvider

    down = TestProvider.__new__(TestProvider)
    down.issuer, down.client_keys_file = "http://127.0.0.1:9", ""
    settings.OIDC_PROVIDERS = (down.entra(),)
    response = client.post(reverse("oidc_login", args=["entra"]))
    assert response["Location"] == reverse("login")
    page = client.get(reverse("login")).content.decode()
    assert "Microsoft Entra ID is not answering right now, or the connection to it is not set up correctly." in page
    UserFactory(username="breakglass", password="a-long-enough-password-1")
    response = client.post(reverse("login"), {"username": "breakglass", "password": "a-long-enough-password-1"})
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_a_misconfigured_issuer_is_named_on_the_login_page(client, identity_providers, settings):
    settings.OIDC_PROVIDERS = (identity_providers.entra(issuer=identity_providers.issuer + "/wrong"),)
    response = client.post(reverse("oidc_login", args=["entra"]))
    assert response["Location"] == reverse("login")
    assert "is not answering right now" in client.get(reverse("login")).content.decode()


def test_a_client_key_the_provider_does_not_know_is_refused_there(client, identity_providers, settings, tmp_path):
    from tests.oidc import _rsa

    unknown = tmp_path / "unknown.json"
    unknown.write_text(__import__("json").dumps(_rsa("rp-unknown").as_dict(private=True)))
    settings.OIDC_PROVIDERS = (identity_providers.helseid(private_key_file=str(unknown), key_id=""),)
    response = client.post(reverse("oidc_login", args=["helseid"]))
    assert response["Location"] == reverse("login")
    assert "is not answering right now, or the connection to it is not set up correctly" in (
        client.get(reverse("login")).content.decode()
    )


def test_a_tampered_state_is_refused_and_recorded(client, identity_providers, kari):
    callback = log_in_at_provider(start_login(client), "hpr-level4", APP)
    parts = urlsplit(callback)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query["state"] = query["state"][:-2] + "xx"
    response = client.get(parts.path, query)
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert refusals() == ["helseid: state_mismatch"]
    assert "could not be completed, and you are not logged in" in client.get(reverse("login")).content.decode()


def test_an_error_from_the_provider_is_refused_and_recorded(client, identity_providers):
    start_login(client)
    state = next(key for key in client.session.keys() if key.startswith("_state_helseid_")).removeprefix(
        "_state_helseid_"
    )
    response = client.get(reverse("oidc_callback", args=["helseid"]), {"error": "access_denied", "state": state})
    assert response["Location"] == reverse("login")
    assert refusals() == ["helseid: provider_error"]


def _resigned(provider, change):
    """Let the real token response through, with its ID token changed by `change(claims)` and signed again."""
    from authlib.integrations.requests_client import OAuth2Session

    original = OAuth2Session.fetch_token

    def fetch_token(self, *args, **kwargs):
        token = original(self, *args, **kwargs)
        claims = provider.id_token_claims(token["id_token"])
        key = change(claims)
        token["id_token"] = provider.sign_id_token(claims, key=key)
        return token

    return fetch_token


def _wrong_key(claims):
    from tests.oidc import _rsa

    return _rsa("op-signing-1")  # same key id as the provider's, another key: a forged signature


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda claims: claims.update(nonce="tampered"), "id_token_invalid_nonce"),
        (lambda claims: claims.update(exp=claims["iat"] - 600, iat=claims["iat"] - 1200), "id_token_expired"),
        (lambda claims: claims.update(aud="another-client"), "id_token_invalid_aud"),
        (lambda claims: claims.update(aud="another-client", azp="helseid-test"), "id_token_invalid_aud"),
        (lambda claims: claims.update(iat=claims["iat"] + 600, exp=claims["exp"] + 600), "id_token_invalid_iat"),
        (lambda claims: claims.update(iss="http://evil.example"), "id_token_invalid_iss"),
        (_wrong_key, "id_token_bad_signature"),
    ],
    ids=["nonce", "expired", "audience", "audience-with-our-azp", "issued-in-the-future", "issuer", "signature"],
)
def test_a_bad_id_token_is_refused_and_recorded(client, identity_providers, kari, monkeypatch, change, reason):
    from authlib.integrations.requests_client import OAuth2Session

    monkeypatch.setattr(OAuth2Session, "fetch_token", _resigned(identity_providers, change))
    response = provider_login(client, "hpr-level4")
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert not ExternalIdentity.objects.exists()
    assert refusals() == [f"helseid: {reason}"]


def test_clock_skew_within_the_allowance_is_accepted(client, identity_providers, kari, monkeypatch, settings):
    from authlib.integrations.requests_client import OAuth2Session

    settings.OIDC_CLOCK_SKEW_SECONDS = 60
    monkeypatch.setattr(
        OAuth2Session,
        "fetch_token",
        _resigned(identity_providers, lambda claims: claims.update(iat=claims["iat"] + 30)),
    )
    provider_login(client, "hpr-level4")
    assert client.get(reverse("home")).context["user"] == kari


# --- Logout -------------------------------------------------------------------------------------------------


def test_logout_after_a_provider_login_ends_the_session_here_and_at_the_provider(client, identity_providers, kari):
    provider_login(client, "hpr-level4")
    response = client.post(reverse("logout"))
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == identity_providers.issuer
    assert location.path == "/session/end"
    assert query["client_id"] == ["helseid-test"]
    assert query["post_logout_redirect_uri"] == [f"{APP}{reverse('login')}"]
    assert "id_token_hint" not in query
    assert "_auth_user_id" not in client.session


def test_logout_after_a_password_login_stays_local(client, identity_providers, kari):
    client.force_login(kari)
    assert client.post(reverse("logout"))["Location"] == reverse("login")


# --- Nothing secret is kept ---------------------------------------------------------------------------------


def _everything_stored() -> str:
    """Every value of every row of every table (sessions decoded), as one text."""
    from django.apps import apps
    from django.contrib.sessions.models import Session

    parts = []
    for model in apps.get_models():
        for row in model.objects.values_list():
            parts.append(repr(row))
    parts.extend(repr(session.get_decoded()) for session in Session.objects.all())
    return "\n".join(parts)


def test_no_national_id_and_no_token_reaches_the_database_or_the_logs(client, identity_providers, kari, caplog):
    import logging

    from authlib.integrations.requests_client import OAuth2Session

    from tests.oidc import PID

    tokens = []
    original = OAuth2Session.fetch_token

    def keep(self, *args, **kwargs):
        token = original(self, *args, **kwargs)
        tokens.append(token)
        return token

    caplog.set_level(logging.DEBUG)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OAuth2Session, "fetch_token", keep)
        provider_login(client, "hpr-level4")
        client.get(reverse("home"))
        client.post(reverse("logout"))
    (token,) = tokens
    assert identity_providers.id_token_claims(token["id_token"])["helseid://claims/identity/pid"] == PID
    secrets = [PID, token["id_token"], token["access_token"], token["id_token"].split(".")[1]]
    stored = _everything_stored()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert ExternalIdentity.objects.get().user == kari
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged


# --- Administration -----------------------------------------------------------------------------------------


def test_administrators_see_and_remove_linked_identities(client, identity_providers, kari, administrator):
    provider_login(client, "hpr-level4")
    identity = ExternalIdentity.objects.get()
    client.force_login(administrator)
    user_page = client.get(reverse("admin:accounts_user_change", args=[kari.pk])).content.decode()
    assert "hpr-level4" in user_page
    listing = client.get(reverse("admin:accounts_externalidentity_changelist"))
    assert listing.status_code == 200 and "hpr-level4" in listing.content.decode()
    response = client.post(reverse("admin:accounts_externalidentity_delete", args=[identity.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not ExternalIdentity.objects.exists()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXTERNAL_IDENTITY_REMOVED)
    assert (event.user, event.actor) == (kari, administrator)


def test_curators_cannot_see_linked_identities(client, curator):
    client.force_login(curator)
    assert client.get(reverse("admin:accounts_externalidentity_changelist")).status_code == 403


def test_pages_let_forms_send_the_browser_on_to_the_providers(client, identity_providers):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if part.strip().startswith("form-action"))
    assert form_action.split()[1:] == ["'self'", identity_providers.issuer]
