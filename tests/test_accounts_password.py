"""Password change and password reset by e-mail."""

import re

from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory, login

NEW_PASSWORD = "a-brand-new-passphrase"


def test_password_change_needs_the_old_password(client, clinician_a):
    login(client, clinician_a)
    response = client.post(
        reverse("password_change"),
        {"old_password": "not-my-password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert User.objects.get(pk=clinician_a.pk).check_password(PASSWORD)


def test_password_change_refuses_passwords_shorter_than_twelve_characters(client, clinician_a):
    login(client, clinician_a)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Short-pw-1", "new_password2": "Short-pw-1"},
    )
    assert response.status_code == 200
    assert "12" in response.content.decode()
    assert User.objects.get(pk=clinician_a.pk).check_password(PASSWORD)


def test_password_change_saves_the_new_password_and_keeps_the_user_logged_in(client, clinician_a):
    login(client, clinician_a)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("password_change_done")
    assert User.objects.get(pk=clinician_a.pk).check_password(NEW_PASSWORD)
    assert client.get(reverse("password_change_done")).status_code == 200


def test_password_reset_sends_a_link_that_sets_a_new_password(client, clinician_a):
    response = client.post(reverse("password_reset"), {"email": clinician_a.email})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [clinician_a.email]
    assert "Reset your password" in message.subject
    assert "\n" not in message.subject
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", message.body).group(1)

    set_password_page = client.get(link, follow=True)
    assert set_password_page.context["validlink"]
    response = client.post(
        set_password_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response["Location"] == reverse("password_reset_complete")
    assert User.objects.get(pk=clinician_a.pk).check_password(NEW_PASSWORD)


def test_password_reset_link_works_only_once(client, clinician_a):
    client.post(reverse("password_reset"), {"email": clinician_a.email})
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    set_password_page = client.get(link, follow=True)
    client.post(set_password_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.get(link, follow=True)

    assert not response.context["validlink"]
    assert "not valid any more" in response.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_reset_sends_nothing_to_a_deactivated_user(client, db):
    UserFactory(username="former", email="former@example.org", is_active=False)
    client.post(reverse("password_reset"), {"email": "former@example.org"})
    assert mail.outbox == []
