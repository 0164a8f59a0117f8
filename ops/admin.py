"""Scheduled job runs, read-only for administrators: when each ran, how long, and what came of it."""

from django.contrib import admin

from accounts.admin import ReadOnlyForAdministratorsMixin
from ops.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyForAdministratorsMixin, admin.ModelAdmin):
    list_display = ("job", "period", "started_at", "finished_at", "duration", "status")
    list_filter = ("job", "status")
    readonly_fields = ("job", "period", "started_at", "finished_at", "status", "output")
    date_hierarchy = "started_at"
