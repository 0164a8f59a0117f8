"""Forms of the clinician screens: parsing, never echoing identity numbers, service data."""

import datetime

import pytest
import time_machine
from django.http import QueryDict

from accounts.models import Unit
from referrals.forms import ContactFilterForm, ContactForm, PatientLookupForm
from referrals.pseudonyms import pseudonym_for
from tests.referrals_helpers import NOW, OSLO, VALID_FNR, contact_form_data


def bound(data: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_contact_form_turns_a_typed_date_of_today_into_now_and_hashes_the_normalised_reference(unit_a):
    form = ContactForm(bound(contact_form_data(unit_a, patient_reference=" ep/2026.0042 ")), units=Unit.objects.all())
    assert form.is_valid(), form.errors
    data = form.to_service_data()
    assert data["contacted_at"] == NOW
    assert form.pseudonym == pseudonym_for("EP-2026-0042")


def test_contact_form_for_a_past_date_uses_noon(unit_a):
    form = ContactForm(bound(contact_form_data(unit_a, contacted_on="2026-10-01")), units=Unit.objects.all())
    assert form.is_valid(), form.errors
    assert form.to_service_data()["contacted_at"] == datetime.datetime(2026, 10, 1, 12, 0, tzinfo=OSLO)


def test_contact_form_refuses_a_national_identity_number_and_does_not_show_it_again(unit_a):
    form = ContactForm(bound(contact_form_data(unit_a, patient_reference=VALID_FNR)), units=Unit.objects.all())
    assert not form.is_valid()
    assert "national identity number" in str(form.errors["patient_reference"])
    assert not form["patient_reference"].value()


def test_lookup_form_forgets_a_refused_identity_number(unit_a):
    form = PatientLookupForm(bound({"unit": str(unit_a.pk), "patient_reference": VALID_FNR}), units=Unit.objects.all())
    assert not form.is_valid()
    assert form["patient_reference"].value() == ""


def test_contact_form_requires_an_intensity(unit_a):
    data = contact_form_data(unit_a)
    del data["intensity"]
    form = ContactForm(bound(data), units=Unit.objects.all())
    assert not form.is_valid() and "intensity" in form.errors


@pytest.mark.parametrize(("value", "expected"), [("2026-03", datetime.date(2026, 3, 1)), ("", None)])
def test_filter_form_reads_months(unit_a, value, expected):
    form = ContactFilterForm(bound({"month": value}), units=Unit.objects.all(), clinicians=Unit.objects.none())
    assert form.valid_values().get("month") == expected


def test_filter_form_leaves_out_only_the_bad_filter(unit_a):
    form = ContactFilterForm(
        bound({"month": "2026/3", "intensity": "2"}), units=Unit.objects.all(), clinicians=Unit.objects.none()
    )
    values = form.valid_values()
    assert "month" not in values and values["intensity"] == "2"
    assert "YYYY-MM" in str(form.errors["month"])


def test_fellowship_choices_show_the_name_with_the_usual_short_form(unit_a):
    from tests.factories import FellowshipFactory

    FellowshipFactory(code="AA", name="Anonyme Alkoholikere")
    FellowshipFactory(code="Al-Anon", name="Al-Anon familiegrupper")
    FellowshipFactory(code="OTHER-12", name="Annet tolvtrinnsfellesskap")
    FellowshipFactory(code="PEER", name="Annen likepersonstøtte")
    form = ContactForm(units=Unit.objects.filter(pk=unit_a.pk))
    labels = {label for _value, label in form.fields["fellowships"].choices}
    assert {
        "Anonyme Alkoholikere (AA)",
        "Al-Anon familiegrupper",
        "Other 12-step fellowship",  # the reference names are descriptions, shown in the user's language
        "Other peer support",
    } <= labels
