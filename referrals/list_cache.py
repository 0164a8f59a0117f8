"""The rendered body of a contact list or worklist page, kept in the shared cache for a minute.

A list page is the same for everyone who sees the same units with the same filters on the same day, in the same
language: the menu, the page around it and the access-log entry are the request's own, the filter form, table and
pagination are not. So that part is rendered once (two thirds of the page's time: 50 table rows through the
template engine) and served from the cache, like a unit's report body (reports/report_cache.py), under the idea
of core/generations.py.

Freshness: every cached body carries the lists' change generation, which moves whenever a contact, its
fellowships, a follow-up, a unit, a membership or a user is saved or deleted, and after a committed contact import
or retention run (`contacts_bulk_changed`), so a saved contact shows on the next request. Writes that send no
signal show within settings.CONTACT_LIST_CACHE_SECONDS (default 60; 0 turns the cache off).

Each cached body comes with what the access log must say it showed (contact, unit and pseudonym of every row), so
a page served from the cache is logged exactly as a rendered one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from core.generations import Generation, fragment_key
from referrals.signals import contacts_bulk_changed

KEY_PREFIX = "referrals:list:"
GENERATION = Generation("referrals:lists")


class Shown(NamedTuple):
    """A row of a list page as the access log records it (referrals.audit.log_shown)."""

    pk: int
    unit_id: int
    patient_pseudonym: str


def cache_seconds() -> int:
    return getattr(settings, "CONTACT_LIST_CACHE_SECONDS", 60)


def bump_generation(**kwargs) -> None:
    """Make every cached list body stale, now and at commit. A signal receiver: it ignores the signal's arguments."""
    GENERATION.bump()


def _user_saved(update_fields=None, **kwargs) -> None:
    if update_fields and set(update_fields) <= {"last_login"}:
        return  # a login changes nothing a list shows
    GENERATION.bump()


def get_or_render(parts: dict, render: Callable[[], tuple[str, list[Shown]]]) -> tuple[str, list[Shown]]:
    """(body, rows shown) for `parts` (everything the body depends on), cached, or `render()` stored."""
    if not cache_seconds():
        return render()
    return GENERATION.get_or_render(fragment_key(KEY_PREFIX, parts, cache_seconds()), render, cache_seconds())


def shown(contacts) -> list[Shown]:
    return [Shown(contact.pk, contact.unit_id, contact.patient_pseudonym) for contact in contacts]


def connect() -> None:
    from accounts.models import Membership, Unit, User
    from referrals.models import FollowUp, PatientContact

    for model in (PatientContact, FollowUp, Unit, Membership, User):
        post_delete.connect(bump_generation, sender=model, dispatch_uid=f"referrals-lists-delete-{model.__name__}")
    for model in (PatientContact, FollowUp, Unit, Membership):
        post_save.connect(bump_generation, sender=model, dispatch_uid=f"referrals-lists-save-{model.__name__}")
    post_save.connect(_user_saved, sender=User, dispatch_uid="referrals-lists-save-User")
    m2m_changed.connect(
        bump_generation, sender=PatientContact.fellowships.through, dispatch_uid="referrals-lists-fellowships"
    )
    contacts_bulk_changed.connect(bump_generation, dispatch_uid="referrals-lists-bulk")
