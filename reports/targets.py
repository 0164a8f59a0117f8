"""Which target applies: a unit's own target for the month, else its nearest ancestor's."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from accounts.models import Unit
from reports.models import Target


@dataclass(frozen=True)
class AppliedTarget:
    percent: Decimal
    unit: Unit  # the unit that set it: the unit itself or an ancestor
    target: Target


def ancestor_paths(path: str) -> list[str]:
    """'/HF/KL/U/' → ['/HF/', '/HF/KL/', '/HF/KL/U/']."""
    codes = [code for code in path.split("/") if code]
    return ["/" + "/".join(codes[: index + 1]) + "/" for index in range(len(codes))]


def common_path(paths) -> str | None:
    """The path of the deepest unit containing all of `paths` ('/HF/KL/' for '/HF/KL/A/' and '/HF/KL/B/')."""
    split = [[code for code in path.split("/") if code] for path in paths]
    if not split:
        return None
    common = []
    for codes in zip(*split, strict=False):
        if len(set(codes)) != 1:
            break
        common.append(codes[0])
    return "/" + "/".join(common) + "/" if common else None


def resolve_targets(units, months, indicators, extra_paths=()) -> dict[tuple, AppliedTarget]:
    """The applicable target per (unit id, indicator, month), and per (path, indicator, month) for
    `extra_paths`; missing keys have no target. One query."""
    units, months, indicators = list(units), list(months), [str(code) for code in indicators]
    subjects = [(unit.pk, unit.path) for unit in units] + [(path, path) for path in extra_paths if path]
    if not (subjects and months and indicators):
        return {}
    paths = {ancestor for _key, path in subjects for ancestor in ancestor_paths(path)}
    candidates = list(
        Target.objects.filter(unit__path__in=paths, indicator__in=indicators, valid_from__lte=max(months))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=min(months)))
        .select_related("unit")
    )
    # Longest path first: the nearest ancestor wins.
    candidates.sort(key=lambda target: len(target.unit.path), reverse=True)
    result = {}
    for key, path in subjects:
        own = [target for target in candidates if path.startswith(target.unit.path)]
        for indicator in indicators:
            for month in months:
                match = next((t for t in own if t.indicator == indicator and t.applies_to(month)), None)
                if match is not None:
                    result[(key, indicator, month)] = AppliedTarget(match.target_percent, match.unit, match)
    return result
