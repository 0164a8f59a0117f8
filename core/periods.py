"""Time in Europe/Oslo: the product's clock, and calendar months, the unit of every report.

A month is represented by the date of its first day, the same value `PatientContact.contact_month` holds. Month
edges are Oslo midnights, whatever the server's or the database's time zone (at 00:30 on 1 November Oslo time
UTC is still in October).
"""

import datetime
import re
import zoneinfo

from django.utils import timezone

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)  # "２０２６-１０" is not a month anyone typed


class BadMonth(ValueError):
    """A month string that is not YYYY-MM with a real month."""


def parse_month(value: str) -> datetime.date:
    """'2026-10' → date(2026, 10, 1). Raises BadMonth with a message fit for the user."""
    match = _MONTH.match((value or "").strip())
    if not match:
        raise BadMonth(f"“{value}” is not a month; write it as YYYY-MM, e.g. 2026-10.")
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise BadMonth(f"“{value}” is not a month between 2000-01 and 2100-12.")
    return datetime.date(year, month, 1)


def format_month(month: datetime.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_range(last: datetime.date, count: int) -> list[datetime.date]:
    """The `count` months ending with `last`, oldest first."""
    return [add_months(last, offset) for offset in range(-count + 1, 1)]


def month_start(moment: datetime.datetime) -> datetime.date:
    """The first day of the calendar month of `moment` in Oslo time (a naive `moment` is taken as Oslo time)."""
    local = timezone.localtime(moment, OSLO) if timezone.is_aware(moment) else moment
    return local.date().replace(day=1)


def month_boundaries(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of the calendar month in Oslo and the first moment of the next."""
    first = month.replace(day=1)
    return (
        datetime.datetime.combine(first, datetime.time(), tzinfo=OSLO),
        datetime.datetime.combine(add_months(first, 1), datetime.time(), tzinfo=OSLO),
    )


def current_month(now: datetime.datetime | None = None) -> datetime.date:
    """The month it is now in Oslo."""
    return month_start(now or timezone.now())


def previous_month(now: datetime.datetime | None = None) -> datetime.date:
    """The last complete calendar month in Oslo: the default month of reports."""
    return add_months(current_month(now), -1)
