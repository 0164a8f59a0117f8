"""The base template: language, skip link, menu, language switch, messages, and no inline code (CSP)."""

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template.loader import render_to_string
from django.urls import reverse

from config import context_processors, site
from tests.factories import login

INLINE_CODE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\sstyle=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"\son[a-z]+=", re.I), "on* event handler"),
]

PAGES = [
    ("anonymous", "/accounts/login/"),
    ("anonymous", "/accounts/password/reset/"),
    ("anonymous", "/accounts/password/reset/done/"),
    ("anonymous", "/accounts/password/reset/complete/"),
    ("clinician_a", "/"),
    ("administrator", "/"),
    ("clinician_a", "/accounts/password/change/"),
    ("clinician_a", "/accounts/password/change/done/"),
]


@pytest.mark.parametrize(("persona", "path"), PAGES)
def test_page_has_no_inline_script_style_or_handler(client, request, persona, path):
    if persona != "anonymous":
        login(client, request.getfixturevalue(persona))
    page = client.get(path).content.decode()
    for pattern, what in INLINE_CODE:
        assert not pattern.search(page), f"{path} has an {what}, which the Content-Security-Policy blocks"


@pytest.mark.parametrize(("persona", "path"), PAGES)
def test_page_has_lang_skip_link_and_one_main_heading(client, request, settings, persona, path):
    if persona != "anonymous":
        login(client, request.getfixturevalue(persona))
    page = client.get(path).content.decode()
    assert f'<html lang="{settings.LANGUAGE_CODE}"' in page
    assert 'class="ds-skip-link" href="#main"' in page
    assert 'id="main"' in page
    assert len(re.findall(r"<h1\b", page)) == 1


def test_norwegian_is_the_default_language(client, db, settings):
    # The product's default; the test settings switch to English source strings (tests/test_i18n.py).
    settings.LANGUAGE_CODE = "nb"
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="nb"' in page
    assert "Brukernavn" in page  # Django's own Norwegian label of the user name field


def test_switching_to_english_renders_english(client, db, settings):
    settings.LANGUAGE_CODE = "nb"
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")

    page = client.get(reverse("login")).content.decode()

    assert '<html lang="en"' in page
    assert "Username" in page
    assert "Brukernavn" not in page
    assert 'name="language" value="nb"' in page  # the switch now offers Norwegian


def test_language_switch_keeps_the_user_on_the_same_page(client, clinician_a):
    login(client, clinician_a)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/password/change/"})
    assert response["Location"] == "/accounts/password/change/"


def test_logged_in_menu_has_a_logout_form_not_a_link(client, clinician_a):
    login(client, clinician_a)
    page = client.get(reverse("home")).content.decode()
    assert f'method="post" action="{reverse("logout")}"' in page
    assert f'href="{reverse("logout")}"' not in page


def test_administration_link_only_for_staff(client, clinician_a, curator):
    login(client, clinician_a)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()
    login(client, curator)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()


def test_messages_are_shown_with_the_right_alert(rf, clinician_a):
    request = rf.get("/")
    request.user = clinician_a
    queued = [Message(constants.ERROR, "Something went wrong"), Message(constants.SUCCESS, "Saved")]

    page = render_to_string("base.html", {"messages": queued}, request)

    assert '<div class="ds-alert" data-color="danger" role="alert">Something went wrong</div>' in page
    assert '<div class="ds-alert" data-color="success" role="status">Saved</div>' in page


def test_demo_banner_only_in_demo_mode(client, db, settings):
    settings.DEMO_MODE = True
    assert "demo-banner" in client.get(reverse("login")).content.decode()
    settings.DEMO_MODE = False
    assert "demo-banner" not in client.get(reverse("login")).content.decode()


@pytest.fixture
def fake_navigation(monkeypatch):
    """One app's menu entries in place of the real apps' (config/site.py)."""

    def nav_items(request):
        return [{"url": "/fake/", "label": "Fake section"}] if request.user.is_authenticated else []

    monkeypatch.setattr(site, "MENU", [nav_items])


def test_menu_shows_entries_of_every_app_navigation_module(client, clinician_a, fake_navigation):
    login(client, clinician_a)
    page = client.get(reverse("home")).content.decode()
    assert '<a class="site-menu__link" href="/fake/">Fake section</a>' in page


def test_menu_marks_the_current_section(rf, clinician_a, fake_navigation):
    request = rf.get("/fake/42/")
    request.user = clinician_a
    assert context_processors.nav_items(request) == [{"url": "/fake/", "label": "Fake section", "current": True}]


def test_menu_entry_of_another_section_is_not_current(rf, clinician_a, fake_navigation):
    request = rf.get("/fakeother/")
    request.user = clinician_a
    assert context_processors.nav_items(request)[0]["current"] is False
