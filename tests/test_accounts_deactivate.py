"""Deactivating an account (accounts.services.user_deactivate): one way in for the admin action and the inactive
accounts job; the security log (privacy) hears of it in the same transaction."""

import pytest
from django.db import transaction

from accounts.services import user_deactivate, users_deactivate
from privacy.models import SecurityEvent
from tests.factories import UserFactory


def deactivations():
    return list(SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED).order_by("id"))


def test_deactivating_closes_the_account_and_logs_who_did_it(administrator, clinician_a):
    assert user_deactivate(user=clinician_a, actor=administrator, detail="Left the clinic") is True
    clinician_a.refresh_from_db()
    assert clinician_a.is_active is False
    [event] = deactivations()
    assert (event.user, event.actor, event.detail) == (clinician_a, administrator, "Left the clinic")


def test_deactivating_an_inactive_account_writes_nothing(administrator):
    former = UserFactory(is_active=False)
    assert user_deactivate(user=former, actor=administrator, detail="again") is False
    assert deactivations() == []


def test_nobody_deactivates_themself_in_a_batch(administrator, clinician_a, clinician_b):
    count = users_deactivate(users=[administrator, clinician_a, clinician_b], actor=administrator, detail="batch")
    assert count == 2
    administrator.refresh_from_db()
    assert administrator.is_active is True
    assert [event.user for event in deactivations()] == [clinician_a, clinician_b]


def test_a_failed_batch_leaves_every_account_and_the_log_as_they_were(administrator, clinician_a, clinician_b):
    with pytest.raises(RuntimeError), transaction.atomic():
        users_deactivate(users=[clinician_a, clinician_b], actor=administrator, detail="batch")
        raise RuntimeError
    clinician_a.refresh_from_db()
    assert clinician_a.is_active is True
    assert deactivations() == []
