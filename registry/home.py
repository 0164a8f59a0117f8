"""The registry's section of the home page (config/views.py): stale entries, for curators and administrators."""

from core.roles import is_curator
from registry import changes, selectors

# What the section shows changes with the registry (the home page is cached under it, config/home.py).
GENERATION = changes.GENERATION


def home_section(request) -> dict | None:
    """Counts of active meetings and groups to verify (two queries); None for users who do not curate."""
    if not is_curator(request.user):
        return None
    return selectors.stale_counts()
