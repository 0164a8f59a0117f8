"""Admin pieces for the whole site (config/urls.py applies them once every app has registered its admins)."""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


class BoundedChangeList(ChangeList):
    """A date-hierarchy link for a year at the end of the calendar (`?at__year=9999`) makes Django compute the next
    year or month and overflow (a 500); it is a bad filter like any other, and the admin says so (`?e=1`)."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error


class ReadOnlyMixin:
    """Rows that the product writes itself (logs, reference data): shown in the admin, never added, edited or deleted
    there. Put it before the mixin that says who may see the rows."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def bound_date_filters(site) -> None:
    """Every list of the admin site, the third-party ones (axes, auditlog) included, refuses impossible dates."""
    for model_admin in site._registry.values():
        if model_admin.get_changelist(None) is ChangeList:
            model_admin.get_changelist = lambda request, **kwargs: BoundedChangeList


def adopt_saved(unsaved, saved) -> None:
    """Let the admin go on with the instance its form built, now that a service has saved its own copy of it
    (save_model through a service: the admin then logs and redirects with the unsaved instance)."""
    unsaved.pk = saved.pk
    unsaved._state.adding = False
    unsaved._state.db = saved._state.db
    for name in ("slug", "created_at", "updated_at", "created_by_id"):
        if hasattr(saved, name):
            setattr(unsaved, name, getattr(saved, name))
