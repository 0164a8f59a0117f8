"""Error pages in the site's look, in the user's language, saying what happened and what to do (issue 17, 10)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PatientContactFactory, login

pytestmark = pytest.mark.django_db


def assert_site_error_page(response, status: int, heading: str):
    page = response.content.decode()
    assert response.status_code == status
    assert 'class="site-header"' in page and "app.css" in page
    assert f"Error {status}" in page
    assert f'<h1 class="ds-heading" data-size="md" id="page-heading">{heading}</h1>' in page
    assert "What you can do" in page
    assert reverse("home") in page
    return page


def test_a_quality_analyst_opening_a_contact_gets_the_site_403_page(client, analyst, unit_a, clinician_a):
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a)
    login(client, analyst)
    response = client.get(reverse("referrals:contact_detail", args=[contact.pk]))
    page = assert_site_error_page(response, 403, "You do not have access to this page")
    assert "quality analysts see aggregate reports" in page
    assert "ask your administrator" in page
    assert "403 Forbidden" not in page


def test_an_unknown_page_gets_the_site_404_page(client, clinician_a):
    login(client, clinician_a)
    page = assert_site_error_page(client.get("/no-such-page/"), 404, "Page not found")
    assert reverse("registry:search") in page


def test_a_contact_of_another_unit_gets_the_404_page_without_saying_it_exists(client, clinician_b, unit_a, clinician_a):
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a)
    login(client, clinician_b)
    response = client.get(reverse("referrals:contact_detail", args=[contact.pk]))
    assert_site_error_page(response, 404, "Page not found")


def test_a_bad_request_gets_the_site_400_page(client):
    page = assert_site_error_page(client.get("/", HTTP_HOST="unknown.example"), 400, "The request could not be read")
    assert "nothing was done or changed" in page


def test_a_server_error_gets_the_site_500_page_with_the_users_menu(client, clinician_a, monkeypatch):
    import accounts.access

    def broken(user):
        raise RuntimeError("a bug")

    monkeypatch.setattr(accounts.access, "led_unit_list", broken)  # the home page calls it
    client.raise_request_exception = False
    login(client, clinician_a)
    page = assert_site_error_page(client.get(reverse("home")), 500, "Something went wrong")
    assert "tell your administrator what you were doing and when" in page
    assert clinician_a.display_name in page


def test_the_500_page_still_answers_when_rendering_with_the_request_fails(rf, monkeypatch):
    import config.views

    calls = []

    def failing_render(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("database down")

    monkeypatch.setattr(config.views, "render", failing_render)
    response = config.views.server_error(rf.get("/"))
    assert calls and response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_an_expired_form_gets_the_site_403_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    page = assert_site_error_page(response, 403, "The form had expired")
    assert "reload the page and send the form again" in page


def test_the_lockout_page_is_in_the_site_look(client, clinician_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": clinician_a.username, "password": "wrong-password-1"})
    page = response.content.decode()
    assert response.status_code == 429
    assert 'class="site-header"' in page and "Too many failed log-in attempts" in page


@pytest.mark.parametrize(("language", "lang_attribute"), [("nb", 'lang="nb"'), ("en", 'lang="en"')])
def test_error_pages_come_in_the_users_language(client, clinician_a, language, lang_attribute, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    login(client, clinician_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert lang_attribute in response.content.decode()
