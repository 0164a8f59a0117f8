"""Meeting registry URLs: public while REGISTRY_PUBLIC is on (the default and the matrix's setting).

With REGISTRY_PUBLIC off, anonymous visitors are sent to log in: tests/test_registry_search.py and
tests/test_registry_meeting_pages.py cover that switch. The curation admin is in tests/test_registry_admin.py.
"""

from tests.authorization import entry, public


def _meeting_slug(world):
    from tests.factories import TypedMeetingFactory

    return {"slug": TypedMeetingFactory().slug}


def _group(world):
    from tests.factories import GroupFactory

    return {"pk": GroupFactory().pk}


EXPECTED = {
    "registry:search": entry(public()),
    "registry:search_ics": entry(public()),
    "registry:meeting_detail": entry(public(), kwargs_factory=_meeting_slug),
    "registry:meeting_ics": entry(public(), kwargs_factory=_meeting_slug),
    "registry:group_detail": entry(public(), kwargs_factory=_group),
    # The Meeting Guide feed (registry-exchange's view) lives in the registry namespace.
    "registry:meeting_feed": entry(public()),
}
