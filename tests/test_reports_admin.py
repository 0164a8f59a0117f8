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


def test_admin_changes_and_deletes_targets_through_the_services(client, administrator, clinic, monkeypatch):
    from reports import services

    calls = []
    for name in ("target_update", "target_delete"):
        original = getattr(services, name)
        monkeypatch.setattr(
            services, name, lambda _original=original, _name=name, **kwargs: calls.append(_name) or _original(**kwargs)
        )
    target = TargetFactory(unit=clinic, indicator="attended", target_percent=40)
    login(client, administrator)

    response = client.post(
        reverse("admin:reports_target_change", args=[target.pk]),
        {
            "unit": clinic.pk,
            "indicator": "attended",
            "target_percent": "55",
            "valid_from": target.valid_from.isoformat(),
            "note": "raised",
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.target_percent, target.note) == (55, "raised")

    client.post(reverse("admin:reports_target_delete", args=[target.pk]), {"post": "yes"})
    assert not Target.objects.exists()
    assert calls == ["target_update", "target_delete"]


@pytest.mark.parametrize(
    "persona,status",
    [
        ("curator", 403),  # in the admin for the registry, but not for targets
        ("analyst", 302),  # not let into the admin at all: sent to its log-in
    ],
)
def test_other_staff_cannot_open_the_reports_admin(request, client, persona, status):
    user = request.getfixturevalue(persona)
    user.is_staff = True  # even with the admin site open to them
    user.save()
    login(client, user)

    assert client.get(reverse("admin:reports_target_changelist")).status_code == status


def test_dispatches_are_read_only(client, administrator, unit_a):
    dispatch = ReportDispatch.objects.create(unit=unit_a, month=datetime.date(2026, 10, 1), email="a@example.org")
    login(client, administrator)

    assert client.get(reverse("admin:reports_reportdispatch_changelist")).status_code == 200
    assert client.get(reverse("admin:reports_reportdispatch_add")).status_code == 403
    assert (
        client.post(reverse("admin:reports_reportdispatch_delete", args=[dispatch.pk]), {"post": "yes"}).status_code
        == 403
    )
