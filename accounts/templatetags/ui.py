"""Form rendering helpers shared by every app: Designsystemet markup for Django form fields.

Use `{% include "_field.html" with field=form.name %}` for a whole field (label, help,
input, errors), or `{{ field|ds_widget }}` for the input alone.
"""

from django import template
from django.forms import BoundField, CheckboxSelectMultiple, RadioSelect

register = template.Library()


@register.filter
def ds_widget(field: BoundField):
    """The field's widget with Designsystemet's class and its help/error text linked for screen readers."""
    widget = field.field.widget
    classes = widget.attrs.get("class", "")
    attrs = {"class": f"{classes} ds-input".strip()} if "ds-input" not in classes else {}
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_helptext")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)


@register.filter
def error_anchor(field: BoundField) -> str:
    """The id an error summary links to: the input itself, or the first option of a radio or checkbox group."""
    if isinstance(field.field.widget, RadioSelect | CheckboxSelectMultiple):
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id


@register.filter
def marks_required(field: BoundField) -> bool:
    """Whether the field gets an asterisk: required, in a form that explains the asterisk (`required_marks`)."""
    return field.field.required and getattr(field.form, "required_marks", False)
