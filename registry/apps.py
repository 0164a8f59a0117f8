from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Meeting registry")

    def ready(self):
        from auditlog.registry import auditlog

        from registry import changes
        from registry.models import Fellowship, Group, Meeting, MeetingType

        changes.connect()  # the feed and cached pages go stale when the registry changes

        # Change history (who, when, each field before and after) for everything curators edit.
        auditlog.register(Group, exclude_fields=["created_at", "updated_at"])
        auditlog.register(Meeting, m2m_fields={"types"}, exclude_fields=["created_at", "updated_at"])
        auditlog.register(Fellowship)
        auditlog.register(MeetingType)
