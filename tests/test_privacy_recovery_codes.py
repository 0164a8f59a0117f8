"""Two-factor settings: status, and new recovery codes that replace the old ones."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from privacy.models import SecurityEvent
from tests.factories import authenticator_for, login, totp_now

SETTINGS_PAGE = reverse("privacy:two_factor_settings")
REGENERATE = reverse("privacy:recovery_codes_regenerate")
VERIFY = reverse("privacy:two_factor_verify")


@pytest.fixture(autouse=True)
def english(client):
    """The assertions read English texts; the site's default language is Norwegian."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def two_factor_required(settings):
    settings.REQUIRE_2FA = True


@pytest.fixture
def verified_client(client, clinician_a):
    device = authenticator_for(clinician_a)
    login(client, clinician_a)
    # The whole test runs at the frozen time: a session made then would look expired at the real time.
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC), tick=False):
        assert client.post(VERIFY, {"code": totp_now(device)}).status_code == 302
        yield client


def test_settings_page_needs_the_second_factor(client, clinician_a):
    authenticator_for(clinician_a)
    login(client, clinician_a)
    assert client.get(SETTINGS_PAGE)["Location"].startswith(VERIFY)
    assert client.post(REGENERATE)["Location"].startswith(VERIFY)
    assert StaticToken.objects.filter(device__user=clinician_a).count() == 2


def test_settings_page_shows_how_many_recovery_codes_are_left(verified_client):
    response = verified_client.get(SETTINGS_PAGE)
    assert response.status_code == 200
    assert "2 unused recovery codes left" in response.content.decode()


def test_new_recovery_codes_replace_the_old_ones_and_are_shown_once(verified_client, clinician_a):
    response = verified_client.post(REGENERATE)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = response.context["codes"]
    assert len(codes) == 10
    stored = set(StaticToken.objects.filter(device__user=clinician_a).values_list("token", flat=True))
    assert stored == {code.replace("-", "") for code in codes}
    assert "abcde23456" not in stored
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.RECOVERY_CODES_GENERATED, user=clinician_a).exists()
    # Only a POST makes codes; a GET shows nothing.
    assert verified_client.get(REGENERATE).status_code == 405
    assert codes[0] not in verified_client.get(SETTINGS_PAGE).content.decode()


def test_person_without_authenticator_sees_how_to_set_it_up(client, settings, clinician_a):
    settings.REQUIRE_2FA = False
    login(client, clinician_a)
    response = client.get(SETTINGS_PAGE)
    assert response.status_code == 200
    assert reverse("privacy:two_factor_setup") in response.content.decode()
    assert client.post(REGENERATE).status_code == 302
    assert not StaticToken.objects.exists()
