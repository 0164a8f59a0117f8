"""The attacker test of disclosure control (reports/disclosure.py; issue 12).

For each persona, collect everything they can reach – the unit report page of every unit they may open, for
every month of the scenarios, its CSV and its XLSX, and (analysts) the comparison page and CSV of every scope,
month and indicator – and write down each figure: exact, "<5" (1–4) or "hidden" (anything). Then try to solve
every cell by differencing, as a reader with a spreadsheet would:

- along the hierarchy: a clinic's total is its own contacts plus its units' totals (no patient is shared in
  these scenarios, so the sums are exact);
- across periods: the "previous three months" are the sum of those months;
- across nested indicators: informed − referred is the patients at intensity 1, and so on
  (reports.disclosure.nested_differences);
- from centre lines: the funnel's and the p-chart's centre is Σx / Σn over the units or months it pools;
- from the reader's own contacts (rule 7): a clinician's feedback page (/reports/mine/) shows their own patients
  exactly, and they know every count of the contacts they recorded, so a unit's column minus their own figures
  is their colleagues' figures.

The solver tightens each unknown's bounds through every equation until nothing changes (interval constraint
propagation). The test fails when a cell whose true value is from 1 to 4, and that the persona may not see
exactly, ends up pinned to a single value.
"""

import csv
import datetime
import io
import math
from collections import defaultdict

import pytest
from django.db.models import F
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Membership, Unit
from core.periods import add_months
from referrals.models import PatientContact
from reports.disclosure import COUNTS
from reports.exports import COLUMNS, PRIMARY_COLUMNS, SECONDARY, heading
from reports.indicators import INDICATORS, Figures, _aggregate, _as_date, live_own_figures
from reports.models import IndicatorCode
from tests.factories import MembershipFactory, PatientContactFactory, UnitFactory, UserFactory, login
from tests.reports_helpers import OSLO, in_english

JULY, AUGUST, SEPTEMBER, OCTOBER = (datetime.date(2026, month, 1) for month in (7, 8, 9, 10))
REPORT_MONTHS = [AUGUST, SEPTEMBER, OCTOBER]
NOW = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=OSLO)
INFINITY = math.inf

# The nested differences of one column, as signed sums of its counts (reports.disclosure.nested_differences).
NESTED = [
    {"eligible": 1, "informed": -1},
    {"informed": 1, "referred": -1},
    {"referred": 1, "intensive": -1},
    {"eligible": 1, "suitable_eligible": -1},
    {"suitable_eligible": 1, "suitable_referred": -1},
    {"referred": 1, "suitable_referred": -1},
    {"eligible": 1, "referred": -1, "suitable_eligible": -1, "suitable_referred": 1},
    {"referred": 1, "followed_up": -1},
    {"followed_up": 1, "attended": -1},
    {"eligible": 1, "referred": -1},
    {"contacts": 1, "answered_contacts": -1},
]


def _patients(unit, month, *, eligible, referred, informed=None, offset=0):
    """`eligible` patients of `unit` in `month`: `referred` at intensity 2, up to `informed` at intensity 1."""
    informed = referred if informed is None else informed
    for patient in range(eligible):
        intensity = 2 if patient < referred else 1 if patient < informed else 0
        PatientContactFactory(
            unit=unit,
            clinician=None,
            patient_pseudonym=f"{unit.code}-{month:%Y%m}-{offset + patient}".encode().hex().ljust(64, "0")[:64],
            contacted_at=datetime.datetime(month.year, month.month, 1 + patient % 27, 10, 0, tzinfo=OSLO),
            intensity=intensity,
        )


@pytest.fixture
def scenarios(db):
    """The four scenarios of issue 12 in one tree: HF → KLIN-A → A1, HF → KLIN-B → B1, B2."""
    trust = UnitFactory(code="HF", name="Helseforetak", kind=Unit.Kind.HEALTH_TRUST)
    klin_a = UnitFactory(code="KLIN-A", name="Klinikk A", kind=Unit.Kind.CLINIC, parent=trust)
    klin_b = UnitFactory(code="KLIN-B", name="Klinikk B", kind=Unit.Kind.CLINIC, parent=trust)
    a1 = UnitFactory(code="A1", name="Enhet A1", parent=klin_a)
    b1 = UnitFactory(code="B1", name="Enhet B1", parent=klin_b)
    b2 = UnitFactory(code="B2", name="Enhet B2", parent=klin_b)
    # 1. Hierarchy: B1 20 and 8, B2 3 and 1 under KLIN-B.
    _patients(b1, OCTOBER, eligible=20, referred=8)
    _patients(b2, OCTOBER, eligible=3, referred=1)
    # 2. Funnel centre: A1 30 and 12 beside B1 and B2 in the comparison, no target.
    _patients(a1, OCTOBER, eligible=20, referred=8, informed=10)  # 3. Nested: 2 patients at intensity 1
    _patients(a1, OCTOBER, eligible=10, referred=4, informed=4, offset=100)
    # 4. Periods: July, August exact, September 2 of 20 ("<5"), pooled in October's "previous three months".
    _patients(a1, JULY, eligible=20, referred=10)
    _patients(a1, AUGUST, eligible=20, referred=8)
    _patients(a1, SEPTEMBER, eligible=20, referred=2)
    _patients(b1, SEPTEMBER, eligible=25, referred=11)
    _patients(b2, SEPTEMBER, eligible=12, referred=5, informed=9)
    return {unit.code: unit for unit in (trust, klin_a, klin_b, a1, b1, b2)}


class Knowledge:
    """What a persona has seen: bounds per cell, equations between cells."""

    def __init__(self):
        self.bounds = defaultdict(lambda: [0.0, INFINITY])
        self.exact = set()
        self.hidden = set()
        self.equations: list[tuple[dict, float]] = []  # ({cell: coefficient}, constant): Σ coefficient·cell = constant

    def see(self, cell, text) -> None:
        text = str(text).strip()
        if text in ("", "None"):
            return
        if text == "<5":
            self._tighten(cell, 1, 4)
            self.hidden.add(cell)
        elif text in ("hidden", "skjult"):
            self.hidden.add(cell)
        else:
            value = int(float(text))
            self._tighten(cell, value, value)
            self.exact.add(cell)

    def _tighten(self, cell, low, high) -> bool:
        bounds = self.bounds[cell]
        changed = low > bounds[0] + 1e-9 or high < bounds[1] - 1e-9
        bounds[0], bounds[1] = max(bounds[0], low), min(bounds[1], high)
        return changed

    def equation(self, terms: dict, constant: float = 0.0) -> None:
        terms = {cell: coefficient for cell, coefficient in terms.items() if coefficient}
        if terms:
            self.equations.append((terms, constant))

    def solve(self) -> None:
        for _round in range(200):
            changed = False
            for terms, constant in self.equations:
                for cell, coefficient in terms.items():
                    low, high = constant, constant
                    for other, other_coefficient in terms.items():
                        if other == cell:
                            continue
                        a, b = self.bounds[other]
                        products = [other_coefficient * a, other_coefficient * b]
                        low -= max(products)
                        high -= min(products)
                    if coefficient < 0:
                        low, high = -high, -low
                    magnitude = abs(coefficient)
                    low, high = low / magnitude, high / magnitude
                    # Counts are whole numbers.
                    low = math.ceil(low - 1e-6) if low != -INFINITY else low
                    high = math.floor(high + 1e-6) if high != INFINITY else high
                    changed |= self._tighten(cell, low, high)
            if not changed:
                return

    def pinned(self, cell) -> bool:
        low, high = self.bounds[cell]
        return low == high


def _reachable_units(user):
    from reports.access import ReportViewer

    return ReportViewer(user).units


def _read_column(knowledge, cell_of, row: dict) -> None:
    """One CSV/XLSX row (machine column names) into the knowledge, for every indicator's numerator and denominator."""
    for indicator in INDICATORS.values():
        if indicator.code == IndicatorCode.REFERRAL_RATE:
            numerator, denominator = row["referred"], row["eligible"]
        else:
            numerator, denominator = row[f"{indicator.code}_numerator"], row[f"{indicator.code}_denominator"]
        knowledge.see(cell_of(indicator.numerator), numerator)
        knowledge.see(cell_of(indicator.denominator), denominator)


def _xlsx_rows(content: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(content)).active
    by_heading = {heading(column): column for column in COLUMNS}
    header = [by_heading[cell.value] for cell in sheet[1]]
    return [dict(zip(header, [cell.value for cell in row], strict=True)) for row in sheet.iter_rows(min_row=2)]


def _collect_unit_report(client, knowledge, unit, month) -> None:
    params = {"unit": unit.code, "month": f"{month:%Y-%m}"}
    response = client.get(reverse("reports:report"), params)
    assert response.status_code == 200
    context = response.context
    for row in context["summaries"]:
        indicator = next(each for each in INDICATORS.values() if each.label == row.label)
        knowledge.see(("subtree", unit.code, month, indicator.numerator), row.rate.numerator)
        knowledge.see(("subtree", unit.code, month, indicator.denominator), row.rate.denominator)
    for row in context["trend_rows"]:
        knowledge.see(("subtree", unit.code, row.label, "referred"), row.rate.numerator)
        knowledge.see(("subtree", unit.code, row.label, "eligible"), row.rate.denominator)
    previous = context["previous"]
    knowledge.see(("previous", unit.code, month, "referred"), previous.numerator)
    knowledge.see(("previous", unit.code, month, "eligible"), previous.denominator)
    report = context["report"]
    if report.spc.centre is not None and report.spc.points:
        # The p-chart's centre line: Σx = centre · Σn over the months it pools.
        terms = {}
        for point in report.spc.points:
            terms[("subtree", unit.code, point.month, "referred")] = 1.0
            terms[("subtree", unit.code, point.month, "eligible")] = -report.spc.centre
        knowledge.equation(terms)
    for file_format, rows_of in (
        ("csv", lambda c: list(csv.DictReader(io.StringIO(c.decode())))),
        ("xlsx", _xlsx_rows),
    ):
        content = client.get(reverse("reports:export", args=[file_format]), params).content
        for row in rows_of(content):
            row_month = datetime.date.fromisoformat(f"{row['month']}-01")
            _read_column(knowledge, lambda name, m=row_month: ("subtree", unit.code, m, name), row)


def _collect_comparison(client, knowledge, scope, month, indicator) -> None:
    params = {"scope": scope.code, "month": f"{month:%Y-%m}", "indicator": indicator.code}
    response = client.get(reverse("reports:compare"), params)
    assert response.status_code == 200
    report = response.context["report"]
    for row in report.rows:
        knowledge.see(("own", row.unit.code, month, indicator.numerator), row.rate.numerator)
        knowledge.see(("own", row.unit.code, month, indicator.denominator), row.rate.denominator)
    knowledge.see(("all", scope.code, month, indicator.numerator), report.pooled.numerator)
    knowledge.see(("all", scope.code, month, indicator.denominator), report.pooled.denominator)
    if report.centre is not None and not report.centre_is_target:
        # The centre line's value: Σx = centre · Σn over every row, or over the rows shown ("Units shown").
        pooled_rows = report.rows if report.centre_is_pooled else [row for row in report.rows if row.rate.x is not None]
        terms = {}
        for row in pooled_rows:
            terms[("own", row.unit.code, month, indicator.numerator)] = 1.0
            terms[("own", row.unit.code, month, indicator.denominator)] = -report.centre
        knowledge.equation(terms)
    content = client.get(reverse("reports:compare_export", args=["csv"]), params).content
    for row in csv.DictReader(io.StringIO(content.decode())):
        _read_column(knowledge, lambda name, code=row["unit_code"]: ("own", code, month, name), row)


def _mine_figures(user, units) -> dict:
    """Per (unit code, month), the figures of the contacts `user` recorded in the unit's subtree."""
    months = [JULY, AUGUST, SEPTEMBER, OCTOBER]
    contacts = PatientContact.objects.current().filter(clinician=user)
    rows = _aggregate(contacts, {"group_unit": F("unit_id"), "group_month": F("contact_month")}, with_follow_ups=True)
    own_contacts = {(row["group_unit"], _as_date(row["group_month"])): Figures.from_mapping(row) for row in rows}
    result = {}
    for unit in units.values():
        for month in months:
            subtree = [each for each in units.values() if each.path.startswith(unit.path)]
            result[unit.code, month] = sum(
                (own_contacts.get((each.pk, month), Figures()) for each in subtree), Figures()
            )
    return result


def _collect_own_figures(client, knowledge, user, units, reachable) -> None:
    """The reader's own figures: the feedback page of every unit they may open (eligible, referred, and the unit's
    rate as shown there), and every other count of the contacts they recorded themselves (they know those).
    The unit's column is their own figures plus their colleagues' ("others"), a count of its own."""
    mine = _mine_figures(user, units)
    for unit in reachable:
        response = client.get(reverse("reports:feedback"), {"unit": unit.code})
        assert response.status_code == (200 if user.memberships.exists() else 403)
        for row in response.context["feedback"].months if response.status_code == 200 else []:
            knowledge.see(("mine", unit.code, row.month, "referred"), row.own.numerator)
            knowledge.see(("mine", unit.code, row.month, "eligible"), row.own.denominator)
            knowledge.see(("subtree", unit.code, row.month, "referred"), row.unit.numerator)
            knowledge.see(("subtree", unit.code, row.month, "eligible"), row.unit.denominator)
        for month in (JULY, AUGUST, SEPTEMBER, OCTOBER):
            for name in COUNTS:
                knowledge.see(("mine", unit.code, month, name), getattr(mine[unit.code, month], name))
                knowledge.equation(
                    {
                        ("subtree", unit.code, month, name): 1.0,
                        ("mine", unit.code, month, name): -1.0,
                        ("others", unit.code, month, name): -1.0,
                    }
                )


def _add_structure(knowledge, units) -> None:
    """The equations a reader knows without seeing a figure: sums along the tree, periods and nesting."""
    months = [JULY, AUGUST, SEPTEMBER, OCTOBER]
    for month in months:
        for unit in units.values():
            children = [each for each in units.values() if each.parent_id == unit.pk]
            subtree = [each for each in units.values() if each.path.startswith(unit.path)]
            for name in COUNTS:
                terms = {("subtree", unit.code, month, name): 1.0, ("own", unit.code, month, name): -1.0}
                for child in children:
                    terms[("subtree", child.code, month, name)] = -1.0
                knowledge.equation(terms)
                terms = {("all", unit.code, month, name): 1.0}
                for each in subtree:
                    terms[("own", each.code, month, name)] = -1.0
                knowledge.equation(terms)
            for kind, code in (("subtree", unit.code), ("own", unit.code), ("all", unit.code)):
                for nested in NESTED:
                    # The difference is a count (≥ 0) of its own: a breakdown cell the attacker also tries to pin.
                    terms = {(kind, code, month, name): float(sign) for name, sign in nested.items()}
                    terms[(kind, code, month, "diff:" + "/".join(sorted(nested)))] = -1.0
                    knowledge.equation(terms)
    for unit in units.values():
        for month in REPORT_MONTHS:
            for name in ("eligible", "referred"):
                terms = {("previous", unit.code, month, name): 1.0}
                for back in range(1, 4):
                    terms[("subtree", unit.code, add_months(month, -back), name)] = -1.0
                knowledge.equation(terms)


def _truth(units, reader=None) -> dict:
    """The exact value of every cell, for judging the attack; with a reader, also their colleagues' figures."""
    months = [JULY, AUGUST, SEPTEMBER, OCTOBER]
    own = live_own_figures(months)
    by_code = {unit.pk: unit.code for unit in units.values()}
    truth = {}
    for month in months:
        own_figures = {code: own.get((pk, month), Figures()) for pk, code in by_code.items()}
        for unit in units.values():
            subtree = sum(
                (own_figures[each.code] for each in units.values() if each.path.startswith(unit.path)), Figures()
            )
            for kind, figures in (("own", own_figures[unit.code]), ("subtree", subtree), ("all", subtree)):
                for name in COUNTS:
                    truth[(kind, unit.code, month, name)] = getattr(figures, name)
                for nested in NESTED:
                    value = sum(getattr(figures, name) * sign for name, sign in nested.items())
                    truth[(kind, unit.code, month, "diff:" + "/".join(sorted(nested)))] = value
    if reader is not None:
        for (code, month), mine in _mine_figures(reader, units).items():
            for name in COUNTS:
                truth[("others", code, month, name)] = truth[("subtree", code, month, name)] - getattr(mine, name)
    return truth


def _attack(client, user, units, *, compare: bool, own: bool = False) -> list[str]:
    login(in_english(client), user)
    knowledge = Knowledge()
    reachable = _reachable_units(user)
    for unit in reachable:
        for month in REPORT_MONTHS:
            _collect_unit_report(client, knowledge, unit, month)
    if compare:
        for scope in [units["HF"], units["KLIN-A"], units["KLIN-B"]]:
            for month in (SEPTEMBER, OCTOBER):
                for indicator in INDICATORS.values():
                    _collect_comparison(client, knowledge, scope, month, indicator)
    if own:
        _collect_own_figures(client, knowledge, user, units, reachable)
    _add_structure(knowledge, units)
    knowledge.solve()
    led = {unit.code for unit in reachable if getattr(unit, "as_lead", False)}
    truth = _truth(units, user if own else None)
    pinned = []
    for cell, value in truth.items():
        kind, code, _month, _name = cell
        if not 1 <= value <= 4 or code in led or cell in knowledge.exact:
            continue
        if kind == "own" and code in led:
            continue
        if knowledge.pinned(cell):
            pinned.append(f"{cell} = {value}")
    return pinned


@pytest.fixture(autouse=True)
def _frozen_now(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_a_quality_analyst_cannot_work_out_any_hidden_count(client, scenarios):
    analyst = UserFactory(username="analytiker", is_quality_analyst=True)

    assert _attack(client, analyst, scenarios, compare=True) == []


def test_a_clinician_of_the_clinic_cannot_work_out_any_hidden_count(client, scenarios):
    clinician = MembershipFactory(user=UserFactory(username="klinikk"), unit=scenarios["KLIN-B"]).user
    MembershipFactory(user=clinician, unit=scenarios["KLIN-A"])

    assert _attack(client, clinician, scenarios, compare=False) == []


def test_the_lead_of_one_unit_cannot_work_out_its_sibling_from_the_clinic(client, scenarios):
    lead = MembershipFactory(user=UserFactory(username="lederb1"), unit=scenarios["B1"], role=Membership.Role.LEAD).user
    MembershipFactory(user=lead, unit=scenarios["KLIN-B"])

    assert _attack(client, lead, scenarios, compare=False) == []


def _record_as(user, unit, month, *, leave_out: int, leave_out_referred: int) -> None:
    """Make `user` the clinician of the unit's contacts of the month, except a few patients (colleagues')."""
    contacts = PatientContact.objects.filter(unit=unit, contact_month=month)
    referred = list(contacts.filter(intensity__gte=2).values_list("pk", flat=True)[:leave_out_referred])
    others = list(contacts.filter(intensity__lt=2).values_list("pk", flat=True)[: leave_out - leave_out_referred])
    contacts.exclude(pk__in=referred + others).update(clinician=user)


def test_a_clinician_cannot_work_out_colleagues_counts_from_their_own_figures(client, scenarios):
    """Rule 7: A1 has 30 eligible and 12 referred in October; the clinician saw 27 of them and referred 10, so
    their colleagues' 3 and 2 must not come back from the unit's column, its files or the clinic's total."""
    clinician = MembershipFactory(user=UserFactory(username="egen"), unit=scenarios["A1"]).user
    MembershipFactory(user=clinician, unit=scenarios["KLIN-A"])
    _record_as(clinician, scenarios["A1"], OCTOBER, leave_out=3, leave_out_referred=2)
    _record_as(clinician, scenarios["A1"], AUGUST, leave_out=12, leave_out_referred=4)

    assert _attack(client, clinician, scenarios, compare=False, own=True) == []


def test_an_analyst_who_records_contacts_cannot_work_out_colleagues_counts(client, scenarios):
    """The comparison's rows and "all these units" row include the reader's own contacts too (rule 7)."""
    analyst = UserFactory(username="analytikerklin", is_quality_analyst=True)
    _record_as(analyst, scenarios["B1"], SEPTEMBER, leave_out=3, leave_out_referred=1)
    _record_as(analyst, scenarios["A1"], OCTOBER, leave_out=2, leave_out_referred=2)

    assert _attack(client, analyst, scenarios, compare=True, own=True) == []


def test_the_attacker_does_pin_small_counts_when_nothing_is_hidden(scenarios):
    """The attack is strong enough: given the scenarios' exact figures, it solves the clinic's differences."""
    knowledge = Knowledge()
    knowledge.see(("subtree", "KLIN-B", OCTOBER, "eligible"), "23")
    knowledge.see(("subtree", "B1", OCTOBER, "eligible"), "20")
    knowledge.see(("own", "KLIN-B", OCTOBER, "eligible"), "0")
    knowledge.see(("subtree", "B2", OCTOBER, "eligible"), "<5")
    knowledge.see(("subtree", "A1", OCTOBER, "informed"), "10")
    knowledge.see(("subtree", "A1", OCTOBER, "referred"), "8")
    _add_structure(knowledge, scenarios)
    knowledge.solve()

    assert knowledge.pinned(("subtree", "B2", OCTOBER, "eligible"))
    assert knowledge.bounds[("subtree", "B2", OCTOBER, "eligible")] == [3, 3]
    assert knowledge.bounds[("subtree", "A1", OCTOBER, "diff:informed/referred")] == [2, 2]


def test_the_primary_and_secondary_columns_are_the_csv_columns():
    assert PRIMARY_COLUMNS[3:5] == ["eligible", "referred"] and len(SECONDARY) == len(INDICATORS) - 1
