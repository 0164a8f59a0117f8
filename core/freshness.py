"""The curators' rule for entries that need checking: never verified, or not verified in the last six months."""

import datetime

from django.db.models import Q
from django.utils import timezone

STALE_AFTER = datetime.timedelta(days=182)


def stale_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Entries last verified before this moment are stale."""
    return (now or timezone.now()) - STALE_AFTER


def is_stale(last_verified_at: datetime.datetime | None, now: datetime.datetime | None = None) -> bool:
    return last_verified_at is None or last_verified_at < stale_cutoff(now)


def stale_q(now: datetime.datetime | None = None, *, field: str = "last_verified_at") -> Q:
    """The same rule as a filter on a model with a `last_verified_at` field."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": stale_cutoff(now)})
