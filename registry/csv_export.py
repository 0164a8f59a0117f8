"""Meetings as CSV in the 12 Step Meeting List template's columns, so that an export imports again unchanged.

The template's 37 columns come first, in its order; columns for what the template cannot hold (attendance, status,
fellowship, languages, coordinates, non-weekly recurrence) follow, named as the spec's table format names JSON keys
("Conference URL Notes" for `conference_url_notes`), which importers that do not know them ignore.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator

from core.spreadsheets import spreadsheet_safe  # the importer strips the added apostrophe again
from registry.feed import default_end_time, formatted_address, utc_timestamp
from registry.models import SCHEDULE_FIELDS, Meeting, MeetingType

TEMPLATE_COLUMNS = [
    "Time",
    "End Time",
    "Day",
    "Name",
    "Location",
    "Address",
    "Region",
    "Sub Region",
    "Types",
    "Notes",
    "Location Notes",
    "Timezone",
    "Group",
    "District",
    "Sub District",
    "Website",
    "Website 2",
    "Mailing Address",
    "Venmo",
    "Email",
    "Phone",
    "Group Notes",
    "Contact 1 Name",
    "Contact 1 Email",
    "Contact 1 Phone",
    "Contact 2 Name",
    "Contact 2 Email",
    "Contact 2 Phone",
    "Contact 3 Name",
    "Contact 3 Email",
    "Contact 3 Phone",
    "Last Contact",
    "Conference URL",
    "Conference Phone",
    "Author",
    "Slug",
    "Updated",
]
EXTRA_COLUMNS = [
    "Conference URL Notes",
    "Conference Phone Notes",
    "Attendance Option",
    "Status",
    "Fellowship",
    "Languages",
    "Latitude",
    "Longitude",
    "Recurrence",
    "Anchor Date",
    "Week Of Month",
    "Valid From",
    "Valid To",
]
COLUMNS = TEMPLATE_COLUMNS + EXTRA_COLUMNS
ENGLISH_DAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday", 7: "Sunday"}

VALUES = (
    "id",
    "slug",
    "name",
    *SCHEDULE_FIELDS,
    "attendance_mode",
    "status",
    "venue",
    "address",
    "postal_code",
    "latitude",
    "longitude",
    "location_notes",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "languages",
    "notes",
    "last_verified_at",
    "updated_at",
    "group__name",
    "group__website",
    "group__contact",
    "group__notes",
    "group__fellowship__code",
    "municipality__name",
    "municipality__county__name",
)


def twelve_hour(value: datetime.time) -> str:
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def meeting_csv_rows(queryset) -> Iterator[list[str]]:
    """The header, then one row per meeting of `queryset`, in three queries whatever their number."""
    ids = Meeting.objects.filter(pk__in=queryset.values("pk"))
    type_names = dict(MeetingType.objects.values_list("code", "name_en"))
    types_by_meeting: dict[int, list[str]] = {}
    for meeting_id, code in (
        Meeting.types.through.objects.filter(meeting__in=ids)
        .order_by("meetingtype_id")
        .values_list("meeting_id", "meetingtype_id")
    ):
        types_by_meeting.setdefault(meeting_id, []).append(code)

    yield COLUMNS
    for row in ids.order_by("weekday", "start_time", "slug").values(*VALUES):
        codes = types_by_meeting.get(row["id"], [])
        if "C" in codes and "O" in codes:
            codes = [code for code in codes if code != "O"]
        city = row["municipality__name"] or ""
        contact = row["group__contact"]
        own_coordinates = row["latitude"] is not None and row["longitude"] is not None
        cells = {
            "Time": twelve_hour(row["start_time"]),
            "End Time": twelve_hour(row["end_time"] or default_end_time(row["start_time"])),
            "Day": ENGLISH_DAYS[row["weekday"]],
            "Name": row["name"],
            "Location": row["venue"],
            "Address": formatted_address(address=row["address"], postal_code=row["postal_code"], city=city),
            "Region": row["municipality__county__name"] or "",
            "Sub Region": city,
            "Types": ", ".join(type_names.get(code, code) for code in codes),
            "Notes": row["notes"],
            "Location Notes": row["location_notes"],
            "Timezone": "Europe/Oslo",
            "Group": row["group__name"],
            "Website": row["group__website"],
            "Email": contact if "@" in contact else "",
            "Phone": "" if "@" in contact else contact,
            "Group Notes": row["group__notes"],
            "Last Contact": row["last_verified_at"].date().isoformat() if row["last_verified_at"] else "",
            "Conference URL": row["conference_url"],
            "Conference Phone": row["conference_phone"],
            "Slug": row["slug"],
            "Updated": utc_timestamp(row["updated_at"]),
            "Conference URL Notes": row["conference_url_notes"],
            "Conference Phone Notes": row["conference_phone_notes"],
            "Attendance Option": row["attendance_mode"],
            "Status": row["status"],
            "Fellowship": row["group__fellowship__code"],
            "Languages": row["languages"],
            "Latitude": f"{row['latitude']:.5f}" if own_coordinates else "",
            "Longitude": f"{row['longitude']:.5f}" if own_coordinates else "",
            "Recurrence": row["recurrence"],
            "Anchor Date": row["anchor_date"].isoformat() if row["anchor_date"] else "",
            "Week Of Month": str(row["week_of_month"]) if row["week_of_month"] else "",
            "Valid From": row["valid_from"].isoformat() if row["valid_from"] else "",
            "Valid To": row["valid_to"].isoformat() if row["valid_to"] else "",
        }
        yield [spreadsheet_safe(str(cells.get(column, "") or "")) for column in COLUMNS]


def write_rows(handle, rows: Iterable[list[str]]) -> None:
    writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerows(rows)
