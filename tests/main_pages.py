"""The product's main pages, with a small world to show them: shared by the header, CSRF and accessibility tests.

`build_world()` makes one meeting, one contact of unit A with a referral to two meetings and a
follow-up, then `main_pages(world)` lists (label, path, persona) for every main page.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.urls import Resolver404, resolve

from tests.factories import FellowshipFactory, FollowUpFactory, MeetingFactory, PatientContactFactory

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


@dataclass(frozen=True)
class MainPage:
    label: str
    path: str
    persona: str | None  # a persona fixture name from tests/conftest.py; None for anonymous

    def __str__(self):
        return self.label


@dataclass
class World:
    meetings: list
    contact: object
    follow_up: object


def build_world(*, unit, clinician) -> World:
    """Two meetings in Kristiansand and one referred contact of `unit` with a follow-up."""
    aa = FellowshipFactory(code="AA")
    meetings = [
        MeetingFactory(name="Tirsdagsgruppa", group__fellowship=aa, weekday=2),
        MeetingFactory(name="Torsdagsmøtet", group__fellowship=aa, weekday=4),
    ]
    contact = PatientContactFactory(
        unit=unit,
        clinician=clinician,
        intensity=2,
        response="positive",
        contacted_at=datetime.datetime(2026, 10, 15, 10, 0, tzinfo=OSLO),
        follow_up_planned_on=datetime.date(2026, 11, 12),
    )
    contact.fellowships.add(aa)
    contact.suggested_meetings.add(*meetings)
    follow_up = FollowUpFactory(contact=contact, clinician=clinician)
    return World(meetings=meetings, contact=contact, follow_up=follow_up)


# Label, path template, persona. Paths take {meeting}, {slug} and {contact}.
PAGES = [
    ("login", "/accounts/login/", None),
    ("password reset", "/accounts/password/reset/", None),
    ("home", "/", "clinician_a"),
    ("meetings search", "/meetings/", "clinician_a"),
    ("meetings search with filters", "/meetings/?q=gruppa&weekday=2", "clinician_a"),
    ("meeting detail", "/meetings/{slug}/", "clinician_a"),
    ("new contact", "/contacts/new/", "clinician_a"),
    ("contact list", "/contacts/", "clinician_a"),
    ("worklist", "/contacts/worklist/", "clinician_a"),
    ("contact detail", "/contacts/{contact}/", "clinician_a"),
    ("contact edit", "/contacts/{contact}/edit/", "clinician_a"),
    ("follow-up", "/contacts/{contact}/follow-up/", "clinician_a"),
    ("handout", "/contacts/{contact}/handout/", "clinician_a"),
    ("find patient", "/contacts/find/", "clinician_a"),
    ("reports", "/reports/", "lead_a"),
    ("reports, all units", "/reports/", "analyst"),
    ("reports comparison", "/reports/compare/", "analyst"),
    ("targets", "/reports/targets/", "lead_a"),
    ("two-factor settings", "/accounts/2fa/", "clinician_a"),
    ("patient access report", "/privacy/patient-access/", "administrator"),
    ("group detail", "/meetings/groups/{group}/", "clinician_a"),
    # Further pages with forms, so that every POST form is checked for its CSRF token.
    ("follow-up edit", "/contacts/{contact}/follow-up/{follow_up}/", "clinician_a"),
    ("contact delete", "/contacts/{contact}/delete/", "clinician_a"),
    ("contact import", "/contacts/import/", "lead_a"),
    ("password change", "/accounts/password/change/", "clinician_a"),
    ("two-factor setup", "/accounts/2fa/setup/", "clinician_a"),
    ("admin meeting import", "/admin/registry/meeting/import/", "curator"),
    ("admin meeting add", "/admin/registry/meeting/add/", "curator"),
    ("admin group change", "/admin/registry/group/{group}/change/", "curator"),
    ("admin meeting list", "/admin/registry/meeting/", "curator"),
    ("admin meeting change", "/admin/registry/meeting/{meeting}/change/", "curator"),
]
# The pages axe-core checks in the browser (the "main pages").
ACCESSIBILITY_PAGES = [
    "login",
    "home",
    "meetings search",
    "meeting detail",
    "new contact",
    "contact detail",
    "contact list",
    "worklist",
    "handout",
    "reports",
    # Beyond the list: the other forms clinicians, leads and analysts use.
    "contact edit",
    "follow-up",
    "find patient",
    "reports comparison",
    "targets",
    "two-factor settings",
]


def main_pages(world: World | None = None) -> list[MainPage]:
    pages = []
    for label, template, persona in PAGES:
        if world is not None:
            path = template.format(
                slug=world.meetings[0].slug,
                meeting=world.meetings[0].pk,
                contact=world.contact.pk,
                group=world.meetings[0].group_id,
                follow_up=world.follow_up.pk,
            )
        else:
            path = template
        pages.append(MainPage(label, path, persona))
    return pages


def page_labels() -> list[str]:
    return [label for label, _, _ in PAGES]


def page_by_label(label: str, world: World) -> MainPage:
    return next(page for page in main_pages(world) if page.label == label)


def require_route(path: str) -> None:
    """Fail when `path` is gone (no URL pattern, or the model left the admin): a hostile test that skipped instead
    would stay green while proving nothing."""
    bare = path.split("?")[0]
    parts = bare.strip("/").split("/")
    if parts[0] == "admin" and len(parts) >= 3:
        from django.apps import apps
        from django.contrib import admin

        model = apps.get_model(parts[1], parts[2])
        if not admin.site.is_registered(model):
            pytest.fail(f"{model.__name__} is not in the admin")
    try:
        resolve(bare)
    except Resolver404:
        pytest.fail(f"{path} has no URL pattern")


class FormFinder(HTMLParser):
    """Every <form>'s method, action and field names in an HTML page."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._inside = True
            method = (attributes.get("method") or "get").lower()
            self.forms.append({"method": method, "action": attributes.get("action"), "fields": {}})
        elif tag in ("input", "select", "textarea", "button") and self._inside and attributes.get("name"):
            self.forms[-1]["fields"].setdefault(attributes["name"], attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def forms_in(html: str) -> list[dict]:
    finder = FormFinder()
    finder.feed(html)
    return finder.forms
