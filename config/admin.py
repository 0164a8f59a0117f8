"""Third-party admin pages in the user's language.

Most of django-auditlog's, django-axes' and django-q2's words go through gettext and are translated in the
catalogue (django-axes' model names in config.apps.AxesConfig). django-auditlog's change log writes a few without
it: the "24 changes: id, name, …" summary, the correlation-ID column, and the object types by their code names
("meeting"). Its admin is registered again here with those in the user's language; `config` comes last in
INSTALLED_APPS, so this runs after django-auditlog has registered its own.
"""

from auditlog.admin import LogEntryAdmin as AuditlogLogEntryAdmin
from auditlog.filters import CIDFilter, ResourceTypeFilter
from auditlog.models import LogEntry
from auditlog.render import get_field_verbose_name
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# As django-auditlog: the list of changed fields is cut at a word before this many characters.
SUMMARY_LENGTH = 75


def field_label(entry, name: str) -> str:
    """A changed field's name: its verbose name, or for the other side of a relation ("meetings" of a group) the
    plural name of the model on that side."""
    model = entry.content_type.model_class()
    try:
        field = model._meta.get_field(name)
    except (AttributeError, FieldDoesNotExist):
        return str(get_field_verbose_name(entry, name))
    if field.auto_created and field.is_relation and not field.concrete:
        return str(capfirst(field.related_model._meta.verbose_name_plural))
    return str(get_field_verbose_name(entry, name))


class ObjectTypeFilter(ResourceTypeFilter):
    """The object types by their names ("Møteregister | møte"), as the list's object column shows them."""

    def lookups(self, request, model_admin):
        ids = model_admin.get_queryset(request).order_by().values_list("content_type_id", flat=True).distinct()
        names = [(pk, ContentType.objects.get_for_id(pk).app_labeled_name) for pk in ids]
        return sorted(names, key=lambda choice: choice[1])


class LogEntryAdmin(AuditlogLogEntryAdmin):
    list_filter = ["action", ObjectTypeFilter, CIDFilter]

    @admin.display(description=_("Changes"))
    def msg_short(self, obj):
        if obj.action in (LogEntry.Action.DELETE, LogEntry.Action.ACCESS):
            return ""
        changes = obj.changes_dict
        fields = ", ".join(field_label(obj, name) for name in changes)
        if len(fields) > SUMMARY_LENGTH:
            fields = fields[: fields.rfind(" ", 0, SUMMARY_LENGTH)] + " …"
        return ngettext("%(count)d change: %(fields)s", "%(count)d changes: %(fields)s", len(changes)) % {
            "count": len(changes),
            "fields": fields,
        }

    @admin.display(description=_("Correlation ID"))
    def cid_url(self, obj):
        return super().cid_url(obj)


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, LogEntryAdmin)
