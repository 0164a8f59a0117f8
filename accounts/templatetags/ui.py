"""Form rendering helpers shared by every app: Designsystemet markup for Django form fields.

Use `{% include "_field.html" with field=form.name %}` for a whole field (label, help,
input, errors), or `{{ field|ds_widget }}` for the input alone.
"""

from django import template
from django.forms import BoundField

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
