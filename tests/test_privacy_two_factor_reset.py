"""An administrator resets a person's second factor from the user list; the reset is in the security log."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacy.models import SecurityEvent
from privacy.services import two_factor_reset
from tests.factories import authenticator_for, login

CHANGELIST = reverse("admin:accounts_user_changelist")


@pytest.fixture(autouse=True)
def english(client):
    """The assertions read English texts; the site's default language is Norwegian."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_admin_action_resets_the_second_factor_through_the_service_and_logs_it(client, administrator, clinician_a):
    authenticator_for(clinician_a)
    login(client, administrator)
    response = client.post(
        CHANGELIST, {"action": "reset_two_factor", "_selected_action": [clinician_a.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "Two-factor login reset for 1 user" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=clinician_a).exists()
    assert not StaticDevice.objects.filter(user=clinician_a).exists()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.TWO_FACTOR_RESET)
    assert (event.user, event.username, event.actor, event.actor_name) == (
        clinician_a,
        clinician_a.username,
        administrator,
        administrator.username,
    )
    assert event.client_address == "127.0.0.1"


def test_reset_is_visible_to_administrators_in_the_security_log(client, administrator, clinician_a):
    two_factor_reset(user=clinician_a, actor=administrator)
    login(client, administrator)
    response = client.get(reverse("admin:privacy_securityevent_changelist"))
    assert response.status_code == 200
    assert clinician_a.username in response.content.decode()


def test_curators_do_not_see_the_security_log(client, curator):
    login(client, curator)
    assert client.get(reverse("admin:privacy_securityevent_changelist")).status_code == 403


def test_security_log_cannot_be_changed_or_deleted(administrator, clinician_a, client):
    two_factor_reset(user=clinician_a, actor=administrator)
    event = SecurityEvent.objects.get()
    event.detail = "changed"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    login(client, administrator)
    change_url = reverse("admin:privacy_securityevent_change", args=[event.pk])
    assert client.post(change_url, {"detail": "x"}).status_code == 403
    delete_url = reverse("admin:privacy_securityevent_delete", args=[event.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert SecurityEvent.objects.get().detail != "changed"


def test_device_secrets_are_not_shown_in_the_admin(client, administrator, clinician_a):
    authenticator_for(clinician_a)
    login(client, administrator)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404
