"""Demo targets for `manage.py seed_demo`: the clinic aims at 40 % (the referrals demo rises toward it).

The detox unit has its own, lower target, so that the demo shows a unit's own target beside an
inherited one. Safe to run twice: targets are found by unit, indicator and first month.
"""

import datetime

from accounts.models import Unit
from reports.models import IndicatorCode, Target

START = datetime.date(2024, 1, 1)
DEMO_TARGETS = [
    ("DEMO-KLINIKK-RUS", IndicatorCode.REFERRAL_RATE, "40.0", "Agreed for the clinic's improvement project."),
    ("DEMO-KLINIKK-RUS", IndicatorCode.DATA_COMPLETENESS, "95.0", ""),
    ("DEMO-KLINIKK-RUS", IndicatorCode.FOLLOW_UP_RECORDED, "80.0", ""),
    ("DEMO-RUS-AVR", IndicatorCode.REFERRAL_RATE, "30.0", "Short stays in detox: a lower target."),
]


def seed(stdout) -> None:
    units = {unit.code: unit for unit in Unit.objects.filter(code__in={code for code, *_ in DEMO_TARGETS})}
    created = 0
    for code, indicator, percent, note in DEMO_TARGETS:
        unit = units.get(code)
        if unit is None:
            continue
        _target, was_created = Target.objects.get_or_create(
            unit=unit, indicator=indicator, valid_from=START, defaults={"target_percent": percent, "note": note}
        )
        created += was_created
    if not units:
        stdout.write("Reports demo: no demo units (run the accounts demo first); skipped.")
        return
    stdout.write(f"Reports demo: {created} targets created ({len(DEMO_TARGETS) - created} already there).")
