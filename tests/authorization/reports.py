"""Authorization table of the reports app (reports/urls.py).

Reports are aggregates: every user with units (clinicians, leads) reads their units' reports,
quality analysts and administrators all units; the unit comparison is for analysts and
administrators; targets are set by unit leads and administrators. A report of a unit outside the
user's units answers 404 (tests/test_reports_report_view.py, which passes ?unit=).
"""

from tests.authorization import entry, only, statuses
from tests.factories import TargetFactory

REPORT_READERS = statuses(
    403, anonymous=302, clinician_a=200, clinician_b=200, lead_a=200, analyst=200, administrator=200
)
COMPARERS = only("analyst", "administrator")
# A clinician's own feedback: whoever records contacts in a unit (analysts and administrators record none).
OWN_FEEDBACK = statuses(403, anonymous=302, clinician_a=200, clinician_b=200, lead_a=200)
TARGET_SETTERS = only("lead_a", "administrator")


def _target_of_unit_a(world):
    return {"pk": TargetFactory(unit=world.unit_a).pk}


EXPECTED = {
    "reports:report": entry(REPORT_READERS),
    "reports:export": entry(REPORT_READERS, kwargs_factory=lambda world: {"fmt": "csv"}),
    "reports:feedback": entry(OWN_FEEDBACK),
    "reports:compare": entry(COMPARERS),
    "reports:compare_export": entry(COMPARERS, kwargs_factory=lambda world: {"fmt": "csv"}),
    "reports:targets": entry(TARGET_SETTERS),
    "reports:target_edit": entry(TARGET_SETTERS, kwargs_factory=_target_of_unit_a),
    # A successful delete redirects to the list.
    "reports:target_delete": entry(
        only("lead_a", "administrator", status=302), kwargs_factory=_target_of_unit_a, method="post"
    ),
}
