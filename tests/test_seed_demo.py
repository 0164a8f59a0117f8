"""`manage.py seed_demo`: the demo organisation and one user per role, safe to run twice."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts import demo
from accounts.models import Membership, Unit, User
from config import site


@pytest.fixture
def no_app_seeds(monkeypatch):
    """Only the accounts part: other apps' demo data has its own tests."""
    monkeypatch.setattr(site, "DEMO_SEEDS", [demo.seed])


def _seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_creates_trust_clinic_and_three_units(db, settings, no_app_seeds):
    settings.DEMO_MODE = True
    _seed()
    units = {unit.code: unit for unit in Unit.objects.all()}
    assert units["HF-DEMO"].kind == Unit.Kind.HEALTH_TRUST
    assert units["DEMO-KLINIKK-RUS"].parent == units["HF-DEMO"]
    settings_of_units = {unit.setting for unit in units.values() if unit.kind == Unit.Kind.UNIT}
    assert settings_of_units == {"outpatient", "inpatient", "detox"}
    assert units["DEMO-RUS-POL"].municipality.name == "Kristiansand"
    assert units["DEMO-RUS-POL"].path == "/HF-DEMO/DEMO-KLINIKK-RUS/DEMO-RUS-POL/"


def test_seed_demo_creates_one_user_per_role_with_the_demo_password(db, settings, no_app_seeds):
    settings.DEMO_MODE = True
    _seed()
    users = {user.username: user for user in User.objects.all()}
    assert set(users) == {"kliniker", "kliniker2", "leder", "kurator", "analytiker", "administrator"}
    assert all(user.check_password(settings.DEMO_PASSWORD) for user in users.values())
    memberships = {(m.user.username, m.unit.code, m.role) for m in Membership.objects.select_related("user", "unit")}
    assert memberships == {
        ("kliniker", "DEMO-RUS-POL", "clinician"),
        ("kliniker2", "DEMO-RUS-DOGN", "clinician"),
        ("leder", "DEMO-RUS-POL", "lead"),
    }
    assert users["kurator"].is_curator and users["kurator"].is_staff
    assert users["analytiker"].is_quality_analyst and not users["analytiker"].is_staff
    assert users["administrator"].is_superuser


def test_seed_demo_twice_changes_nothing(db, settings, no_app_seeds):
    settings.DEMO_MODE = True
    _seed()
    before = (Unit.objects.count(), User.objects.count(), Membership.objects.count())
    output = _seed()
    assert (Unit.objects.count(), User.objects.count(), Membership.objects.count()) == before
    assert "(0 new)" in output


def test_seed_demo_refuses_to_run_outside_demo_mode(db, settings, no_app_seeds):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE is off"):
        _seed()
    assert not User.objects.exists()


def test_seed_demo_runs_outside_demo_mode_with_force(db, settings, no_app_seeds):
    settings.DEMO_MODE = False
    _seed("--force")
    assert User.objects.filter(username="kliniker").exists()


def test_seed_demo_calls_each_apps_seed_in_order_after_the_organisation(db, settings, monkeypatch):
    settings.DEMO_MODE = True
    calls = []

    def app_seed(name):
        def seed(stdout):
            calls.append((name, User.objects.filter(username="kliniker").exists()))

        return seed

    monkeypatch.setattr(site, "DEMO_SEEDS", [demo.seed, app_seed("registry"), app_seed("referrals")])
    _seed()
    assert calls == [("registry", True), ("referrals", True)]


def test_seed_demo_runs_every_apps_demo_seed(db, settings):
    # Running each app's seed twice is tested in that app's demo tests (tests/test_<app>_demo.py).
    settings.DEMO_MODE = True
    output = _seed()
    assert "Demo data is ready." in output
    assert User.objects.filter(username__in=["kliniker", "leder"]).count() == 2


def test_demo_users_can_log_in_after_seeding(client, db, settings, no_app_seeds):
    settings.DEMO_MODE = True
    _seed()
    response = client.post("/accounts/login/", {"username": "leder", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302
