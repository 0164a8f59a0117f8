"""The contact import upload page (referrals.import_views): preview, then confirm exactly the previewed file."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership
from core.periods import OSLO
from referrals.import_views import PENDING_KEY
from referrals.models import AccessLogEntry, PatientContact
from referrals.pseudonyms import pseudonym_for
from tests.factories import PatientContactFactory, login

HEADER = "date,unit,patient_ref,setting,intensity,fellowships,response,clinician"
URL = "/contacts/import/"


pytestmark = pytest.mark.usefixtures("frozen_today")  # tests/conftest.py


def upload(client, *rows, name="extract.csv", raw: bytes | None = None):
    content = raw if raw is not None else ("\n".join([HEADER, *rows]) + "\n").encode()
    return client.post(URL, {"action": "upload", "file": SimpleUploadedFile(name, content, content_type="text/csv")})


def test_import_url_is_named():
    assert reverse("referrals:import") == URL


def test_lead_sees_the_upload_form_with_the_column_reference(client, lead_a):
    login(client, lead_a)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html
    assert HEADER in html
    assert "RUS-POL" in html  # the units this lead may import into


@pytest.mark.parametrize("persona", ["clinician_a", "analyst", "curator", "administrator"])
def test_only_unit_leads_may_import(client, request, persona):
    login(client, request.getfixturevalue(persona))

    assert client.get(URL).status_code == 403
    assert upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,").status_code == 403
    assert PatientContact.objects.count() == 0


def test_anonymous_visitor_is_sent_to_log_in(client):
    assert client.get(URL).status_code == 302


def test_valid_file_is_previewed_with_counts_and_nothing_is_written(client, lead_a, unit_a):
    login(client, lead_a)

    response = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,", "2026-03-02,RUS-POL,EP-2,detox,,,,")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview of extract.csv" in html
    assert "All 2 rows are valid" in html
    assert 'name="action" value="confirm"' in html
    assert response.context["plan"].counts["created"] == 2
    assert PatientContact.objects.count() == 0
    assert not AccessLogEntry.objects.exists()


def test_confirm_imports_the_previewed_file_and_shows_the_result(client, lead_a, unit_a):
    login(client, lead_a)
    preview = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,", "2026-03-02,RUS-POL,EP-2,detox,,,,")

    response = client.post(URL, {"action": "confirm", "sha256": preview.context["sha256"]}, REMOTE_ADDR="10.0.0.7")

    assert response.status_code == 302
    assert PatientContact.objects.filter(unit=unit_a).count() == 2
    entries = AccessLogEntry.objects.filter(action="import")
    assert entries.count() == 2
    assert {(entry.user, entry.client_address) for entry in entries} == {(lead_a, "10.0.0.7")}
    assert set(PatientContact.objects.values_list("created_by", flat=True)) == {lead_a.pk}
    result = client.get(URL)
    assert "extract.csv was imported" in result.content.decode()
    assert "2 contacts created" in result.content.decode()
    assert PENDING_KEY not in client.session


def test_confirming_twice_imports_once(client, lead_a, unit_a):
    login(client, lead_a)
    digest = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,").context["sha256"]

    client.post(URL, {"action": "confirm", "sha256": digest})
    second = client.post(URL, {"action": "confirm", "sha256": digest}, follow=True)

    assert PatientContact.objects.count() == 1
    assert "no longer waiting" in second.content.decode()


def test_an_old_preview_cannot_confirm_a_newer_upload(client, lead_a, unit_a):
    login(client, lead_a)
    first = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,").context["sha256"]
    upload(client, "2026-03-01,RUS-POL,EP-9,outpatient,2,,,", "2026-03-01,RUS-POL,EP-10,outpatient,2,,,")

    response = client.post(URL, {"action": "confirm", "sha256": first}, follow=True)

    assert PatientContact.objects.count() == 0
    assert "no longer waiting" in response.content.decode()


def test_tampered_pending_file_is_not_imported(client, lead_a, unit_a):
    login(client, lead_a)
    digest = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,").context["sha256"]
    session = client.session
    session[PENDING_KEY]["data"] = "bm90IHRoZSBmaWxl"
    session.save()

    client.post(URL, {"action": "confirm", "sha256": digest})

    assert PatientContact.objects.count() == 0


def test_invalid_rows_are_all_listed_and_nothing_can_be_confirmed(client, lead_a, unit_a):
    login(client, lead_a)

    response = upload(
        client,
        "2026-03-01,RUS-POL,EP-1,outpatient,2,,,",
        "2026-03-02,RUS-POL,EP-2,outpatient,9,,,",
        "2026-03-03,RUS-POL,01010012356,outpatient,2,,,",
    )

    html = response.content.decode()
    assert "2 of 3 rows are invalid" in html
    assert '<th scope="row">3</th>' in html and '<th scope="row">4</th>' in html
    assert "national identity number" in html and "01010012356" not in html
    assert 'value="confirm"' not in html
    assert PENDING_KEY not in client.session
    assert PatientContact.objects.count() == 0


def test_rows_for_units_the_lead_does_not_lead_are_refused(client, lead_a, unit_a, unit_b):
    login(client, lead_a)

    response = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,", "2026-03-01,RUS-DOGN,EP-2,outpatient,2,,,")

    errors = response.context["plan"].errors
    assert [(error.line, error.reasons) for error in errors] == [
        (3, ["unit “RUS-DOGN” is not one of the units you lead"])
    ]


def test_unreadable_file_gets_a_clear_message(client, lead_a, unit_a):
    login(client, lead_a)

    response = upload(client, raw=b"PK\x03\x04 an xlsx workbook", name="extract.xlsx")

    assert response.status_code == 200
    html = response.content.decode()
    assert "The file cannot be imported" in html and "spreadsheet workbook" in html


def test_missing_file_is_a_form_error(client, lead_a):
    login(client, lead_a)

    response = client.post(URL, {"action": "upload"})

    assert response.status_code == 400
    assert "ds-validation-message" in response.content.decode()


def test_file_over_the_size_limit_is_a_form_error(client, lead_a, settings):
    settings.CONTACT_IMPORT_MAX_BYTES = 50
    login(client, lead_a)

    response = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,")

    assert response.status_code == 400
    assert "too large" in response.content.decode()


def test_cancel_forgets_the_waiting_file(client, lead_a, unit_a):
    login(client, lead_a)
    digest = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,").context["sha256"]

    client.post(URL, {"action": "cancel"})
    client.post(URL, {"action": "confirm", "sha256": digest})

    assert PatientContact.objects.count() == 0


def test_a_waiting_preview_is_shown_again_on_return(client, lead_a, unit_a):
    login(client, lead_a)
    upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,", name="januar.csv")

    html = client.get(URL).content.decode()

    assert "januar.csv is waiting to be imported" in html
    assert 'value="confirm"' in html


def test_file_name_is_escaped(client, lead_a, unit_a):
    login(client, lead_a)

    html = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,", name="<b>x</b>.csv").content.decode()

    assert "<b>x</b>" not in html


@pytest.fixture
def queued(monkeypatch):
    """The worker's queue: tasks wait here until the test runs them (as the `worker` service would)."""
    from referrals import import_tasks

    tasks = []
    monkeypatch.setattr(import_tasks, "async_task", lambda function, *args, **kwargs: tasks.append(args))
    return tasks


def test_a_confirmed_import_runs_on_the_worker_showing_progress_then_the_result(client, lead_a, unit_a, queued):
    from django.core.cache import cache

    from referrals import import_tasks

    login(client, lead_a)
    preview = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,", "2026-03-02,RUS-POL,EP-2,outpatient,2,,,")
    confirm = client.post(URL, {"action": "confirm", "sha256": preview.context["sha256"]}, REMOTE_ADDR="10.0.0.8")

    waiting = client.get(URL).content.decode()
    cache.set(f"referrals:import:{queued[0][0]}", {"state": "check", "done": 1, "total": 2, "name": "extract.csv"})
    polled = client.get(URL, HTTP_HX_REQUEST="true")
    written_before = PatientContact.objects.count()
    assert import_tasks.run(*queued[0]) == "done"
    finished_poll = client.get(URL, HTTP_HX_REQUEST="true")
    result = client.get(URL).content.decode()
    again = client.get(URL).content.decode()

    assert confirm.status_code == 302
    assert "Waiting for the worker to start." in waiting
    assert written_before == 0
    assert 'hx-trigger="every 2s"' in polled.content.decode()
    assert "Checked 1 of 2 rows." in polled.content.decode()
    assert finished_poll["HX-Refresh"] == "true"
    assert "extract.csv was imported" in result and "2 contacts created" in result
    assert "was imported" not in again  # the outcome is shown once
    entries = AccessLogEntry.objects.filter(action="import")
    assert {(entry.user, entry.client_address) for entry in entries} == {(lead_a, "10.0.0.8")}


def test_a_file_that_became_invalid_before_the_worker_ran_is_reported_with_its_rows(client, lead_a, unit_a, queued):
    from referrals import import_tasks

    login(client, lead_a)
    digest = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,").context["sha256"]
    client.post(URL, {"action": "confirm", "sha256": digest})
    unit_a.kind = "clinic"
    unit_a.save()

    assert import_tasks.run(*queued[0]) == "invalid"
    html = client.get(URL).content.decode()

    assert "1 of 1 rows is invalid" in html
    assert PatientContact.objects.count() == 0


def test_an_import_whose_status_expired_says_nothing_was_written(client, lead_a, unit_a, queued):
    from django.core.cache import cache

    login(client, lead_a)
    digest = upload(client, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,").context["sha256"]
    client.post(URL, {"action": "confirm", "sha256": digest})
    cache.clear()

    html = client.get(URL).content.decode()

    assert "The import did not finish. Nothing was written" in html


# The worker checks the confirmed file again against the registry as it is when the worker runs, never trusting the
# preview: what changed in between is refused or taken into account.


def confirmed(client, lead, *rows) -> None:
    login(client, lead)
    digest = upload(client, *rows).context["sha256"]
    client.post(URL, {"action": "confirm", "sha256": digest})


def test_a_lead_who_stopped_leading_the_unit_before_the_worker_ran_imports_nothing(client, lead_a, unit_a, queued):
    from referrals import import_tasks

    confirmed(client, lead_a, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,")
    Membership.objects.filter(user=lead_a, unit=unit_a).delete()

    assert import_tasks.run(*queued[0]) == "invalid"
    assert import_tasks.status(queued[0][0])["errors"] == [(2, ["unit “RUS-POL” is not one of the units you lead"])]
    assert PatientContact.objects.count() == 0


def test_a_clinician_deactivated_before_the_worker_ran_makes_the_row_invalid(
    client, lead_a, unit_a, clinician_a, queued
):
    from referrals import import_tasks

    confirmed(client, lead_a, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,klinikera")
    clinician_a.is_active = False
    clinician_a.save()

    assert import_tasks.run(*queued[0]) == "invalid"
    assert import_tasks.status(queued[0][0])["errors"] == [(2, ["user “klinikera” is deactivated"])]
    assert PatientContact.objects.count() == 0


def test_a_contact_recorded_before_the_worker_ran_is_updated_not_doubled(client, lead_a, unit_a, queued):
    from referrals import import_tasks

    confirmed(client, lead_a, "2026-03-01,RUS-POL,EP-1,outpatient,2,,,")
    recorded = PatientContactFactory(
        unit=unit_a,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 3, 1, 15, 0, tzinfo=OSLO),
        intensity=1,
        response="",
    )

    assert import_tasks.run(*queued[0]) == "done"
    assert import_tasks.status(queued[0][0])["result"]["updated"] == 1
    assert list(PatientContact.objects.values_list("pk", "intensity")) == [(recorded.pk, 2)]


def test_a_row_dated_today_at_the_preview_is_recorded_at_noon_when_the_worker_runs_the_next_day(
    client, lead_a, unit_a, queued
):
    from referrals import import_tasks

    with time_machine.travel(datetime.datetime(2026, 11, 20, 23, 58, tzinfo=OSLO), tick=False):
        confirmed(client, lead_a, "2026-11-20,RUS-POL,EP-1,outpatient,2,,,")
    with time_machine.travel(datetime.datetime(2026, 11, 21, 0, 5, tzinfo=OSLO), tick=False):
        assert import_tasks.run(*queued[0]) == "done"

    contact = PatientContact.objects.get()
    assert contact.contacted_at == datetime.datetime(2026, 11, 20, 12, 0, tzinfo=OSLO)
