"""ops.logs: one JSON line per request, with a request id and the user's id, and never patient data."""

import json
import logging

import pytest
from django.http import HttpResponse
from django.urls import path

from ops.logs import JsonFormatter
from referrals.pseudonyms import pseudonym_for
from tests.factories import PatientContactFactory, login


@pytest.fixture
def log_lines():
    """Every log line written (any logger), formatted as production writes them."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


def test_a_contact_page_gives_one_request_line_without_patient_data(client, clinician_a, unit_a, log_lines):
    reference = "EP-44123"
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a, patient_pseudonym=pseudonym_for(reference))
    login(client, clinician_a)

    response = client.get(f"/contacts/{contact.pk}/?patient_reference={reference}", HTTP_X_REQUEST_ID="req-1")

    assert response.status_code == 200
    request_lines = [json.loads(line) for line in log_lines if '"selvhjelp.request"' in line]
    assert request_lines == [
        {
            "time": request_lines[0]["time"],
            "level": "INFO",
            "logger": "selvhjelp.request",
            "message": f"GET /contacts/{contact.pk}/ 200",
            "request_id": "req-1",
            "method": "GET",
            "path": f"/contacts/{contact.pk}/",
            "view": "referrals:contact_detail",
            "status": 200,
            "duration_ms": request_lines[0]["duration_ms"],
            "user_id": clinician_a.pk,
        }
    ]
    everything = "\n".join(log_lines)
    for secret in (reference, contact.patient_pseudonym, contact.fingerprint, contact.patient_pseudonym[:8]):
        assert secret not in everything
    assert response["X-Request-ID"] == "req-1"


def test_a_request_without_a_usable_id_gets_a_new_one(client, db, log_lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="not valid\nid")

    line = json.loads(next(line for line in log_lines if '"selvhjelp.request"' in line))
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["user_id"] is None


def noisy_view(request):
    logging.getLogger("selvhjelp.test").warning("inside the view")
    return HttpResponse("ok")


urlpatterns = [path("noisy", noisy_view)]


@pytest.mark.urls(__name__)
def test_other_log_lines_written_during_a_request_carry_its_id(client, db, log_lines):
    client.get("/noisy", HTTP_X_REQUEST_ID="abc-123")

    lines = [json.loads(line) for line in log_lines]
    assert [(line["logger"], line["request_id"]) for line in lines] == [
        ("selvhjelp.test", "abc-123"),
        ("selvhjelp.request", "abc-123"),
    ]
