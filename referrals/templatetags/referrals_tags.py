"""Template helpers of the referrals app."""

from django import template
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
