"""Authorization table of the referral recording screens, the patient handout and the contact import
(referrals/urls.py).

Patient-level pages: clinicians and leads of the object's unit get 200, people of another unit
404, everyone without patient units (analyst, curator, administrator) 403. The import page is for unit leads only.
"""

import datetime
import zoneinfo

from tests.authorization import entry, only, statuses
from tests.factories import FollowUpFactory, MeetingFactory, PatientContactFactory

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")

# Any user with patient units; the rest of staff are refused.
PATIENT_PAGE = statuses(403, anonymous=302, clinician_a=200, clinician_b=200, lead_a=200)
# An object of unit A: unit B's clinician must not learn that it exists.
UNIT_A_OBJECT = statuses(403, anonymous=302, clinician_a=200, clinician_b=404, lead_a=200)


def _contact_of_unit_a(world):
    contact = PatientContactFactory(
        unit=world.unit_a,
        clinician=world.clinician_a,
        contacted_at=datetime.datetime(2026, 1, 15, 10, 0, tzinfo=OSLO),
        follow_up_planned_on=datetime.date(2026, 2, 12),
    )
    return {"pk": contact.pk}


def _follow_up_of_unit_a(world):
    contact = PatientContactFactory(unit=world.unit_a, contacted_at=datetime.datetime(2026, 1, 15, 10, 0, tzinfo=OSLO))
    follow_up = FollowUpFactory(contact=contact, followed_up_on=datetime.date(2026, 2, 12))
    return {"pk": contact.pk, "follow_up_pk": follow_up.pk}


def _lookup_in_unit_a(world):
    return {"unit": str(world.unit_a.pk), "patient_reference": "EP-1"}


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
    "referrals:contact_list": entry(PATIENT_PAGE),
    "referrals:contact_create": entry(PATIENT_PAGE),
    "referrals:worklist": entry(PATIENT_PAGE),
    "referrals:find_patient": entry(PATIENT_PAGE),
    "referrals:meeting_search": entry(PATIENT_PAGE),
    # Unit B's clinician gets the form back with "not one of your units", never unit A's data.
    "referrals:patient_lookup": entry(PATIENT_PAGE, method="post", data=_lookup_in_unit_a),
    "referrals:contact_detail": entry(UNIT_A_OBJECT, kwargs_factory=_contact_of_unit_a),
    "referrals:contact_edit": entry(UNIT_A_OBJECT, kwargs_factory=_contact_of_unit_a),
    "referrals:contact_delete": entry(UNIT_A_OBJECT, kwargs_factory=_contact_of_unit_a),
    "referrals:follow_up_create": entry(UNIT_A_OBJECT, kwargs_factory=_contact_of_unit_a),
    "referrals:follow_up_edit": entry(UNIT_A_OBJECT, kwargs_factory=_follow_up_of_unit_a),
    "referrals:handout": entry(UNIT_A_OBJECT, kwargs_factory=_referred_contact_of_unit_a),
    "referrals:handout_pdf": entry(UNIT_A_OBJECT, kwargs_factory=_referred_contact_of_unit_a),
    "referrals:import": entry(only("lead_a")),
}
