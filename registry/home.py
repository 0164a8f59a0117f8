"""The registry's section of the home page (config/views.py): stale entries, for curators and administrators."""

from core.roles import is_curator
from registry import selectors


def home_section(request) -> dict | None:
    """Counts of active meetings and groups to verify (two queries); None for users who do not curate."""
    if not is_curator(request.user):
        return None
    return selectors.stale_counts()
