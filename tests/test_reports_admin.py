"""The reports admin: targets for administrators only; dispatches and frozen months read-only."""

import datetime

import pytest
from django.urls import reverse

from reports.models import ReportDispatch, Target
from tests.factories import TargetFactory, login


def test_administrator_lists_and_adds_targets(client, administrator, clinic):
    TargetFactory(unit=clinic)
    login(client, administrator)

    assert client.get(reverse("admin:reports_target_changelist")).status_code == 200
    response = client.post(
        reverse("admin:reports_target_add"),
        {"unit": clinic.pk, "indicator": "attended", "target_percent": "50", "valid_from": "2026-01-01", "note": ""},
    )

    assert response.status_code == 302
    assert Target.objects.get(indicator="attended").created_by == administrator


def test_admin_refuses_an_invalid_target(client, administrator, clinic):
    login(client, administrator)

    response = client.post(
        reverse("admin:reports_target_add"),
        {"unit": clinic.pk, "indicator": "attended", "target_percent": "50", "valid_from": "2026-01-15"},
    )

    assert response.status_code == 200
    assert not Target.objects.exists()


@pytest.mark.parametrize("persona", ["curator", "analyst"])
def test_other_staff_cannot_open_the_reports_admin(request, client, persona):
    user = request.getfixturevalue(persona)
    user.is_staff = True  # even with the admin site open to them
    user.save()
    login(client, user)

    assert client.get(reverse("admin:reports_target_changelist")).status_code in (302, 403)


def test_dispatches_are_read_only(client, administrator, unit_a):
    dispatch = ReportDispatch.objects.create(unit=unit_a, month=datetime.date(2026, 10, 1), email="a@example.org")
    login(client, administrator)

    assert client.get(reverse("admin:reports_reportdispatch_changelist")).status_code == 200
    assert client.get(reverse("admin:reports_reportdispatch_add")).status_code == 403
    assert (
        client.post(reverse("admin:reports_reportdispatch_delete", args=[dispatch.pk]), {"post": "yes"}).status_code
        == 403
    )
