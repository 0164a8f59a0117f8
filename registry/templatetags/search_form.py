"""The search form's choice filters, rendered once per process for each value they show.

Every uncached search renders the whole form, and most of its controls (county, municipality, weekdays, time of
day, the check boxes, the order) take one of a few values, usually the empty one: through the template engine they
were about a tenth of a search's time. Their HTML depends only on the field, its submitted value and the language,
so it is kept here and rendered again only for a value not seen before. Only fields whose choices never change
while the process runs may use this (reference data and fixed lists, not the fellowships, which curators edit), and
a field with an error is always rendered afresh (its message may quote what was typed).
"""

from django import template
from django.template.loader import render_to_string
from django.utils.translation import get_language

from core.memo import Kept

register = template.Library()

# The weekday combinations, 357 municipalities and the rest, in each language, stay far below this.
MAX_KEPT = 5000
_kept = Kept(MAX_KEPT)


@register.simple_tag
def choice_filter(field, template_name: str = "_field.html"):
    """`{% include template_name with field=field %}`, kept for the field's value (see the module docstring)."""
    if field.errors:
        return render_to_string(template_name, {"field": field})
    data = field.form.data
    submitted = tuple(data.getlist(field.html_name)) if hasattr(data, "getlist") else (data.get(field.html_name),)
    key = (template_name, field.auto_id, field.html_name, get_language(), field.form.is_bound, submitted)
    return _kept.get_or_make(key, lambda: render_to_string(template_name, {"field": field}))
