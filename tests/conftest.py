"""Personas shared by the suite: two units, one person per role."""

import datetime
import os

import pytest
import time_machine
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from accounts.models import Membership, Unit
from core.periods import OSLO
from referrals.pseudonyms import pseudonym_for
from tests.factories import (
    FellowshipFactory,
    MembershipFactory,
    PatientContactFactory,
    UnitFactory,
    UserFactory,
    login,
)

# Hypothesis: random examples locally (each run may find something new), the same examples on CI (.ci/run sets
# HYPOTHESIS_PROFILE=ci), so that a green CI run stays green. Loaded before the test modules build their settings.
hypothesis_settings.register_profile("dev", derandomize=False, database=None)
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def principals_forgotten():
    """No test starts with users a previous test's requests kept in this process (accounts/principals.py): the
    ids of rolled-back users come again on SQLite."""
    from accounts import principals

    principals.forget()


@pytest.fixture(autouse=True)
def language_restored():
    """Each test leaves the language as it found it: one that activates Norwegian and stops there must not hand
    it on (a job's summary read after the admin tests came out in Norwegian)."""
    language = translation.get_language()
    yield
    if language:
        translation.activate(language)
    else:
        translation.deactivate_all()


@pytest.fixture
def trust(db):
    return UnitFactory(code="HF-DEMO", name="Demo helseforetak", kind=Unit.Kind.HEALTH_TRUST)


@pytest.fixture
def clinic(trust):
    return UnitFactory(code="KLINIKK-RUS", name="Klinikk for rus", kind=Unit.Kind.CLINIC, parent=trust)


@pytest.fixture
def unit_a(clinic):
    return UnitFactory(code="RUS-POL", name="Rus poliklinikk", parent=clinic, setting="outpatient")


@pytest.fixture
def unit_b(clinic):
    return UnitFactory(code="RUS-DOGN", name="Rus døgn", parent=clinic, setting="inpatient")


@pytest.fixture
def clinician_a(unit_a):
    return MembershipFactory(user=UserFactory(username="klinikera"), unit=unit_a).user


@pytest.fixture
def clinician_b(unit_b):
    return MembershipFactory(user=UserFactory(username="klinikerb"), unit=unit_b).user


@pytest.fixture
def lead_a(unit_a):
    return MembershipFactory(user=UserFactory(username="ledera"), unit=unit_a, role=Membership.Role.LEAD).user


@pytest.fixture
def analyst(db):
    return UserFactory(username="analytiker", is_quality_analyst=True)


@pytest.fixture
def curator(db):
    return UserFactory(username="kurator", is_curator=True)


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin", is_superuser=True)


PERSONAS = ["anonymous", "clinician_a", "clinician_b", "lead_a", "analyst", "curator", "administrator"]


@pytest.fixture
def persona_client(request, client):
    """A client logged in as the persona named by indirect parametrisation."""
    name = request.param
    if name != "anonymous":
        login(client, request.getfixturevalue(name))
    return client


@pytest.fixture(autouse=True)
def reference_data_after_flush(request):
    """Transactional tests start after another one's flush emptied every table, migrations' rows included."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        from tests.reference_data import load_reference_data

        request.getfixturevalue("transactional_db")
        load_reference_data()


# --- A real OpenID Provider on loopback (tests/oidc) -------------------------------------------------------


@pytest.fixture(scope="session")
def oidc_provider():
    """npm oidc-provider on 127.0.0.1 and a free port, for the Django test client's callbacks."""
    from tests.oidc import require_provider_installed, start_provider

    require_provider_installed()
    provider = start_provider(["http://testserver"])
    yield provider
    provider.stop()


@pytest.fixture
def identity_providers(settings, oidc_provider):
    """HelseID-like and Entra-like providers configured, both pointing at the test provider."""
    from accounts.oidc import forget_provider_apps

    settings.OIDC_PROVIDERS = (oidc_provider.helseid(), oidc_provider.entra())
    forget_provider_apps()
    yield oidc_provider
    forget_provider_apps()


@pytest.fixture
def frozen_today():
    """The contact-import tests' clock: 20 November 2026, 09:00 in Oslo."""
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, 0, tzinfo=OSLO), tick=False):
        yield


@pytest.fixture
def recorded(unit_a, clinician_a):
    """Fellowships AA and NA, and two contacts a contact-import file finds already recorded (EP-UPDATED on
    4 March, EP-UNCHANGED on 6 March, both outpatient at intensity 1, without clinician or response)."""
    FellowshipFactory(code="AA"), FellowshipFactory(code="NA")
    noon = datetime.time(12, 0, tzinfo=OSLO)
    for reference, day in (("EP-UPDATED", 4), ("EP-UNCHANGED", 6)):
        PatientContactFactory(
            unit=unit_a,
            clinician=None,
            patient_pseudonym=pseudonym_for(reference),
            contacted_at=datetime.datetime.combine(datetime.date(2026, 3, day), noon),
            setting="outpatient",
            intensity=1,
            response="",
        )
