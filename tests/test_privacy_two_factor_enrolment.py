"""Enrolment of the authenticator app on first log-in when two-factor login is required."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacy.models import SecurityEvent
from tests.factories import authenticator_for, login, totp_now

SETUP = reverse("privacy:two_factor_setup")
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def english(client):
    """The assertions read English texts; the site's default language is Norwegian."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def two_factor_required(settings):
    settings.REQUIRE_2FA = True


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_first_request_after_password_login_goes_to_enrolment(client, clinician_a):
    login(client, clinician_a)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2F"


def test_enrolment_page_shows_inline_svg_qr_code_and_the_secret_as_text(client, clinician_a):
    login(client, clinician_a)
    response = client.get(SETUP)
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=clinician_a)
    assert not device.confirmed
    assert re.search(r'<svg class="qr-code" role="img"[^>]* xmlns="http://www.w3.org/2000/svg"><title>', html)
    assert '<path d="M' in html
    assert "<title>" in html and "<?xml" not in html
    assert "<img" not in html.split('id="main"')[1]  # no image from elsewhere
    secret = response.context["secret"].replace(" ", "")
    assert secret in html.replace(" ", "")
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    assert "no-store" in response["Cache-Control"]


def test_reloading_the_enrolment_page_keeps_the_same_secret(client, clinician_a):
    login(client, clinician_a)
    first = client.get(SETUP).context["secret"]
    second = client.get(SETUP).context["secret"]
    assert first == second
    assert TOTPDevice.objects.filter(user=clinician_a).count() == 1


def test_wrong_code_does_not_confirm_the_authenticator(client, clinician_a, clock):
    login(client, clinician_a)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=clinician_a)
    wrong = f"{(int(totp_now(device)) + 1) % 1000000:06d}"
    response = client.post(SETUP, {"code": wrong})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("home")).status_code == 302


def test_right_code_confirms_shows_ten_recovery_codes_once_and_opens_the_site(client, clinician_a, clock):
    login(client, clinician_a)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=clinician_a)
    response = client.post(SETUP, {"code": totp_now(device), "next": "/"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in response.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    stored = set(StaticToken.objects.filter(device__user=clinician_a).values_list("token", flat=True))
    assert stored == {code.replace("-", "") for code in codes}
    assert client.get(reverse("home")).status_code == 200
    kinds = list(SecurityEvent.objects.filter(user=clinician_a).values_list("kind", flat=True))
    assert sorted(kinds) == sorted(
        [SecurityEvent.Kind.TWO_FACTOR_ENROLLED, SecurityEvent.Kind.RECOVERY_CODES_GENERATED]
    )
    # The codes are not kept anywhere to be shown again.
    assert not any(code in str(dict(client.session)) for code in codes)


def test_person_with_an_authenticator_cannot_enrol_again_with_the_password_alone(client, clinician_a):
    authenticator_for(clinician_a)
    login(client, clinician_a)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("privacy:two_factor_verify"))
    response = client.post(SETUP, {"code": "123456"})
    assert response["Location"].startswith(reverse("privacy:two_factor_verify"))
    assert TOTPDevice.objects.filter(user=clinician_a).count() == 1


def test_verified_person_can_move_to_a_new_phone_which_replaces_the_old_authenticator(client, clinician_a, clock):
    old = authenticator_for(clinician_a)
    login(client, clinician_a)
    client.post(reverse("privacy:two_factor_verify"), {"code": totp_now(old)})
    response = client.get(SETUP)
    assert response.status_code == 200 and response.context["replacing"]
    new = TOTPDevice.objects.get(user=clinician_a, confirmed=False)
    clock.shift(datetime.timedelta(seconds=30))
    response = client.post(SETUP, {"code": totp_now(new)})
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    assert list(TOTPDevice.objects.filter(user=clinician_a).values_list("pk", flat=True)) == [new.pk]


def test_confirming_a_device_that_is_already_confirmed_is_a_wrong_code_not_an_error(clinician_a, clock):
    from privacy.services import authenticator_for_enrolment, two_factor_enrol

    device = authenticator_for_enrolment(user=clinician_a)
    assert two_factor_enrol(user=clinician_a, device=device, code=totp_now(device)) is not None
    clock.shift(datetime.timedelta(seconds=30))
    assert two_factor_enrol(user=clinician_a, device=device, code=totp_now(device)) is None
