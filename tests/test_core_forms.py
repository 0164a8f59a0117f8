"""A service's ValidationError shown on the form in front of it, and the text input rendered in Python
(core/forms.py)."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from core.forms import PlainTextInput, ServiceErrorsMixin


class DateForm(ServiceErrorsMixin, forms.Form):
    service_field_names = {"contacted_at": "contacted_on"}
    contacted_on = forms.DateField()
    notes = forms.CharField(required=False)


def valid_form() -> DateForm:
    form = DateForm({"contacted_on": "2026-10-01"})
    assert form.is_valid()
    return form


def test_field_errors_land_beside_their_fields_under_the_forms_names():
    form = valid_form()
    form.add_service_errors(ValidationError({"contacted_at": "Not in the future.", "notes": "No names."}))
    assert form.errors == {"contacted_on": ["Not in the future."], "notes": ["No names."]}


def test_errors_without_a_matching_field_land_at_the_top():
    form = valid_form()
    form.add_service_errors(ValidationError({"version": "Someone else saved it first."}))
    form_two = valid_form()
    form_two.add_service_errors(ValidationError("The contact is already deleted."))
    assert form.non_field_errors() == ["Someone else saved it first."]
    assert form_two.non_field_errors() == ["The contact is already deleted."]


@pytest.mark.parametrize(
    ("attrs", "value", "extra"),
    [
        (None, None, None),
        ({"type": "search", "placeholder": gettext_lazy("Search")}, "AA Grünerløkka", None),
        ({"inputmode": "numeric", "size": 4}, '0150" onfocus="alert(1)', {"aria-invalid": "true"}),
        ({"required": True, "disabled": False, "data-x": None}, "<b>&amp;</b>", {"class": "ds-input"}),
        ({"title": mark_safe("a &amp; b")}, 12, {"id": "id_q", "aria-describedby": "id_q_helptext id_q_error"}),
        ({}, "", None),
    ],
)
def test_the_plain_text_input_renders_exactly_as_djangos_template_does(attrs, value, extra):
    with override("nb"):
        expected = forms.TextInput(attrs).render("q", value, extra)
        assert PlainTextInput(attrs).render("q", value, extra) == expected
