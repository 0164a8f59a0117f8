def test_healthz_reports_database_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_home_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_clinician_home_lists_own_unit(client, clinician_a, unit_a):
    from tests.factories import login

    login(client, clinician_a)
    response = client.get("/")
    assert response.status_code == 200
    assert unit_a.code in response.content.decode()
