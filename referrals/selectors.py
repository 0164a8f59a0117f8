"""Reads for the clinician screens. Each query owns its joins and stays index-friendly at 100,000 rows per unit."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from accounts.models import User
from core.periods import month_boundaries
from referrals.models import FollowUp, PatientContact

EARLIER_CONTACTS_SHOWN = 20
MEETING_RESULTS_SHOWN = 40


@dataclass(frozen=True)
class Page:
    """One page of a list without COUNT(*): one row more than shown tells whether there is a next page."""

    items: list
    number: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.items) - 1 if self.items else 0


def contact_page(
    contacts: QuerySet, *, unit_ids: list[int], order: tuple[str, str], number: int, per_page: int
) -> Page:
    """One page of contacts from the given units, in `order`, in four queries whatever the row count.

    Each unit is read along its own index (unit first, then the order column) and only as far as the
    page needs; with several units the branches are combined with UNION ALL. A plain
    `unit_id IN (...) ORDER BY ... LIMIT` would sort every row of those units instead. The page's
    rows are then fetched with their joins, their fellowships and whether they have a follow-up.
    """
    if not unit_ids:
        return Page(items=[], number=number, per_page=per_page, has_next=False)
    offset = (number - 1) * per_page
    needed = offset + per_page + 1
    key_columns = ("pk", order[0].lstrip("-"))
    branches = [contacts.filter(unit_id=unit_id).order_by(*order).values_list(*key_columns) for unit_id in unit_ids]
    if len(branches) == 1:
        keys = branches[0][offset:needed]
    elif not connection.features.supports_slicing_ordering_in_compound:
        # SQLite (the development default) cannot limit inside UNION branches; it sorts the units' rows.
        keys = contacts.filter(unit_id__in=unit_ids).order_by(*order).values_list(*key_columns)[offset:needed]
    else:
        sliced = [branch[:needed] for branch in branches]
        union_order = tuple(column.replace("pk", "id") for column in order)
        keys = sliced[0].union(*sliced[1:], all=True).order_by(*union_order)[offset:needed]
    ids = [pk for pk, _ in keys]
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    rows = {
        contact.pk: contact
        for contact in PatientContact.objects.filter(pk__in=ids)
        .select_related("unit", "clinician")
        .prefetch_related("fellowships")
    }
    followed_up = set(
        FollowUp.objects.filter(contact_id__in=ids).order_by().values_list("contact_id", flat=True).distinct()
    )
    items = []
    for pk in ids:
        contact = rows[pk]
        contact.has_follow_up = pk in followed_up
        items.append(contact)
    return Page(items=items, number=number, per_page=per_page, has_next=has_next)


def filter_contacts(
    contacts: QuerySet,
    *,
    month: datetime.date | None = None,
    clinician: User | None = None,
    intensity: str = "",
    follow_up_due_on: datetime.date | None = None,
) -> QuerySet:
    """The list filters. `intensity` is "", "none" (not recorded) or a digit 0–4."""
    if month is not None:
        # The same month as contact_month, as a time range: the list's (unit, time) index then serves it.
        start, end = month_boundaries(month)
        contacts = contacts.filter(contacted_at__gte=start, contacted_at__lt=end)
    if clinician is not None:
        contacts = contacts.filter(clinician=clinician)
    if intensity == "none":
        contacts = contacts.filter(intensity__isnull=True)
    elif intensity:
        contacts = contacts.filter(intensity=int(intensity))
    if follow_up_due_on is not None:
        contacts = contacts.follow_up_due(follow_up_due_on)
    return contacts


def earlier_contacts(*, unit, pseudonym: str, exclude_pk: int | None = None) -> list[PatientContact]:
    """The same patient's contacts in the unit, newest first (uses the pseudonym index)."""
    contacts = PatientContact.objects.of_patient(unit, pseudonym).for_list()
    if exclude_pk is not None:
        contacts = contacts.exclude(pk=exclude_pk)
    return list(contacts[:EARLIER_CONTACTS_SHOWN])


def clinicians_of(units) -> QuerySet:
    """People with a membership in these units, for the clinician filter."""
    return User.objects.filter(memberships__unit__in=units).distinct().order_by("first_name", "last_name", "username")
