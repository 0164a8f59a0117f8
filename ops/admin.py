"""Scheduled job runs, read-only for administrators: when each ran, how long, and what came of it."""

from django.contrib import admin

from ops.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("job", "period", "started_at", "finished_at", "duration", "status")
    list_filter = ("job", "status")
    readonly_fields = ("job", "period", "started_at", "finished_at", "status", "output")
    date_hierarchy = "started_at"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
