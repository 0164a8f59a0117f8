"""Norwegian bokmål is the default language and its catalogue is complete; English is one click away."""

from pathlib import Path

import pytest
from django.conf import settings

import config.settings as product_settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "nb" / "LC_MESSAGES"


def test_product_default_language_is_norwegian_bokmal():
    assert product_settings.LANGUAGE_CODE == "nb"
    assert [code for code, _ in product_settings.LANGUAGES] == ["nb", "en"]


def test_norwegian_catalogue_is_compiled_and_complete():
    polib = pytest.importorskip("polib")
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} strings lack a Norwegian translation, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy translations, e.g. {fuzzy[:5]}"
    assert (LOCALE / "django.mo").stat().st_mtime >= (LOCALE / "django.po").stat().st_mtime - 1


@pytest.mark.django_db
def test_login_page_is_in_norwegian_by_default(client, settings):
    settings.LANGUAGE_CODE = "nb"
    response = client.get("/accounts/login/")
    body = response.content.decode()
    assert '<html lang="nb"' in body
    assert "Logg inn" in body


@pytest.mark.django_db
def test_language_switch_renders_english(client, settings):
    settings.LANGUAGE_CODE = "nb"
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, follow=True)
    body = response.content.decode()
    assert '<html lang="en"' in body
    assert "Log in" in body
