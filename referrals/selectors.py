"""Reads for the clinician screens. Each query owns its joins and stays index-friendly at 100,000 rows per unit."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import User
from referrals.models import PatientContact
from registry.models import AttendanceMode, Meeting

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


def page_of(queryset: QuerySet, *, number: int, per_page: int) -> Page:
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return Page(items=rows[:per_page], number=number, per_page=per_page, has_next=len(rows) > per_page)


def filter_contacts(
    contacts: QuerySet,
    *,
    month: datetime.date | None = None,
    clinician: User | None = None,
    intensity: str = "",
    follow_up_due_on: datetime.date | None = None,
    unit=None,
) -> QuerySet:
    """The list filters. `intensity` is "", "none" (not recorded) or a digit 0–4."""
    if unit is not None:
        contacts = contacts.filter(unit=unit)
    if month is not None:
        contacts = contacts.filter(contact_month=month)
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
    """The same patient's contacts in the unit, newest first (uses the unit + pseudonym index)."""
    contacts = PatientContact.objects.of_patient(unit, pseudonym).for_list()
    if exclude_pk is not None:
        contacts = contacts.exclude(pk=exclude_pk)
    return list(contacts[:EARLIER_CONTACTS_SHOWN])


def clinicians_of(units) -> QuerySet:
    """People with a membership in these units, for the clinician filter."""
    return User.objects.filter(memberships__unit__in=units).distinct().order_by("first_name", "last_name", "username")


ONLINE = "online"


def search_meetings(*, municipality: str = "", fellowship=None, text: str = "", exclude_pks=()) -> list[Meeting]:
    """Active meetings to suggest: by municipality number (or "online"), fellowship and free text."""
    meetings = Meeting.objects.active().select_related("group__fellowship", "municipality")
    if municipality == ONLINE:
        meetings = meetings.exclude(attendance_mode=AttendanceMode.IN_PERSON)
    elif municipality:
        meetings = meetings.filter(municipality_id=municipality)
    if fellowship is not None:
        meetings = meetings.filter(group__fellowship=fellowship)
    text = text.strip()
    if text:
        meetings = meetings.filter(
            Q(name__icontains=text)
            | Q(venue__icontains=text)
            | Q(address__icontains=text)
            | Q(group__name__icontains=text)
            | Q(municipality__name__icontains=text)
        )
    if exclude_pks:
        meetings = meetings.exclude(pk__in=list(exclude_pks))
    return list(meetings.order_by("weekday", "start_time", "name")[:MEETING_RESULTS_SHOWN])
