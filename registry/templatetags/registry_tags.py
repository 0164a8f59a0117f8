"""Template helpers for meeting pages."""

from __future__ import annotations

import datetime
import functools

from django import template
from django.utils import timezone
from django.utils.formats import date_format, get_format, number_format
from django.utils.timesince import timesince
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from registry.models import Recurrence, Weekday

register = template.Library()

ORDINALS = {
    1: lambda: pgettext("week of month", "first"),
    2: lambda: pgettext("week of month", "second"),
    3: lambda: pgettext("week of month", "third"),
    4: lambda: pgettext("week of month", "fourth"),
    -1: lambda: pgettext("week of month", "last"),
}


def _time_range(meeting) -> str:
    start = hour_minute(meeting.start_time)
    if not meeting.end_time:
        return start
    return f"{start}–{hour_minute(meeting.end_time)}"


def hour_minute(time: datetime.time | datetime.datetime) -> str:
    """As strftime("%H:%M"), for less: a search card shows three."""
    return f"{time.hour:02}:{time.minute:02}"


@register.filter
def schedule_text(meeting) -> str:
    """ "Tuesday 19:00–20:30", "Every other Tuesday 19:00", "First Monday of the month 18:00"."""
    return (
        f"{_rhythm(get_language(), meeting.weekday, meeting.recurrence, meeting.week_of_month)} {_time_range(meeting)}"
    )


@functools.lru_cache(maxsize=1024)
def _rhythm(language: str | None, weekday: int, recurrence: str, week_of_month: int | None) -> str:
    """ "Every Tuesday", in the active language, whose name `language` is (the key that keeps each language's apart):
    kept because its two or three translations cost more than the rest of a search card's schedule."""
    weekday_name = Weekday(weekday).label
    if recurrence == Recurrence.BIWEEKLY:
        return _("Every other %(weekday)s") % {"weekday": weekday_name}
    if recurrence == Recurrence.MONTHLY and week_of_month in ORDINALS:
        return _("The %(ordinal)s %(weekday)s of the month") % {
            "ordinal": ORDINALS[week_of_month](),
            "weekday": weekday_name,
        }
    return _("Every %(weekday)s") % {"weekday": weekday_name}


@register.filter
def friendly_date(moment: datetime.datetime | None) -> str:
    """ "Today", "Tomorrow" or "Tuesday 1 December"; the year only when it is not this year."""
    if moment is None:
        return ""
    return _friendly_day(get_language(), timezone.localtime(moment).date(), timezone.localdate())


@functools.lru_cache(maxsize=1024)
def _friendly_day(language: str | None, day: datetime.date, today: datetime.date) -> str:
    """friendly_date's text for a day, in the active language, whose name `language` is (the key that keeps each
    language's apart): kept because date_format cost as much as the rest of a search card, and a page's cards show
    a handful of days."""
    if day == today:
        return _("Today")
    if day == today + datetime.timedelta(days=1):
        return _("Tomorrow")
    # The language's own order: "Tuesday December 1" in English, "tirsdag 1. desember" in Norwegian.
    text = date_format(day, f"l {get_format('MONTH_DAY_FORMAT' if day.year == today.year else 'DATE_FORMAT')}")
    return text[:1].upper() + text[1:]


@register.filter
def verified_ago(moment: datetime.datetime | None) -> str:
    """How long since an entry was verified, to one unit: "3 months"."""
    if moment is None:
        return ""
    return timesince(moment, depth=1)


@register.filter
def distance(km: float | None) -> str:
    if km is None:
        return ""
    if km < 1:
        return _("under 1 km")
    return f"{number_format(km, 0 if km >= 10 else 1)} km"
