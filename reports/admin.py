"""Administration of the reports app: targets, and read-only records of mailings and frozen months."""

from django.contrib import admin
from django.db import transaction

from accounts.admin import AdministratorOnlyMixin, ReadOnlyForAdministratorsMixin
from core.admin import adopt_saved
from reports import services
from reports.models import FrozenMonth, ReportDispatch, Target


@admin.register(Target)
class TargetAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    list_display = ["unit", "indicator", "target_percent", "valid_from", "valid_to", "note", "created_by"]
    list_select_related = ["unit", "created_by"]
    list_filter = ["indicator"]
    search_fields = ["unit__name", "unit__code", "note"]
    autocomplete_fields = ["unit"]
    fields = ["unit", "indicator", "target_percent", "valid_from", "valid_to", "note"]
    ordering = ["unit__path", "indicator", "-valid_from"]

    # Writes go through the target services, with their permission check (administrators may set any unit's).
    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in self.fields}
        if change:
            services.target_update(actor=request.user, target=obj, data=data)
        else:
            adopt_saved(obj, services.target_create(actor=request.user, **data))

    def delete_model(self, request, obj):
        services.target_delete(actor=request.user, target=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for target in queryset.select_related("unit"):
                services.target_delete(actor=request.user, target=target)


class ReadOnlyAdmin(ReadOnlyForAdministratorsMixin, admin.ModelAdmin):
    """Records written by the monthly routine and retention: looked at, never edited by hand."""


@admin.register(ReportDispatch)
class ReportDispatchAdmin(ReadOnlyAdmin):
    list_display = ["month", "unit", "email", "recipient", "sent_at"]
    list_select_related = ["unit", "recipient"]
    list_filter = ["month"]
    search_fields = ["unit__code", "unit__name", "email"]
    date_hierarchy = "sent_at"


@admin.register(FrozenMonth)
class FrozenMonthAdmin(ReadOnlyAdmin):
    list_display = ["month", "frozen_at", "contacts"]
