"""The Meeting Guide spec (github code4recovery/spec, README) and TSML UI's reading of a record
(code4recovery/tsml-ui, src/helpers/load-meeting-data.ts) as plain checks, shared by the feed's tests."""

import json
import re
import zoneinfo
from pathlib import Path

from django.core.validators import URLValidator

SPEC_TYPES = set(json.loads((Path(__file__).parent.parent / "registry/data/meeting_guide_types.json").read_text()))
HH_MM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
URL_SAFE_SLUG = re.compile(r"^[A-Za-z0-9._~-]+$")
UTC_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def spec_problems(records) -> list[str]:
    """The spec's rules (github code4recovery/spec README) as checks; an empty list means the feed is valid."""
    problems = []
    if not isinstance(records, list):
        return ["the feed is not a JSON array"]
    seen = set()
    for index, record in enumerate(records):
        where = f"record {index} ({record.get('slug')!r})"
        for key in ("name", "slug"):
            if not isinstance(record.get(key), str) or not record[key]:
                problems.append(f"{where}: {key} is required")
        slug = str(record.get("slug", ""))
        if len(slug) > 64 or not URL_SAFE_SLUG.match(slug):
            problems.append(f"{where}: slug is not URL-safe or longer than 64")
        if slug in seen:
            problems.append(f"{where}: slug is not unique")
        seen.add(slug)
        if len(record.get("name", "")) > 255:
            problems.append(f"{where}: name is longer than 255")
        day = record.get("day")
        days = day if isinstance(day, list) else [day]
        if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days):
            problems.append(f"{where}: day must be 0–6")
        for key in ("time", "end_time"):
            if key in record and not (isinstance(record[key], str) and HH_MM.match(record[key])):
                problems.append(f"{where}: {key} must be HH:MM")
        if "time" not in record:
            problems.append(f"{where}: a weekly meeting needs a time")
        types = record.get("types", [])
        if not isinstance(types, list) or not set(types) <= SPEC_TYPES:
            problems.append(f"{where}: unknown types {set(types) - SPEC_TYPES}")
        if "O" in types and "C" in types:
            problems.append(f"{where}: both open and closed")
        try:
            zoneinfo.ZoneInfo(record.get("timezone", ""))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"{where}: timezone is not an IANA name")
        if "updated" in record and not UTC_TIMESTAMP.match(record["updated"]):
            problems.append(f"{where}: updated must be YYYY-MM-DD HH:MM:SS")
        problems.extend(f"{where}: {problem}" for problem in place_problems(record))
        if "latitude" in record or "longitude" in record:
            latitude, longitude = record.get("latitude"), record.get("longitude")
            if not (isinstance(latitude, float | int) and -90 <= latitude <= 90):
                problems.append(f"{where}: latitude out of range")
            if not (isinstance(longitude, float | int) and -180 <= longitude <= 180):
                problems.append(f"{where}: longitude out of range")
        if record.get("attendance_option") in ("online", "hybrid") and not (
            record.get("conference_url") or record.get("conference_phone")
        ):
            problems.append(f"{where}: online without a conference URL or phone")
        for key in ("conference_url", "url"):
            if record.get(key):
                try:
                    URLValidator(schemes=["http", "https"])(record[key])
                except Exception:  # noqa: BLE001
                    problems.append(f"{where}: {key} is not a URL")
        if record.get("conference_phone") and not re.fullmatch(r"[+\d,*#]+", record["conference_phone"]):
            problems.append(f"{where}: conference_phone may hold digits, +, comma, * and # only")
        if not isinstance(record.get("regions", []), list):
            problems.append(f"{where}: regions must be a list")
        for key in ("notes", "location", "location_notes", "name"):
            if re.search(r"<[a-zA-Z/][^>]*>", record.get(key, "")):
                problems.append(f"{where}: {key} must be plain text")
    return problems


def place_problems(record: dict) -> list[str]:
    """Geography: an in-person meeting has a specific address; an online one never a made-up one."""
    problems = []
    formatted = record.get("formatted_address", "")
    if not (formatted or record.get("address") or record.get("city") or record.get("country")):
        problems.append("no geographic information")
    if formatted.strip().casefold() in ("norway", "norge", "no"):
        problems.append("formatted_address is only the country")
    if record.get("attendance_option") in ("in_person", "hybrid"):
        if record.get("approximate") != "no":
            problems.append("an in-person meeting's street address is sent as approximate")
        if formatted and len(formatted.split(",")) < 3:
            problems.append("formatted_address is not street, postal code and place, country")
    regions = record.get("regions", [])
    if isinstance(regions, list) and len(set(regions)) != len(regions):
        problems.append(f"regions repeat a level: {regions}")
    return problems


def tsml_ui_view(record: dict) -> dict:
    """How TSML UI classifies a record: approximate, in person, online, active (load-meeting-data.ts)."""
    parts = ("address", "city", "postal_code", "country")
    formatted = record.get("formatted_address") or ", ".join(record[key] for key in parts if record.get(key))
    if isinstance(record.get("approximate"), str):
        approximate = record["approximate"].lower() == "yes"
    else:
        approximate = len(formatted.split(",")) < 4
    phone = re.sub(r"[^\d,+#]", "", record.get("conference_phone", ""))
    online = bool(record.get("conference_url")) or len(phone) >= 10
    in_person = "TC" not in record.get("types", []) and not approximate
    return {
        "listed": bool(formatted),
        "approximate": approximate,
        "in_person": in_person,
        "online": online,
        "active": online or in_person,
    }
