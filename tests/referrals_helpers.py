"""Shared data for the referral view tests: a valid new-contact form and a frozen clock."""

import datetime
import uuid
import zoneinfo

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
NOW = datetime.datetime(2026, 10, 20, 14, 0, tzinfo=OSLO)
TODAY = NOW.date()
# Synthetic numbers with valid check digits (constructed, not real people).
VALID_FNR = "01010012356"


def contact_form_data(unit, **overrides) -> dict:
    data = {
        "unit": str(unit.pk),
        "contacted_on": TODAY.isoformat(),
        "patient_reference": "EP-2026-0042",
        "intensity": "2",
        "setting": "outpatient",
        "main_substance": "alcohol",
        "prior_twelve_step": "unknown",
        "response": "positive",
        "follow_up_planned_on": (TODAY + datetime.timedelta(weeks=4)).isoformat(),
        "notes": "",
        "submission_token": str(uuid.uuid4()),
        "action": "save",
    }
    data.update(overrides)
    return data
