"""Access-log action names have their own translation context, so a "Delete" button is not called "Sletting"."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from referrals.models import AccessLogEntry
from tests.factories import PatientContactFactory, login

CONTEXT = "access log action"
ACTIONS_SHARING_BUTTON_WORDS = ["View", "List", "Create", "Update", "Delete", "Export", "Print", "Import"]


@pytest.fixture
def norwegian_words(monkeypatch):
    """A Norwegian catalogue where the noun (log) and the verb (button) differ, as they must."""
    catalogue = trans_real.translation("nb")._catalog._catalogs[0]
    monkeypatch.setitem(catalogue, "Delete", "Slett")
    monkeypatch.setitem(catalogue, "Print", "Skriv ut")
    monkeypatch.setitem(catalogue, f"{CONTEXT}\x04Delete", "Sletting")
    monkeypatch.setitem(catalogue, f"{CONTEXT}\x04Print", "Utskrift")


def test_action_labels_are_translated_in_the_access_log_context(norwegian_words):
    with translation.override("nb"):
        assert str(AccessLogEntry.Action.DELETE.label) == "Sletting"
        assert str(AccessLogEntry.Action.PRINT.label) == "Utskrift"
        assert AccessLogEntry(action="delete").get_action_display() == "Sletting"


def test_every_action_label_that_is_also_a_button_word_has_the_context(norwegian_words, monkeypatch):
    catalogue = trans_real.translation("nb")._catalog._catalogs[0]
    for word in ACTIONS_SHARING_BUTTON_WORDS:
        monkeypatch.setitem(catalogue, f"{CONTEXT}\x04{word}", f"log:{word}")
    labels = {choice.label for choice in AccessLogEntry.Action}
    with translation.override("nb"):
        shown = {str(label) for label in labels}
    assert {f"log:{word}" for word in ACTIONS_SHARING_BUTTON_WORDS} <= shown


def test_the_delete_link_on_a_contact_uses_the_button_word(client, clinician_a, unit_a, settings, norwegian_words):
    settings.LANGUAGE_CODE = "nb"
    contact = PatientContactFactory(unit=unit_a)
    html = login(client, clinician_a).get(reverse("referrals:contact_detail", args=[contact.pk])).content.decode()
    assert ">Slett</a>" in html
    assert "Sletting" not in html
