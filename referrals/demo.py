"""Demo patient contacts for `manage.py seed_demo`: 13 months in the demo units.

The referral rate (intensity 2 or more) starts near the national 15% and rises toward a 40%
target, as a unit that takes up the routine would. Contacts get follow-ups; the last weeks' are
partly missing, so the worklist has overdue rows. Meetings are suggested from the registry when
it has some.

Safe to run twice: every generated row has a deterministic submission token, and only rows not
yet in the database are written (bulk inserts; save() is bypassed, so derived fields are set here).
"""

from __future__ import annotations

import datetime
import random
import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Unit
from core.periods import OSLO, month_start
from referrals.models import (
    Attended,
    ClosureReason,
    FollowUp,
    PatientContact,
    PriorExperience,
    Reason,
    Response,
    Substance,
)
from referrals.pseudonyms import pseudonym_for
from registry.models import Fellowship, Meeting

# The foundation's demo units (accounts/demo.py), with monthly volume and patient prefix.
DEMO_UNITS = {
    "DEMO-RUS-POL": {"contacts_per_month": 60, "prefix": "POL"},
    "DEMO-RUS-DOGN": {"contacts_per_month": 32, "prefix": "DOGN"},
    "DEMO-RUS-AVR": {"contacts_per_month": 28, "prefix": "AVR"},
}
MONTHS = 13
START_RATE = 0.15
TARGET_RATE = 0.40
TOKEN_NAMESPACE = uuid.UUID("6f1d3c1e-6d0c-4c59-9a44-1f0a5f7c2b10")
OBJECTIONS = [
    Reason.CANNOT_TALK_IN_GROUPS,
    Reason.MENTAL_HEALTH_NOT_ADDICTION,
    Reason.NOT_ROCK_BOTTOM,
    Reason.RELIGION,
    Reason.DISLIKES_FORMAT,
    Reason.PRACTICAL_BARRIERS,
    Reason.PREFERS_OTHER_SUPPORT,
]


def _months_back(today: datetime.date, count: int) -> list[datetime.date]:
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def _contact_time(rng: random.Random, month: datetime.date, now: datetime.datetime) -> datetime.datetime | None:
    """A weekday in working hours in `month`, not after now."""
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    last_day = min((next_month - datetime.timedelta(days=1)), timezone.localtime(now, OSLO).date())
    if last_day < month:
        return None
    for _ in range(10):
        day = month + datetime.timedelta(days=rng.randrange((last_day - month).days + 1))
        if day.isoweekday() <= 5:
            break
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(8, 15), rng.choice([0, 15, 30, 45])), OSLO)
    return min(moment, now)


def _intensity(rng: random.Random, referred: bool) -> int | None:
    if referred:
        return rng.choices([2, 3, 4], weights=[70, 20, 10])[0]
    return rng.choices([None, 0, 1], weights=[6, 54, 40])[0]


def _units() -> list[Unit]:
    return list(Unit.objects.filter(code__in=DEMO_UNITS).select_related("municipality"))


def _clinicians(unit: Unit) -> list:
    members = [m.user for m in Membership.objects.filter(unit=unit).select_related("user").order_by("user__username")]
    if members:
        return members
    # A unit without members of its own (the demo detox unit) borrows the clinic's people.
    return [
        m.user
        for m in Membership.objects.filter(unit__parent=unit.parent_id)
        .select_related("user")
        .order_by("user__username")
    ][:2]


def _meetings_by_fellowship(unit: Unit) -> dict[str, list[Meeting]]:
    meetings = list(Meeting.objects.active().select_related("group__fellowship").order_by("slug")[:400])
    local = [m for m in meetings if m.municipality_id == unit.municipality_id] or meetings
    result: dict[str, list[Meeting]] = {}
    for meeting in local:
        result.setdefault(meeting.group.fellowship.code, []).append(meeting)
    return result


@transaction.atomic
def seed(stdout) -> None:
    units = _units()
    if not units:
        stdout.write("Referrals demo: no demo units (run the accounts demo first); skipped.")
        return
    fellowships = {f.code: f for f in Fellowship.objects.filter(code__in=["AA", "NA"])}
    now = timezone.now()
    today = timezone.localtime(now, OSLO).date()
    months = _months_back(today, MONTHS)
    created_contacts = created_follow_ups = 0
    for unit in units:
        contacts, follow_ups = _store_new(_plan_unit(unit, months=months, now=now, fellowships=fellowships), today)
        created_contacts += contacts
        created_follow_ups += follow_ups
    stdout.write(
        f"Referrals demo: {created_contacts} new contacts and {created_follow_ups} follow-ups "
        f"over {MONTHS} months in {len(units)} units."
    )


Planned = list[tuple[PatientContact, list[Fellowship], list[Meeting]]]


def _plan_unit(unit, *, months: list, now, fellowships: dict) -> Planned:
    """Every demo contact of one unit, unsaved, with its fellowships and meetings; the same on every run."""
    config = DEMO_UNITS[unit.code]
    rng = random.Random(f"referrals-demo-{unit.code}")  # noqa: S311 - demo data, not security
    clinicians = _clinicians(unit)
    meetings = _meetings_by_fellowship(unit)
    patients = [f"{config['prefix']}-{n:05d}" for n in range(config["contacts_per_month"] * 8)]
    pseudonyms: dict[str, str] = {}
    planned: Planned = []
    for index, month in enumerate(months):
        rate = START_RATE + (TARGET_RATE - START_RATE) * index / (MONTHS - 1)
        rate = max(0.05, min(0.6, rate + rng.uniform(-0.02, 0.02)))
        volume = config["contacts_per_month"] + rng.randint(-5, 5)
        # Exactly the month's share is referred, so the trend is visible even in a small unit.
        referred = set(rng.sample(range(volume), k=round(rate * volume)))
        for number in range(volume):
            contacted_at = _contact_time(rng, month, now)
            # Draw everything even for skipped rows, so the sequence is the same on every run.
            reference = rng.choice(patients)
            intensity = _intensity(rng, number in referred)
            substance = rng.choices(
                [Substance.ALCOHOL, Substance.DRUGS, Substance.BOTH, Substance.UNKNOWN], weights=[45, 30, 20, 5]
            )[0]
            draws = [rng.random() for _ in range(8)]
            if contacted_at is None:
                continue
            chosen_fellowships, chosen_meetings, response, reasons = _referral(
                rng, intensity=intensity, substance=substance, draws=draws, fellowships=fellowships, meetings=meetings
            )
            clinician = clinicians[number % len(clinicians)] if clinicians else None
            contact = PatientContact(
                unit=unit,
                contacted_at=contacted_at,
                contact_month=month_start(contacted_at),
                clinician=clinician,
                created_by=clinician,
                patient_pseudonym=pseudonyms.setdefault(reference, pseudonym_for(reference)),
                setting=unit.setting or "outpatient",
                main_substance=substance,
                prior_twelve_step=PriorExperience.YES if draws[4] < 0.2 else PriorExperience.UNKNOWN,
                intensity=intensity,
                response=response,
                reasons=reasons,
                not_suitable=Reason.NOT_SUITABLE in reasons,
                precaution_comorbidity=draws[5] < 0.15,
                precaution_opioid_maintenance=draws[6] < 0.08 and substance != Substance.ALCOHOL,
                volunteer_contact_arranged=intensity is not None and intensity >= 3,
                follow_up_planned_on=(
                    timezone.localtime(contacted_at, OSLO).date() + datetime.timedelta(weeks=4)
                    if intensity is not None and intensity >= 1
                    else None
                ),
                submission_token=uuid.uuid5(TOKEN_NAMESPACE, f"{unit.code}/{month:%Y-%m}/{number}"),
            )
            contact.follow_up_draw = draws[7]
            planned.append((contact, chosen_fellowships, chosen_meetings))
    return planned


def _referral(rng, *, intensity, substance, draws: list[float], fellowships: dict, meetings: dict) -> tuple:
    """(fellowships, meetings, response, reasons) of one contact, from its intensity and main substance."""
    chosen_fellowships: list[Fellowship] = []
    chosen_meetings: list[Meeting] = []
    response = ""
    reasons: list[str] = []
    if intensity is not None and intensity >= 1:
        codes = {Substance.ALCOHOL: ["AA"], Substance.DRUGS: ["NA"]}.get(substance, ["AA", "NA"])
        chosen_fellowships = [fellowships[c] for c in codes if c in fellowships]
        if intensity >= 2:
            pool = [m for c in codes for m in meetings.get(c, [])]
            if pool:
                chosen_meetings = rng.sample(pool, k=min(len(pool), 1 + (draws[0] < 0.5)))
        response = Response.POSITIVE if draws[1] < 0.5 else Response.UNDECIDED if draws[1] < 0.8 else Response.DECLINED
        if response == Response.DECLINED:
            reasons = [OBJECTIONS[int(draws[2] * len(OBJECTIONS))]]
    elif intensity == 0 and draws[3] < 0.1:
        response, reasons = "", [Reason.NOT_SUITABLE]
    return chosen_fellowships, chosen_meetings, response, reasons


def _store_new(planned: Planned, today: datetime.date) -> tuple[int, int]:
    """Save the planned contacts not stored yet (by submission token), their links and follow-ups; the counts."""
    existing = set(
        PatientContact.objects.filter(submission_token__in=[c.submission_token for c, _, _ in planned]).values_list(
            "submission_token", flat=True
        )
    )
    new = [(c, f, m) for c, f, m in planned if c.submission_token not in existing]
    PatientContact.objects.bulk_create([c for c, _, _ in new], batch_size=500)
    stored = dict(
        PatientContact.objects.filter(submission_token__in=[c.submission_token for c, _, _ in new]).values_list(
            "submission_token", "pk"
        )
    )
    fellowship_links, meeting_links, follow_ups = [], [], []
    for contact, chosen_fellowships, chosen_meetings in new:
        contact.pk = stored[contact.submission_token]
        fellowship_links += [
            PatientContact.fellowships.through(patientcontact_id=contact.pk, fellowship_id=f.pk)
            for f in chosen_fellowships
        ]
        meeting_links += [
            PatientContact.suggested_meetings.through(patientcontact_id=contact.pk, meeting_id=m.pk)
            for m in chosen_meetings
        ]
        follow_up = _follow_up(contact, today)
        if follow_up is not None:
            follow_ups.append(follow_up)
    PatientContact.fellowships.through.objects.bulk_create(fellowship_links, batch_size=1000)
    PatientContact.suggested_meetings.through.objects.bulk_create(meeting_links, batch_size=1000)
    FollowUp.objects.bulk_create(follow_ups, batch_size=500)
    return len(new), len(follow_ups)


def _follow_up(contact: PatientContact, today: datetime.date) -> FollowUp | None:
    """Most due follow-ups are done; about a third of those due in the last six weeks are not (the worklist)."""
    planned = contact.follow_up_planned_on
    if planned is None or planned > today:
        return None
    draw = contact.follow_up_draw
    if (today - planned).days <= 42:
        if draw < 0.35:
            return None
    elif draw < 0.02:
        return None
    intensity = contact.intensity or 0
    attend_chance = {1: 0.3, 2: 0.5, 3: 0.7, 4: 0.85}.get(intensity, 0.2)
    attended = Attended.YES if draw < attend_chance else Attended.NO if draw < 0.9 else Attended.UNKNOWN
    meetings = int(1 + draw * 10) if attended == Attended.YES else (0 if attended == Attended.NO else None)
    day = min(planned + datetime.timedelta(days=int(draw * 10)), today)
    return FollowUp(
        contact=contact,
        followed_up_on=day,
        clinician=contact.clinician,
        attended=attended,
        meetings_last_30_days=meetings,
        has_sponsor=attended == Attended.YES and draw < 0.2,
        did_service=attended == Attended.YES and draw < 0.15,
        reads_literature=attended == Attended.YES and draw < 0.4,
        sees_self_as_member=attended == Attended.YES and draw < 0.3,
        closure_reason=ClosureReason.CONTINUES if attended == Attended.YES else ClosureReason.NEVER_STARTED,
        submission_token=uuid.uuid5(TOKEN_NAMESPACE, f"follow-up/{contact.submission_token}"),
    )
