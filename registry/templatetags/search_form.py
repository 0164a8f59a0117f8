"""The search form's choice filters, rendered once per process for each value they show.

Every uncached search renders the whole form, and most of its controls (county, municipality, weekdays, time of
day, the check boxes, the order) take one of a few values, usually the empty one: through the template engine they
were about a tenth of a search's time. Their HTML depends only on the field, its submitted value and the language,
so it is kept here and rendered again only for a value not seen before. Only fields whose choices never change
while the process runs may use this (reference data and fixed lists, not the fellowships, which curators edit), and
a field with an error is always rendered afresh (its message may quote what was typed).
"""

import re
from collections.abc import Callable

from django import template
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from core.generations import is_private
from core.memo import Kept
from registry.changes import GENERATION

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


# The fields whose value is typed, not chosen: each search's own, put in the kept fields (`filter_fields`).
TYPED = ("q", "postal_code")
PLACEHOLDER = re.compile(r"__registry_typed_(q|postal_code)__")
# A form's fields are about 24 KB (the 357 municipalities among them): 400 sets of choices, about 10 MB, are far more
# than one registry generation sees (a weekday or two, a time of day) and keep each worker well within its memory.
MAX_KEPT_FIELDS = 400
_fields = Kept(MAX_KEPT_FIELDS)


def filter_fields(form, render: Callable[[], str]) -> str:
    """`render()`, the search form's fields (registry/_filter_fields.html), kept per process for what is chosen in
    its menus and check boxes, with what was typed (the free text, the postal code) put in for each search.

    The fields are the same for every search that chooses the same (a weekday or two, mostly) in the same language,
    under the same registry generation (the fellowship menu's options), so a new postal code or text need not render
    them again: that was a tenth of an uncached search (issue 15). Not kept: a form with an error (its messages may
    quote what was typed), and where this request has not read the generation or reads a private one."""
    token = GENERATION.read_in_this_request()
    if form.errors or token is None or is_private(token):
        return render()
    typed = {name: form[name].value() or "" for name in TYPED}
    chosen = tuple((name, tuple(form.data.getlist(form.add_prefix(name)))) for name in form.fields if name not in TYPED)
    key = (get_language(), token, form.prefix, form.is_bound, chosen, tuple(bool(text) for text in typed.values()))
    markup = _fields.get_or_make(key, lambda: _with_placeholders(form, typed, render))
    # In one pass, so that typed text that looks like a placeholder is left as it is.
    return PLACEHOLDER.sub(lambda match: str(conditional_escape(typed[match.group(1)])), markup)


def _with_placeholders(form, typed: dict[str, str], render: Callable[[], str]) -> str:
    """`render()` with a placeholder in place of each typed value (the form's data swapped while it renders)."""
    data = form.data
    form.data = data.copy()
    for name, text in typed.items():
        if text:
            form.data[form.add_prefix(name)] = f"__registry_typed_{name}__"
    try:
        return render()
    finally:
        form.data = data
