"""The registry's change generation (core/generations.py): it moves whenever a meeting, group, fellowship, meeting
type or the geography changes, so the feed and the cached registry pages show the change on the next request.

Private until commit: a transaction that seeds 300 meetings moves the shared token twice, and what its own thread
renders meanwhile is never stored for others. Bulk writers (the importer) call `registry_changed()` themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from core.generations import Generation
from registry.models import County, Fellowship, Group, Meeting, MeetingType, Municipality

GENERATION = Generation("registry:feed:generation", private_until_commit=True)


def registry_changed() -> None:
    GENERATION.bump()


def _on_types_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        GENERATION.bump()


def connect() -> None:
    for model in (Meeting, Group, Fellowship, MeetingType, Municipality, County):
        post_save.connect(GENERATION.bump_receiver, sender=model, dispatch_uid=f"registry-feed-save-{model.__name__}")
        post_delete.connect(
            GENERATION.bump_receiver, sender=model, dispatch_uid=f"registry-feed-delete-{model.__name__}"
        )
    m2m_changed.connect(_on_types_changed, sender=Meeting.types.through, dispatch_uid="registry-feed-meeting-types")
