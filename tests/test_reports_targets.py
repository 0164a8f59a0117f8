"""Targets: inheritance down the unit tree, validation, and who may set them (services)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports import services
from reports.models import Target
from reports.targets import common_path, resolve_targets
from tests.factories import TargetFactory

JANUARY, JUNE, DECEMBER = datetime.date(2026, 1, 1), datetime.date(2026, 6, 1), datetime.date(2026, 12, 1)


def _percent(targets, unit, month, indicator="referral_rate"):
    applied = targets.get((unit.pk, indicator, month))
    return applied.percent if applied else None


def test_a_unit_inherits_the_nearest_ancestors_target(trust, clinic, unit_a, unit_b):
    TargetFactory(unit=trust, target_percent=30)
    TargetFactory(unit=clinic, target_percent=40)
    TargetFactory(unit=unit_b, target_percent=25)

    targets = resolve_targets([trust, clinic, unit_a, unit_b], [JUNE], ["referral_rate"])

    assert [_percent(targets, unit, JUNE) for unit in (trust, clinic, unit_a, unit_b)] == [30, 40, 40, 25]
    assert targets[(unit_a.pk, "referral_rate", JUNE)].unit == clinic


def test_a_target_applies_only_in_its_months(clinic, unit_a):
    TargetFactory(unit=clinic, target_percent=30, valid_from=JANUARY, valid_to=datetime.date(2026, 5, 1))
    TargetFactory(unit=clinic, target_percent=40, valid_from=JUNE)
    TargetFactory(unit=unit_a, target_percent=50, valid_from=DECEMBER)

    months = [datetime.date(2025, 12, 1), JANUARY, datetime.date(2026, 5, 1), JUNE, DECEMBER]
    targets = resolve_targets([unit_a], months, ["referral_rate"])

    assert [_percent(targets, unit_a, month) for month in months] == [None, 30, 30, 40, 50]


def test_targets_of_other_indicators_do_not_apply(unit_a):
    TargetFactory(unit=unit_a, indicator="data_completeness", target_percent=95)

    targets = resolve_targets([unit_a], [JUNE], ["referral_rate", "data_completeness"])

    assert _percent(targets, unit_a, JUNE) is None
    assert _percent(targets, unit_a, JUNE, "data_completeness") == 95


def test_resolving_targets_is_one_query(django_assert_num_queries, trust, clinic, unit_a, unit_b):
    TargetFactory(unit=clinic)
    months = [datetime.date(2025, month, 1) for month in range(1, 13)]

    with django_assert_num_queries(1):
        resolve_targets([unit_a, unit_b, clinic], months, ["referral_rate", "attended"], extra_paths=[trust.path])


def test_common_path_is_the_smallest_unit_containing_all():
    assert common_path(["/HF/KL/A/", "/HF/KL/B/"]) == "/HF/KL/"
    assert common_path(["/HF/KL/A/", "/HF2/X/"]) is None
    assert common_path([]) is None


def test_lead_sets_a_target_for_their_unit(lead_a, unit_a):
    target = services.target_create(
        actor=lead_a, unit=unit_a, indicator="referral_rate", valid_from=JANUARY, target_percent=Decimal("40")
    )

    assert Target.objects.get().created_by == lead_a
    assert target.target_percent == Decimal("40")


def test_lead_cannot_set_a_target_for_another_unit(lead_a, unit_b):
    with pytest.raises(PermissionDenied):
        services.target_create(
            actor=lead_a, unit=unit_b, indicator="referral_rate", valid_from=JANUARY, target_percent=40
        )
    assert not Target.objects.exists()


@pytest.mark.parametrize("persona", ["clinician_a", "analyst", "curator"])
def test_only_leads_and_administrators_set_targets(request, persona, unit_a):
    with pytest.raises(PermissionDenied):
        services.target_create(
            actor=request.getfixturevalue(persona),
            unit=unit_a,
            indicator="referral_rate",
            valid_from=JANUARY,
            target_percent=40,
        )


def test_administrator_sets_a_target_for_any_unit(administrator, trust):
    services.target_create(actor=administrator, unit=trust, indicator="attended", valid_from=JANUARY, target_percent=50)

    assert Target.objects.get().unit == trust


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_percent": Decimal("101")}, "target_percent"),
        ({"target_percent": Decimal("-1")}, "target_percent"),
        ({"valid_from": datetime.date(2026, 1, 15)}, "valid_from"),
        ({"valid_to": datetime.date(2025, 12, 1)}, "valid_to"),
        ({"indicator": "no_such_indicator"}, "indicator"),
    ],
)
def test_invalid_targets_are_refused_with_a_message(lead_a, unit_a, changes, field):
    values = {"indicator": "referral_rate", "valid_from": JANUARY, "target_percent": Decimal("40")} | changes

    with pytest.raises(ValidationError) as error:
        services.target_create(actor=lead_a, unit=unit_a, **values)

    assert field in error.value.message_dict
    assert not Target.objects.exists()


def test_overlapping_targets_for_the_same_unit_and_indicator_are_refused(lead_a, unit_a):
    TargetFactory(unit=unit_a, valid_from=JANUARY, valid_to=JUNE)

    with pytest.raises(ValidationError, match="already has a target"):
        services.target_create(actor=lead_a, unit=unit_a, indicator="referral_rate", valid_from=JUNE, target_percent=45)
    services.target_create(
        actor=lead_a, unit=unit_a, indicator="referral_rate", valid_from=datetime.date(2026, 7, 1), target_percent=45
    )

    assert Target.objects.count() == 2


def test_lead_changes_and_deletes_a_target(lead_a, unit_a):
    target = TargetFactory(unit=unit_a)

    services.target_update(actor=lead_a, target=target, data={"target_percent": Decimal("45.5")})
    assert Target.objects.get().target_percent == Decimal("45.5")

    services.target_delete(actor=lead_a, target=target)
    assert not Target.objects.exists()


def test_lead_cannot_move_a_target_to_a_unit_they_do_not_lead(lead_a, unit_a, unit_b):
    target = TargetFactory(unit=unit_a)

    with pytest.raises(PermissionDenied):
        services.target_update(actor=lead_a, target=target, data={"unit": unit_b})
    assert Target.objects.get().unit == unit_a
