"""/metrics: Prometheus figures behind a token or a local address; request latency by view, jobs, queue, imports."""

import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ops.models import JobRun
from referrals.models import OSLO


def scrape(client, **headers):
    return client.get("/metrics", **headers)


def test_metrics_are_hidden_from_other_addresses_without_a_token(client, db, settings):
    settings.METRICS_TOKEN = ""

    assert scrape(client, REMOTE_ADDR="10.1.2.3").status_code == 404
    assert scrape(client, REMOTE_ADDR="127.0.0.1").status_code == 200


def test_with_a_token_only_the_token_opens_them(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-token"

    assert scrape(client, REMOTE_ADDR="127.0.0.1").status_code == 404
    assert scrape(client, HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-token", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_request_latency_is_counted_by_view(client, db):
    client.get("/healthz")

    body = scrape(client).content.decode()

    assert 'selvhjelp_request_seconds_count{method="GET",status="2xx",view="healthz"}' in body


def test_job_results_and_the_queue_are_read_from_the_database(client, db):
    finished = datetime.datetime(2026, 12, 1, 2, 31, tzinfo=OSLO)
    JobRun.objects.create(
        job="retention", period="2026-12", started_at=finished, finished_at=finished, status="succeeded"
    )
    JobRun.objects.create(job="monthly_report", period="2026-12", started_at=finished, status="failed")

    body = scrape(client).content.decode()

    assert 'selvhjelp_job_runs{job="retention",status="succeeded"} 1.0' in body
    assert 'selvhjelp_job_runs{job="monthly_report",status="failed"} 1.0' in body
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
    assert samples[("selvhjelp_job_last_success_timestamp_seconds", (("job", "retention"),))] == finished.timestamp()
    assert "selvhjelp_job_queue_length 0.0" in body


def test_committed_contact_imports_are_counted(client, unit_a, django_capture_on_commit_callbacks):
    from prometheus_client import REGISTRY

    from referrals import importers

    before = REGISTRY.get_sample_value("selvhjelp_contact_import_rows_total", {"result": "created"}) or 0
    data = b"date,unit,patient_ref,setting,intensity,fellowships,response,clinician\n"
    data += b"2026-03-01,RUS-POL,EP-1,outpatient,2,,,\n2026-03-02,RUS-POL,EP-2,outpatient,2,,,\n"

    with django_capture_on_commit_callbacks(execute=True):
        importers.apply_import(data)

    after = REGISTRY.get_sample_value("selvhjelp_contact_import_rows_total", {"result": "created"})
    assert after - before == 2
    assert "selvhjelp_contact_import_rows_total" in scrape(client).content.decode()


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_operations_urls_are_not_in_the_access_log(client, db, path):
    from referrals.models import AccessLogEntry

    client.get(path)

    assert AccessLogEntry.objects.count() == 0
