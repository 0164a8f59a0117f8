"""Authorization table of the patient handout and the contact import (referrals/handout.py, import_views.py).

The handout is patient-level: clinicians and the lead of the contact's unit get 200, unit B's clinician
404, everyone without patient units 403. The import page is for unit leads only.
"""

import datetime
import zoneinfo

from tests.authorization import entry, only, statuses
from tests.factories import MeetingFactory, PatientContactFactory

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")

UNIT_A_OBJECT = statuses(403, anonymous=302, clinician_a=200, clinician_b=404, lead_a=200)


def _referred_contact_of_unit_a(world):
    contact = PatientContactFactory(
        unit=world.unit_a,
        clinician=world.clinician_a,
        contacted_at=datetime.datetime(2026, 1, 15, 10, 0, tzinfo=OSLO),
        intensity=2,
    )
    contact.suggested_meetings.set([MeetingFactory()])
    return {"pk": contact.pk}


EXPECTED = {
    "referrals:handout": entry(UNIT_A_OBJECT, kwargs_factory=_referred_contact_of_unit_a),
    "referrals:handout_pdf": entry(UNIT_A_OBJECT, kwargs_factory=_referred_contact_of_unit_a),
    "referrals:import": entry(only("lead_a")),
}
