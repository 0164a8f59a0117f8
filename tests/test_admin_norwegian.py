"""The administration in Norwegian throughout (issue 17, 8), with the catalogue the product ships."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.factories import MeetingFactory, login

polib = pytest.importorskip("polib")
pytestmark = pytest.mark.django_db

LOCALE = Path(django_settings.BASE_DIR) / "locale"


@pytest.fixture
def norwegian_admin(client, administrator, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    login(client, administrator)
    return client


def visible_text(response) -> str:
    html = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


ENGLISH_LEFT_BEFORE = [
    "Please correct the error",
    "Show counts",
    "Audit log",
    "Axes",
    "Access attempts",
    "Access failures",
    "Access logs",
    "After you’ve created a user",
    "Password-based authentication",
    "Whether the user will be able to authenticate",
    "Toggle theme",
    "Model name",
    "Legg til ny møte",
    "Legg til ny medlemskap",
    "Legg til ny Enhetsmedlemskap",
]


def test_the_admin_pages_have_no_english_left(norwegian_admin, administrator):
    meeting = MeetingFactory()
    pages = [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{administrator.pk}/change/",
        "/admin/accounts/membership/add/",
        "/admin/registry/meeting/add/",
        f"/admin/registry/meeting/{meeting.pk}/history/",
        "/admin/axes/accessattempt/",
        "/admin/auditlog/logentry/",
    ]
    text = " ".join(visible_text(norwegian_admin.get(page)) for page in pages)
    text += visible_text(norwegian_admin.post("/admin/accounts/user/add/", {"username": ""}))
    left = [phrase for phrase in ENGLISH_LEFT_BEFORE if phrase in text]
    assert not left, f"English (or ungendered) left in the Norwegian admin: {left}"
    for norwegian in ["Rett feilene nedenfor.", "Vis antall", "Endringslogg", "Innloggingssperre", "Legg til møte"]:
        assert norwegian in text


def test_one_thing_only_is_called_groups(norwegian_admin):
    index = visible_text(norwegian_admin.get("/admin/"))
    assert index.count("Grupper") == 1
    assert norwegian_admin.get("/admin/auth/group/").status_code == 404


def test_the_change_history_says_what_happened_in_norwegian(norwegian_admin):
    meeting = MeetingFactory()
    history = visible_text(norwegian_admin.get(f"/admin/registry/meeting/{meeting.pk}/history/"))
    assert " create " not in f" {history} "
    assert "opprettet" in history


# The third-party lists (issue 17, 8): django-q2's names and columns, and what django-auditlog writes without gettext.
ENGLISH_IN_THIRD_PARTY_LISTS = [
    "Scheduled task",
    "Successful task",
    "Failed task",
    "Queued task",
    "Schedule Type",
    "Next Run",
    "Repeats",
    "Function",
    "Cluster",
    "Last_run",
    "Once Minutes Hourly",
    "Correlation ID",
    " changes: ",
    " change: ",
]


def test_the_admin_index_and_every_list_have_no_english_left(norwegian_admin):
    from django.contrib import admin

    meeting = MeetingFactory()
    meeting.name = "Nytt navn"
    meeting.save()
    lists = [f"/admin/{model._meta.app_label}/{model._meta.model_name}/" for model in admin.site._registry]
    responses = {page: norwegian_admin.get(page) for page in ["/admin/", *lists]}
    assert {page: response.status_code for page, response in responses.items() if response.status_code != 200} == {}
    left = {
        page: [phrase for phrase in ENGLISH_IN_THIRD_PARTY_LISTS if phrase in visible_text(response)]
        for page, response in responses.items()
    }
    assert {page: phrases for page, phrases in left.items() if phrases} == {}
    index = visible_text(responses["/admin/"])
    for norwegian in ["Jobbkø", "Planlagte jobber", "Vellykkede jobber", "Mislykkede jobber", "Jobber i kø"]:
        assert norwegian in index
    change_log = responses["/admin/auditlog/logentry/"]
    assert "1 endring: Navn" in visible_text(change_log)
    assert "Korrelasjons-ID" in visible_text(change_log)
    object_types = re.findall(r'href="\?resource_type=\d+"[^>]*>([^<]+)<', change_log.content.decode())
    assert sorted(object_types) == ["Møteregister | gruppe", "Møteregister | møte"]
