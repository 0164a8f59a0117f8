"""Writes of the reports app: targets. Validate, check the actor's right, write, in one transaction."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import Unit
from reports.access import target_units
from reports.models import Target


def _check_may_set(actor, unit: Unit) -> None:
    if not target_units(actor).filter(pk=unit.pk).exists():
        raise PermissionDenied("Only the unit's leads and administrators set its targets.")


@transaction.atomic
def target_create(
    *,
    actor,
    unit: Unit,
    indicator: str,
    valid_from: datetime.date,
    target_percent: Decimal,
    valid_to: datetime.date | None = None,
    note: str = "",
) -> Target:
    _check_may_set(actor, unit)
    target = Target(
        unit=unit,
        indicator=indicator,
        valid_from=valid_from,
        valid_to=valid_to,
        target_percent=target_percent,
        note=note,
        created_by=actor,
    )
    target.full_clean()
    target.save()
    return target


@transaction.atomic
def target_update(*, actor, target: Target, data: dict) -> Target:
    """Change a target. `data` may hold unit, indicator, valid_from, valid_to, target_percent and note."""
    _check_may_set(actor, target.unit)
    allowed = {"unit", "indicator", "valid_from", "valid_to", "target_percent", "note"}
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))} of a target.")
    if "unit" in data:
        _check_may_set(actor, data["unit"])
    for name, value in data.items():
        setattr(target, name, value)
    target.full_clean()
    target.save()
    return target


@transaction.atomic
def target_delete(*, actor, target: Target) -> None:
    _check_may_set(actor, target.unit)
    target.delete()
