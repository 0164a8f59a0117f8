"""Forms in front of services: a service's ValidationError shown where the user can act on it."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core.periods import BadMonth, format_month, parse_month


class ServiceErrorsMixin:
    """`form.add_service_errors(error)`: each of a service's field errors beside the form field of that name, the
    rest (and errors without fields) at the top of the form.

    `service_field_names` maps a service's field name to the form's, where they differ (a service's `contacted_at`
    is the form's `contacted_on`)."""

    service_field_names: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            name = self.service_field_names.get(field, field)
            self.add_error(name if name in self.fields else None, messages)


class MonthField(forms.CharField):
    """A calendar month typed or picked as YYYY-MM; cleans to the month's first day.

    Only months from 2000 to 2100 (core.periods.parse_month): a month such as 9999-12 has no following month to
    end a period with, and is a typing error or an attack, never a report month."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "YYYY-MM"})

    def prepare_value(self, value):
        return format_month(value) if hasattr(value, "year") else value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_month(value)
        except BadMonth as error:
            raise forms.ValidationError(
                _("Write the month as YYYY-MM, for example 2026-10."), code="invalid_month"
            ) from error


class ListedChoiceIterator(ModelChoiceIterator):
    """A model field's choices read in one plain query. Django's own iterator reads them through
    `QuerySet.iterator()`, which on PostgreSQL opens a server-side cursor: DECLARE, FETCH and CLOSE, three round trips
    (twice the time) for a list of ten fellowships or units. Use it (`iterator = ListedChoiceIterator`) where the
    choices are few."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for instance in self.queryset.all():
            yield self.choice(instance)


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator


class ListedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = ListedChoiceIterator


class PlainTextInput(forms.TextInput):
    """A text input rendered in Python, with the same markup as Django's template (django/forms/widgets/input.html).

    The search form renders its two text inputs on every uncached search, and Django's way (a template that
    includes another for the attributes) was about a sixth of such a search's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"']
        if widget["value"] is not None:
            parts.append(f' value="{conditional_escape(str(widget["value"]))}"')
        for attribute, attribute_value in widget["attrs"].items():
            if attribute_value is True:
                parts.append(f" {attribute}")
            elif attribute_value is not False:
                parts.append(f' {attribute}="{conditional_escape(str(attribute_value))}"')
        return mark_safe("".join(parts) + ">")  # noqa: S308 - every value escaped above
