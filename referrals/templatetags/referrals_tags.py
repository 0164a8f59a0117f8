"""Template helpers of the referrals app."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from referrals.models import Intensity

register = template.Library()

INTENSITY_TITLES = {
    Intensity.NOT_DISCUSSED: _("Not discussed"),
    Intensity.INFORMATION: _("Information given"),
    Intensity.ACTIVELY_RECOMMENDED: _("Actively recommended"),
    Intensity.VOLUNTEER_CONTACT: _("Volunteer contact arranged"),
    Intensity.ATTENDED_DURING_TREATMENT: _("Attended during treatment"),
}


@register.filter
def intensity_title(value) -> str:
    """The short plain-language name of an intensity level (without its number)."""
    try:
        return str(INTENSITY_TITLES[int(value)])
    except (KeyError, TypeError, ValueError):
        return ""


_intensity_tags: dict = {}


@register.filter
def intensity_tag(value) -> str:
    """referrals/_intensity_tag.html for this level, rendered once per level and language: lists show it on every
    row, and an include per row was a tenth of the contact list's time."""
    key = (value, get_language())
    if key not in _intensity_tags:
        _intensity_tags[key] = render_to_string("referrals/_intensity_tag.html", {"value": value}).strip()
    return mark_safe(_intensity_tags[key])  # noqa: S308 - our own template's output
