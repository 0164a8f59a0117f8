"""The admin's meeting import (upload → preview → confirm) and CSV export."""

import csv
import io
import json
import zlib

import pytest
from django.core.cache import cache
from django.urls import reverse

from registry import admin_import
from registry.csv_export import COLUMNS, TEMPLATE_COLUMNS
from registry.models import Meeting, Status
from tests.factories import FellowshipFactory, MeetingFactory, login

IMPORT_URL = "/admin/registry/meeting/import/"
CONFIRM_URL = "/admin/registry/meeting/import/confirm/"
CHANGELIST_URL = "/admin/registry/meeting/"


@pytest.fixture(autouse=True)
def setup(db):
    cache.clear()
    FellowshipFactory(code="AA")


def feed_file(*records, name="feed.json"):
    upload = io.BytesIO(json.dumps(list(records)).encode())
    upload.name = name
    return upload


def record(**overrides):
    base = {
        "name": "Tirsdagsgruppa",
        "slug": "tirsdagsgruppa",
        "day": 2,
        "time": "19:00",
        "address": "Storgata 1",
        "postal_code": "4611",
        "types": ["O"],
    }
    base.update(overrides)
    return base


def upload(client, *records, **fields):
    data = {"file": feed_file(*records), "fellowship": "AA", "source_name": "", **fields}
    return client.post(IMPORT_URL, data)


def test_admin_urls_are_wired_into_the_meeting_admin():
    assert reverse("admin:registry_meeting_import") == IMPORT_URL
    assert reverse("admin:registry_meeting_import_confirm") == CONFIRM_URL


@pytest.mark.parametrize("persona_client", ["anonymous", "clinician_a", "lead_a", "analyst"], indirect=True)
def test_only_curators_and_administrators_reach_import_confirm_and_export(persona_client):
    MeetingFactory(slug="private-export-check")
    for response in (
        persona_client.get(IMPORT_URL),
        persona_client.post(IMPORT_URL, {"file": feed_file(record()), "fellowship": "AA"}),
        persona_client.post(CONFIRM_URL, {"token": "x", "sha256": "y"}),
        persona_client.get("/admin/registry/meeting/export.csv"),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert list(Meeting.objects.values_list("slug", flat=True)) == ["private-export-check"]


@pytest.mark.parametrize("persona_client", ["curator", "administrator"], indirect=True)
def test_curators_and_administrators_see_the_upload_form(persona_client):
    response = persona_client.get(IMPORT_URL)
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_changelist_links_to_import_and_export(client, curator):
    login(client, curator)
    body = client.get(CHANGELIST_URL).content.decode()
    assert IMPORT_URL in body
    assert "/admin/registry/meeting/export.csv" in body


def test_upload_shows_a_preview_and_writes_nothing(client, curator):
    login(client, curator)
    MeetingFactory(slug="existing", name="Gammelt navn")
    response = upload(client, record(), record(slug="existing", name="Nytt navn"), record(slug="third", day=0))
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    body = response.content.decode()
    assert "Tirsdagsgruppa" in body
    assert "tirsdagsgruppa" in body
    assert 'name="token"' in body
    assert Meeting.objects.count() == 1
    assert Meeting.objects.get().name == "Gammelt navn"


def test_confirm_applies_exactly_the_previewed_file(client, curator):
    login(client, curator)
    preview = upload(client, record(), record(slug="b", day=3), source_name="intergruppe")
    token, digest = preview.context["token"], preview.context["sha256"]
    response = client.post(CONFIRM_URL, {"token": token, "sha256": digest})
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST_URL
    assert set(Meeting.objects.values_list("slug", "source")) == {
        ("tirsdagsgruppa", "intergruppe"),
        ("b", "intergruppe"),
    }
    # The stored upload is used up: confirming again imports nothing more and says why.
    again = client.post(CONFIRM_URL, {"token": token, "sha256": digest}, follow=True)
    assert "expired" in again.content.decode()


def test_confirm_records_the_curator_in_the_history(client, curator):
    from auditlog.models import LogEntry

    login(client, curator)
    preview = upload(client, record())
    client.post(CONFIRM_URL, {"token": preview.context["token"], "sha256": preview.context["sha256"]})
    entry = LogEntry.objects.get_for_object(Meeting.objects.get()).get()
    assert entry.actor == curator


def test_confirm_with_a_wrong_digest_or_anothers_token_writes_nothing(client, curator, administrator):
    login(client, curator)
    preview = upload(client, record())
    token = preview.context["token"]
    client.post(CONFIRM_URL, {"token": token, "sha256": "0" * 64})
    assert Meeting.objects.count() == 0
    other = client.__class__()
    login(other, administrator)
    other.post(CONFIRM_URL, {"token": token, "sha256": preview.context["sha256"]})
    assert Meeting.objects.count() == 0


def test_the_upload_itself_is_kept_server_side_not_resent(client, curator):
    login(client, curator)
    preview = upload(client, record())
    pending = cache.get(admin_import.PENDING_KEY_PREFIX + preview.context["token"])
    assert json.loads(zlib.decompress(pending["content_zlib"])) == [record()]
    assert "file" not in preview.content.decode().split("import/confirm/")[1].split("</form>")[0]


def test_an_invalid_file_lists_every_problem_and_offers_no_confirm(client, curator):
    login(client, curator)
    response = upload(client, record(), record(slug="bad", day=9), record(slug="worse", time="late"))
    body = response.content.decode()
    assert response.context["result"].problems
    assert "“9” is not a day" in body
    assert "“late” is not a time" in body
    assert "record 2" in body and "record 3" in body
    assert 'name="token"' not in body
    assert Meeting.objects.count() == 0


def test_an_unreadable_file_is_a_form_error(client, curator):
    login(client, curator)
    bad = io.BytesIO(b"[{not json")
    bad.name = "feed.json"
    response = client.post(IMPORT_URL, {"file": bad, "fellowship": "AA"})
    assert response.status_code == 200
    assert "Not valid JSON" in response.content.decode()
    assert Meeting.objects.count() == 0


def test_deactivate_missing_from_the_admin(client, curator):
    login(client, curator)
    MeetingFactory(slug="old", source="intergruppe")
    preview = upload(client, record(), source_name="intergruppe", deactivate_missing="on")
    assert preview.context["result"].deactivated == 1
    client.post(CONFIRM_URL, {"token": preview.context["token"], "sha256": preview.context["sha256"]})
    assert Meeting.objects.get(slug="old").status == Status.INACTIVE


# --- CSV export -----------------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_export_action_writes_the_selected_meetings_in_template_columns(client, curator):
    login(client, curator)
    chosen = MeetingFactory(slug="chosen", name="=HYPERLINK(evil)", conference_phone="+4722000000")
    chosen.types.set(["O", "C", "X"])
    MeetingFactory(slug="not-chosen")
    response = client.post(
        CHANGELIST_URL, {"action": "export_meetings_csv", "_selected_action": [chosen.pk], "index": 0}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert [row["Slug"] for row in rows] == ["chosen"]
    row = rows[0]
    assert list(row)[: len(TEMPLATE_COLUMNS)] == TEMPLATE_COLUMNS
    assert list(row) == COLUMNS
    assert (row["Time"], row["End Time"], row["Day"]) == ("7:00 PM", "8:30 PM", "Tuesday")
    assert row["Types"] == "Closed, Wheelchair Access"
    assert row["Address"] == "Gyldenløves gate 1, 4611 Kristiansand, Norway"
    assert (row["Region"], row["Sub Region"]) == ("Agder", "Kristiansand")
    assert row["Name"] == "'=HYPERLINK(evil)"  # never run as a formula by a spreadsheet
    assert row["Conference Phone"] == "'+4722000000"


def test_export_all_follows_the_changelist_filters(client, curator):
    login(client, curator)
    MeetingFactory(slug="active-one")
    MeetingFactory(slug="inactive-one", status=Status.INACTIVE)
    response = client.get("/admin/registry/meeting/export.csv?status__exact=inactive")
    assert [row["Slug"] for row in read_csv(response)] == ["inactive-one"]


def test_csv_export_imports_again_without_changes(client, curator, tmp_path):
    from django.core.management import call_command

    login(client, curator)
    weekly = MeetingFactory(
        slug="weekly", notes="- ta med bok", location_notes="2. etasje", latitude=58.1, longitude=8.0
    )
    weekly.types.set(["C", "BE"])
    MeetingFactory(
        slug="online",
        attendance_mode="online",
        address="",
        postal_code="",
        municipality=None,
        conference_url="https://zoom.example.org/j/1",
        conference_url_notes="Passord: 1",
        languages="nb,en",
    )
    MeetingFactory(slug="monthly", recurrence="monthly", week_of_month=-1, status=Status.TEMPORARILY_CLOSED)
    response = client.get("/admin/registry/meeting/export.csv")
    path = tmp_path / "export.csv"
    path.write_bytes(b"".join(response.streaming_content) if response.streaming else response.content)
    out = io.StringIO()
    call_command("import_meetings", str(path), stdout=out)
    assert "created: 0, updated: 3, unchanged: 0" in out.getvalue()  # only the source name is new
    out = io.StringIO()
    call_command("import_meetings", str(path), stdout=out)
    assert "created: 0, updated: 0, unchanged: 3" in out.getvalue()
    Meeting.objects.all().delete()
    call_command("import_meetings", str(path), stdout=io.StringIO())
    again = client.get("/admin/registry/meeting/export.csv")
    assert read_csv(again) == read_csv(response)
