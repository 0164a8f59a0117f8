"""Menu entry of the meeting registry: the search, for everyone who may open it."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def nav_items(request) -> list[dict]:
    if not (settings.REGISTRY_PUBLIC or request.user.is_authenticated):
        return []
    return [{"url": reverse("registry:search"), "label": _("Meetings")}]
