"""Menu entries of the reports app."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from reports import access


def nav_items(request) -> list[dict]:
    if not request.user.is_authenticated:
        return []
    viewer = access.viewer_for(request)
    items = []
    report, compare = reverse("reports:report"), reverse("reports:compare")
    path = request.path
    if viewer.can_view_reports:
        # "current" is set here because the comparison shares the /reports/ prefix.
        items.append(
            {"url": report, "label": _("Reports"), "current": path.startswith(report) and not path.startswith(compare)}
        )
    if viewer.can_compare_units:
        items.append({"url": compare, "label": _("Compare units"), "current": path.startswith(compare)})
    return items
