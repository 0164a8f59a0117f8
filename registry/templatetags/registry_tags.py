"""Template helpers for meeting pages."""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format, get_format, number_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

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
    start = meeting.start_time.strftime("%H:%M")
    if not meeting.end_time:
        return start
    return f"{start}–{meeting.end_time.strftime('%H:%M')}"


@register.filter
def schedule_text(meeting) -> str:
    """ "Tuesday 19:00–20:30", "Every other Tuesday 19:00", "First Monday of the month 18:00"."""
    weekday = Weekday(meeting.weekday).label
    times = _time_range(meeting)
    if meeting.recurrence == Recurrence.BIWEEKLY:
        when = _("Every other %(weekday)s") % {"weekday": weekday}
    elif meeting.recurrence == Recurrence.MONTHLY and meeting.week_of_month in ORDINALS:
        when = _("The %(ordinal)s %(weekday)s of the month") % {
            "ordinal": ORDINALS[meeting.week_of_month](),
            "weekday": weekday,
        }
    else:
        when = _("Every %(weekday)s") % {"weekday": weekday}
    return f"{when} {times}"


@register.filter
def friendly_date(moment: datetime.datetime | None) -> str:
    """ "Today", "Tomorrow" or "Tuesday 1 December"; the year only when it is not this year."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    today = timezone.localdate()
    if local.date() == today:
        return _("Today")
    if local.date() == today + datetime.timedelta(days=1):
        return _("Tomorrow")
    # The language's own order: "Tuesday December 1" in English, "tirsdag 1. desember" in Norwegian.
    text = date_format(local, f"l {get_format('MONTH_DAY_FORMAT' if local.year == today.year else 'DATE_FORMAT')}")
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
