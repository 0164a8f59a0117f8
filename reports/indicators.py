"""The referral indicators of DOMAIN.md, computed by the database.

Every figure comes from one two-level aggregate query: the inner level groups the current
(not deleted) contacts of a unit-month by patient, so that a patient with several contacts counts
once; the outer level counts those patients with conditions. No Python loop ever touches a
contact row, and the number of queries does not depend on how many rows there are.

The patient key is the contact's pseudonym. A contact whose pseudonym has been emptied counts as a
patient of its own (never all such contacts as one patient); months whose contacts have been
anonymised are read from the frozen figures instead (reports.snapshots).
"""

import datetime
from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.db import connections, transaction
from django.db.models import Case, CharField, Count, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Concat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from core.periods import month_range
from referrals.models import Attended, FollowUp, PatientContact
from registry.models import Fellowship
from reports.models import FIGURE_FIELDS, FrozenMonth, IndicatorCode, MonthlyBreakdown, MonthlyFigures, Scope
from reports.statistics import Proportion, proportion

BASELINE_PERCENT = 15
# The reference stays in English (the paper's own title; pages mark it lang="en"); what it found is translated.
BASELINE_CITATION = (
    "Vederhus J-K, Kristensen Ø, Laudet A, Clausen T. Attitudes towards 12-step groups and referral practices "
    "in a 12-step naive treatment culture; a survey of addiction professionals in Norway. "
    "BMC Health Serv Res 2009;9:147."
)


def baseline_finding() -> str:
    """What the baseline study found, in the reader's language and number format."""
    return _(
        "%(referred)s of %(patients)s patients (%(rate)s %%) actively referred; of patients judged suitable, "
        "%(suitable_referred)s of %(suitable)s (%(suitable_rate)s %%)."
    ) % {
        "referred": number_format(364, force_grouping=True),
        "patients": number_format(2402, force_grouping=True),
        "rate": number_format(Decimal("15.2"), 1),
        "suitable_referred": number_format(342, force_grouping=True),
        "suitable": number_format(1017, force_grouping=True),
        "suitable_rate": number_format(Decimal("33.6"), 1),
    }


def baseline_source() -> str:
    return f"{BASELINE_CITATION} {baseline_finding()}"


DATA_SOURCE = _(
    "Patient contacts recorded in this registry (one row per eligible contact); soft-deleted contacts are left out."
)


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    short_label: str
    numerator: str  # the Figures field counted in the numerator
    denominator: str
    numerator_text: str
    denominator_text: str
    exclusions_text: str
    denominator_short: str = _("Patients")
    # The national figure to compare with (Vederhus et al. 2009), where the study has one.
    baseline_percent: Decimal | None = None

    @property
    def has_baseline(self) -> bool:
        return self.baseline_percent is not None


INDICATORS: dict[str, Indicator] = {
    indicator.code: indicator
    for indicator in [
        Indicator(
            code=IndicatorCode.REFERRAL_RATE,
            label=_("Referral rate"),
            short_label=_("Referred"),
            numerator="referred",
            denominator="eligible",
            numerator_text=_(
                "Of these patients, those with at least one contact in the month at intensity 2 or higher "
                "(actively recommended, volunteer contact arranged, or attended during treatment). A patient "
                "who declined after being actively recommended still counts: the indicator measures the "
                "clinician's action."
            ),
            denominator_text=_(
                "Unique patients with at least one eligible contact in the unit in the calendar month "
                "(Europe/Oslo time). A patient with several contacts in the month counts once."
            ),
            exclusions_text=_("Deleted contacts. Nothing else: contacts with the question unanswered stay in."),
            baseline_percent=Decimal(BASELINE_PERCENT),
        ),
        Indicator(
            code=IndicatorCode.SUITABLE_ADJUSTED,
            # Same study: 342 of 1,017 patients the clinicians judged suitable were referred.
            baseline_percent=Decimal("33.6"),
            denominator_short=_("Suitable patients"),
            label=_("Referral rate among suitable patients"),
            short_label=_("Referred (suitable)"),
            numerator="suitable_referred",
            denominator="suitable_eligible",
            numerator_text=_(
                "Of these patients, those with at least one contact in the month at intensity 2 or higher."
            ),
            denominator_text=_(
                "Unique patients with an eligible contact in the month, except patients with at least one "
                "contact in the month coded “clinically not suitable”."
            ),
            exclusions_text=_(
                "Deleted contacts, and every patient with any contact in the month coded “clinically not "
                "suitable” (removed from both numerator and denominator, even if also referred)."
            ),
        ),
        Indicator(
            code=IndicatorCode.ANY_INFORMATION,
            label=_("Any information given"),
            short_label=_("Informed"),
            numerator="informed",
            denominator="eligible",
            numerator_text=_(
                "Of these patients, those with at least one contact in the month at intensity 1 or higher."
            ),
            denominator_text=_("Unique patients with at least one eligible contact in the month."),
            exclusions_text=_("Deleted contacts."),
        ),
        Indicator(
            code=IndicatorCode.INTENSIVE_LINKAGE,
            label=_("Intensive linkage"),
            short_label=_("Linked"),
            numerator="intensive",
            denominator="eligible",
            numerator_text=_(
                "Of these patients, those with at least one contact in the month at intensity 3 or higher "
                "(contact with a volunteer arranged, or attended a meeting during treatment)."
            ),
            denominator_text=_("Unique patients with at least one eligible contact in the month."),
            exclusions_text=_("Deleted contacts."),
        ),
        Indicator(
            code=IndicatorCode.FOLLOW_UP_RECORDED,
            denominator_short=_("Referred patients"),
            label=_("Follow-up recorded"),
            short_label=_("Followed up"),
            numerator="followed_up",
            denominator="referred",
            numerator_text=_(
                "Of these patients, those with at least one follow-up recorded on a referral contact (intensity "
                "2 or higher) of the month, whenever the follow-up was recorded."
            ),
            denominator_text=_("Unique patients referred (intensity 2 or higher) in the month."),
            exclusions_text=_(
                "Deleted contacts. Recent months rise as follow-ups are recorded, so compare older months."
            ),
        ),
        Indicator(
            code=IndicatorCode.ATTENDED,
            denominator_short=_("Followed-up patients"),
            label=_("Attended at least one meeting"),
            short_label=_("Attended"),
            numerator="attended",
            denominator="followed_up",
            numerator_text=_("Of these patients, those with at least one follow-up saying they attended a meeting."),
            denominator_text=_(
                "Unique patients referred in the month with a follow-up recorded. Follow-ups whose answer is "
                "“not known” stay in the denominator: an unknown is not an attendance."
            ),
            exclusions_text=_("Deleted contacts. Self-reported attendance."),
        ),
        Indicator(
            code=IndicatorCode.DATA_COMPLETENESS,
            denominator_short=_("Contacts"),
            label=_("Data completeness"),
            short_label=_("Answered"),
            numerator="answered_contacts",
            denominator="contacts",
            numerator_text=_(
                "Of these contacts, those with the self-help question answered at all (“not discussed” counts "
                "as answered)."
            ),
            denominator_text=_("Eligible contacts in the month (contacts, not patients)."),
            exclusions_text=_("Deleted contacts."),
        ),
    ]
}
PRIMARY = INDICATORS[IndicatorCode.REFERRAL_RATE]


@dataclass
class Figures:
    """The counts of one unit (or scope) in one month. Zero when there were no contacts."""

    eligible: int = 0
    referred: int = 0
    informed: int = 0
    intensive: int = 0
    suitable_eligible: int = 0
    suitable_referred: int = 0
    followed_up: int = 0
    attended: int = 0
    not_attended: int = 0
    attendance_unknown: int = 0
    contacts: int = 0
    answered_contacts: int = 0
    highest_not_answered: int = 0
    highest_0: int = 0
    highest_1: int = 0
    highest_2: int = 0
    highest_3: int = 0
    highest_4: int = 0
    frozen: bool = field(default=False, compare=False)

    @classmethod
    def from_mapping(cls, row, frozen: bool = False) -> "Figures":
        return cls(**{name: int(row.get(name) or 0) for name in FIGURE_FIELDS}, frozen=frozen)

    @classmethod
    def from_instance(cls, instance) -> "Figures":
        return cls(**{name: getattr(instance, name) for name in FIGURE_FIELDS}, frozen=True)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FIGURE_FIELDS}

    def proportion(self, indicator: Indicator) -> Proportion:
        return proportion(getattr(self, indicator.numerator), getattr(self, indicator.denominator))

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(**{name: getattr(self, name) + getattr(other, name) for name in FIGURE_FIELDS})

    def __sub__(self, other: "Figures") -> "Figures":
        return Figures(**{name: getattr(self, name) - getattr(other, name) for name in FIGURE_FIELDS})


assert [f.name for f in fields(Figures) if f.name != "frozen"] == FIGURE_FIELDS  # noqa: S101 - import-time guard


# --- The two-level aggregate ---------------------------------------------------------------------

REFERRED = Q(intensity__gte=2)

# Outer level: one row per patient and group comes in; these count the patients (or sum contacts).
_PATIENT_COLUMNS = {
    "eligible": "COUNT(*)",
    "referred": "SUM(CASE WHEN top_intensity >= 2 THEN 1 ELSE 0 END)",
    "informed": "SUM(CASE WHEN top_intensity >= 1 THEN 1 ELSE 0 END)",
    "intensive": "SUM(CASE WHEN top_intensity >= 3 THEN 1 ELSE 0 END)",
    "suitable_eligible": "SUM(CASE WHEN any_not_suitable = 0 THEN 1 ELSE 0 END)",
    "suitable_referred": "SUM(CASE WHEN any_not_suitable = 0 AND top_intensity >= 2 THEN 1 ELSE 0 END)",
    "followed_up": "SUM(CASE WHEN follow_up_status IS NOT NULL THEN 1 ELSE 0 END)",
    "attended": "SUM(CASE WHEN follow_up_status = 3 THEN 1 ELSE 0 END)",
    "not_attended": "SUM(CASE WHEN follow_up_status = 2 THEN 1 ELSE 0 END)",
    "attendance_unknown": "SUM(CASE WHEN follow_up_status = 1 THEN 1 ELSE 0 END)",
    "contacts": "SUM(contact_count)",
    "answered_contacts": "SUM(answered_count)",
    "highest_not_answered": "SUM(CASE WHEN top_intensity IS NULL THEN 1 ELSE 0 END)",
    **{f"highest_{level}": f"SUM(CASE WHEN top_intensity = {level} THEN 1 ELSE 0 END)" for level in range(5)},
}
_BREAKDOWN_COLUMNS = {name: _PATIENT_COLUMNS[name] for name in ("eligible", "referred")}

# A referral contact's follow-up status: 3 = some follow-up says attended, 2 = some says not (none
# says attended), 1 = follow-ups only with "not known", null = no follow-up. A patient's status is
# the highest over their referral contacts of the month.
_STATUS = Case(
    When(attended=Attended.YES, then=Value(3)),
    When(attended=Attended.NO, then=Value(2)),
    default=Value(1),
    output_field=IntegerField(),
)


def patient_key():
    """The pseudonym, or for a contact without one a key of its own (it must never merge with others)."""
    return Case(
        When(patient_pseudonym="", then=Concat(Value("contact:"), Cast("pk", output_field=CharField()))),
        default=F("patient_pseudonym"),
        output_field=CharField(),
    )


def _flag(condition):
    return Max(Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()))


def _follow_up_status():
    """Per contact: its follow-ups' best status (a scalar subquery on the follow-up index), only for
    referral contacts; the others are never looked up."""
    status = (
        FollowUp.objects.filter(contact=OuterRef("pk"))
        .order_by()
        .values("contact")
        .annotate(status=Max(_STATUS))
        .values("status")
    )
    return Case(When(REFERRED, then=Subquery(status)), default=None, output_field=IntegerField())


def _per_patient(contacts, groups: dict, *, with_follow_ups: bool = True):
    """Inner level: one row per group and patient, with what the month's contacts say about that patient."""
    aggregates = {
        "top_intensity": Max("intensity"),
        "any_not_suitable": _flag(Q(not_suitable=True)),
        "contact_count": Count("pk"),
        "answered_count": Count("intensity"),
    }
    if with_follow_ups:
        aggregates["follow_up_status"] = Max(_follow_up_status())
    return (
        contacts.order_by()
        .annotate(**groups, patient_key=patient_key())
        .values(*groups, "patient_key")
        .annotate(**aggregates)
    )


def _aggregate(contacts, groups: dict, *, with_follow_ups: bool) -> list[dict]:
    """Run the two-level aggregate in one query. `groups` maps output names to expressions on contacts."""
    inner = _per_patient(contacts, groups, with_follow_ups=with_follow_ups)
    return _aggregate_inner(inner, groups, with_follow_ups=with_follow_ups)


def _aggregate_inner(inner, groups, *, with_follow_ups: bool) -> list[dict]:
    connection = connections[inner.db]
    inner_sql, params = inner.query.get_compiler(connection=connection).as_sql()
    # Group names are our own identifiers (never user input); they are quoted for the database.
    group_columns = ", ".join(connection.ops.quote_name(name) for name in groups)
    columns = _PATIENT_COLUMNS if with_follow_ups else _BREAKDOWN_COLUMNS
    selected = ", ".join(f"{expression} AS {connection.ops.quote_name(name)}" for name, expression in columns.items())
    sql = f"SELECT {group_columns}, {selected} FROM ({inner_sql}) patients GROUP BY {group_columns}"  # noqa: S608
    with transaction.atomic(using=inner.db, savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The follow-up subquery makes the planner's cost estimate large enough to switch on JIT
            # compilation, which costs more (about 250 ms at a million contacts) than the whole query.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _as_date(value) -> datetime.date:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def current_contacts():
    return PatientContact.objects.current()


def subtree_contacts(unit: Unit):
    return current_contacts().filter(unit__in=Unit.objects.filter(path__startswith=unit.path).values("pk"))


def in_months(contacts, months):
    """Contacts of these months, as a range minus gaps, so that the (unit, contact_month) index serves it."""
    months = sorted(set(months))
    if not months:
        return contacts.none()
    span = (months[-1].year - months[0].year) * 12 + months[-1].month - months[0].month + 1
    gaps = [month for month in month_range(months[-1], span) if month not in months]
    contacts = contacts.filter(contact_month__gte=months[0], contact_month__lte=months[-1])
    return contacts.exclude(contact_month__in=gaps) if gaps else contacts


def frozen_months(months) -> set[datetime.date]:
    return set(FrozenMonth.objects.filter(month__in=list(months)).values_list("month", flat=True))


def _known_frozen(months, frozen):
    return frozen_months(months) if frozen is None else set(frozen) & set(months)


# --- Live computation (used for months not frozen, and by freeze_months) -------------------------


def live_scope_figures(unit: Unit, months) -> dict[datetime.date, Figures]:
    """Per month, the figures of the unit and every unit below it, patients counted once across them."""
    result = {month: Figures() for month in months}
    if months:
        rows = _aggregate(
            in_months(subtree_contacts(unit), months), {"group_month": F("contact_month")}, with_follow_ups=True
        )
        for row in rows:
            result[_as_date(row["group_month"])] = Figures.from_mapping(row)
    return result


def live_scopes_figures(units, month: datetime.date) -> dict[int, Figures]:
    """For one month, per unit id, the figures of each unit and every unit below it, in one query:
    a UNION ALL of each unit's per-patient rows (nested units each count their own patients once)."""
    units = list(units)
    result = {unit.pk: Figures() for unit in units}
    if not units:
        return result
    inners = [
        _per_patient(
            in_months(subtree_contacts(unit), [month]),
            {"group_scope": Value(unit.pk, output_field=IntegerField())},
            with_follow_ups=True,
        )
        for unit in units
    ]
    inner = inners[0].union(*inners[1:], all=True) if len(inners) > 1 else inners[0]
    for row in _aggregate_inner(inner, {"group_scope": None}, with_follow_ups=True):
        result[row["group_scope"]] = Figures.from_mapping(row)
    return result


def live_own_figures(months, units=None) -> dict[tuple[int, datetime.date], Figures]:
    """Per (unit id, month), the figures of the unit's own contacts. Units without contacts are absent."""
    contacts = in_months(current_contacts(), months)
    if units is not None:
        contacts = contacts.filter(unit__in=units)
    groups = {"group_unit": F("unit_id"), "group_month": F("contact_month")}
    rows = _aggregate(contacts, groups, with_follow_ups=True)
    return {(row["group_unit"], _as_date(row["group_month"])): Figures.from_mapping(row) for row in rows}


@dataclass(frozen=True)
class BreakdownRow:
    key: int | None
    label: str
    eligible: int
    referred: int


def _clinician_label(first_name, last_name, username) -> str:
    name = f"{first_name or ''} {last_name or ''}".strip()
    return name or username or ""


_BREAKDOWN_GROUPS = {
    MonthlyBreakdown.Dimension.CLINICIAN: {
        "group_key": F("clinician_id"),
        "group_first_name": F("clinician__first_name"),
        "group_last_name": F("clinician__last_name"),
        "group_username": F("clinician__username"),
    },
    MonthlyBreakdown.Dimension.FELLOWSHIP: {
        "group_key": F("fellowships__id"),
        "group_code": F("fellowships__code"),
        "group_name": F("fellowships__name"),
    },
}


def _breakdown_label(dimension, row) -> str:
    if row["group_key"] is None:
        return ""
    if dimension == MonthlyBreakdown.Dimension.CLINICIAN:
        return _clinician_label(row["group_first_name"], row["group_last_name"], row["group_username"])
    # The registry's label: the name people know in the reader's language ("Other peer support", not
    # "Annen likepersonstøtte (PEER)" in English), with the usual short form ("Anonyme Alkoholikere (AA)").
    return Fellowship(code=row["group_code"], name=row["group_name"]).label


def _sorted_breakdown(dimension, rows: list[BreakdownRow]) -> list[BreakdownRow]:
    if dimension == MonthlyBreakdown.Dimension.FELLOWSHIP:
        return sorted(rows, key=lambda row: (row.key is None, -row.referred, row.label))
    return sorted(rows, key=lambda row: (row.key is None, row.label.casefold()))


def live_breakdown(unit: Unit, months, dimension: str) -> dict[datetime.date, list[BreakdownRow]]:
    """Per month, patients seen and referred per clinician or per fellowship in the unit's subtree. One query.

    Clinician: a patient counts once per clinician who saw them. Fellowship: `eligible` counts
    patients whose contacts named the fellowship at any intensity, `referred` those with a contact
    naming it at intensity 2 or higher; a patient may name several. Key None: not recorded.
    """
    result: dict[datetime.date, list[BreakdownRow]] = {month: [] for month in months}
    if not months:
        return result
    rows = _aggregate(
        in_months(subtree_contacts(unit), months),
        {"group_month": F("contact_month"), **_BREAKDOWN_GROUPS[dimension]},
        with_follow_ups=False,
    )
    for row in rows:
        result[_as_date(row["group_month"])].append(
            BreakdownRow(
                key=row["group_key"],
                label=_breakdown_label(dimension, row),
                eligible=int(row["eligible"]),
                referred=int(row["referred"] or 0),
            )
        )
    return {month: _sorted_breakdown(dimension, rows) for month, rows in result.items()}


# --- Public reads: frozen months from the snapshot, the others live -------------------------------


def scope_figures_by_month(unit: Unit, months: list[datetime.date], frozen=None) -> dict[datetime.date, Figures]:
    """Figures for the unit and every unit below it per month. At most three queries."""
    frozen = _known_frozen(months, frozen)
    result = live_scope_figures(unit, [month for month in months if month not in frozen])
    for month in frozen:
        result[month] = Figures(frozen=True)
    if frozen:
        for snapshot in MonthlyFigures.objects.filter(unit=unit, month__in=frozen, scope=Scope.SUBTREE):
            result[snapshot.month] = Figures.from_instance(snapshot)
    return {month: result[month] for month in months}


def scope_figures_by_unit(units, month: datetime.date, frozen=None) -> dict[int, Figures]:
    """One month's figures per unit id, each unit with its subtree. At most two queries, whatever the
    number of units (the home page shows several led units)."""
    units = list(units)
    if month not in _known_frozen([month], frozen):
        return live_scopes_figures(units, month)
    result = {unit.pk: Figures(frozen=True) for unit in units}
    for snapshot in MonthlyFigures.objects.filter(unit__in=units, month=month, scope=Scope.SUBTREE):
        result[snapshot.unit_id] = Figures.from_instance(snapshot)
    return result


def own_figures_by_unit(month: datetime.date, units=None, frozen=None) -> dict[int, Figures]:
    """Figures per unit from the unit's own contacts in one month (for comparing units). At most two queries."""
    if month in _known_frozen([month], frozen):
        snapshots = MonthlyFigures.objects.filter(month=month, scope=Scope.OWN)
        if units is not None:
            snapshots = snapshots.filter(unit__in=units)
        return {snapshot.unit_id: Figures.from_instance(snapshot) for snapshot in snapshots}
    return {unit_id: figures for (unit_id, _month), figures in live_own_figures([month], units).items()}


def breakdown(unit: Unit, month: datetime.date, dimension: str, frozen=None) -> list[BreakdownRow]:
    if month in _known_frozen([month], frozen):
        rows = MonthlyBreakdown.objects.filter(unit=unit, month=month, dimension=dimension)
        return _sorted_breakdown(
            dimension, [BreakdownRow(row.key, row.label, row.eligible, row.referred) for row in rows]
        )
    return live_breakdown(unit, [month], dimension)[month]


def own_figures_by_unit_month(units, months, frozen=None) -> dict[tuple[int, datetime.date], Figures]:
    """Per (unit id, month), the figures of each unit's own contacts. Units without contacts are absent.
    At most two queries."""
    frozen = _known_frozen(months, frozen)
    result = live_own_figures([month for month in months if month not in frozen], units)
    if frozen:
        for snapshot in MonthlyFigures.objects.filter(unit__in=units, month__in=frozen, scope=Scope.OWN):
            result[(snapshot.unit_id, snapshot.month)] = Figures.from_instance(snapshot)
    return result


def subtree_units(unit: Unit) -> list[Unit]:
    """The unit and every unit below it, top first (one query)."""
    return list(Unit.objects.filter(path__startswith=unit.path).order_by("path").only("pk", "path", "parent_id"))


def parents_below(unit: Unit, subtree: list[Unit]) -> list[Unit]:
    """The units of `subtree` below `unit` that have units of their own below them (their reports are totals)."""
    below = [each for each in subtree if each.pk != unit.pk]
    return [each for each in below if any(other.path.startswith(each.path) and other.pk != each.pk for other in below)]


def columns_below(unit: Unit, months, frozen=None, subtree=None) -> dict[datetime.date, list[tuple[int, str, Figures]]]:
    """Per month, every column of figures below `unit` that a reader may see elsewhere, as (unit id, scope,
    figures): the own contacts of the unit and of each unit in its subtree (the comparison), and the subtree of
    each unit below it that has units of its own (their reports). Empty for a unit without units below it (its
    own report is all there is).

    One query for the tree (none when `subtree` is given), one or two for the own figures, and up to three per
    unit below with units of its own.
    """
    subtree = subtree_units(unit) if subtree is None else subtree
    result: dict[datetime.date, list[tuple[int, str, Figures]]] = {month: [] for month in months}
    if len(subtree) < 2:
        return result
    for (unit_id, month), figures in own_figures_by_unit_month(subtree, months, frozen=frozen).items():
        result[month].append((unit_id, Scope.OWN.value, figures))
    for parent in parents_below(unit, subtree):
        for month, figures in scope_figures_by_month(parent, list(months), frozen=frozen).items():
            result[month].append((parent.pk, Scope.SUBTREE.value, figures))
    return result


# --- The reader's own contacts (reports.disclosure, rule 7) ---------------------------------------

OWN_SCOPE, SUBTREE_SCOPE = Scope.OWN.value, Scope.SUBTREE.value


def live_reader_figures(user, units, scopes, months) -> dict[tuple[str, int, datetime.date], Figures]:
    """(scope, unit id, month) → the figures of the contacts `user` recorded: each of `units`' own contacts
    ("own") and each of `scopes`' subtree ("subtree", patients counted once across its units). One query: a
    UNION ALL of the per-patient rows, all on the reader's contacts only."""
    if not months:
        return {}
    contacts = in_months(current_contacts().filter(clinician=user), months)

    def groups(scope: str, unit_id):
        return {
            "group_scope": Value(scope, output_field=CharField()),
            "group_unit": unit_id,
            "group_month": F("contact_month"),
        }

    inners = []
    if units is not None:
        own = contacts.filter(unit__in=units)
        inners.append(_per_patient(own, groups(OWN_SCOPE, F("unit_id")), with_follow_ups=True))
    for scope in scopes:
        subtree = contacts.filter(unit__in=Unit.objects.filter(path__startswith=scope.path).values("pk"))
        unit_id = Value(scope.pk, output_field=IntegerField())
        inners.append(_per_patient(subtree, groups(SUBTREE_SCOPE, unit_id), with_follow_ups=True))
    if not inners:
        return {}
    inner = inners[0].union(*inners[1:], all=True) if len(inners) > 1 else inners[0]
    rows = _aggregate_inner(inner, dict.fromkeys(("group_scope", "group_unit", "group_month")), with_follow_ups=True)
    return {
        (row["group_scope"], row["group_unit"], _as_date(row["group_month"])): Figures.from_mapping(row) for row in rows
    }


def frozen_reader_figures(user, units, months) -> dict[tuple[str, int, datetime.date], Figures]:
    """The same from the frozen per-clinician rows, which keep only eligible and referred of each unit's subtree.
    A unit's own contacts are its subtree minus its children's subtrees: exact unless the reader saw one patient
    in two of those units in the month, as the reader would work it out too. `units` must hold every unit of the
    scopes' subtrees. One query."""
    rows = MonthlyBreakdown.objects.filter(
        unit__in=units,
        month__in=list(months),
        dimension=MonthlyBreakdown.Dimension.CLINICIAN,
        key=user.pk,
    ).values_list("unit_id", "unit__parent_id", "month", "eligible", "referred")
    result, children = {}, {}
    for unit_id, parent_id, month, eligible, referred in rows:
        result[(SUBTREE_SCOPE, unit_id, month)] = Figures(eligible=eligible, referred=referred)
        children.setdefault((parent_id, month), []).append(unit_id)
    for (_scope, unit_id, month), subtree in list(result.items()):
        below = sum((result[(SUBTREE_SCOPE, child, month)] for child in children.get((unit_id, month), [])), Figures())
        own = subtree - below
        result[(OWN_SCOPE, unit_id, month)] = Figures(eligible=max(own.eligible, 0), referred=max(own.referred, 0))
    return result


def reader_figures(user, units, scopes, months, frozen=None) -> dict[tuple[str, int, datetime.date], Figures]:
    """What a reader knows without any report: the figures of the contacts they recorded themselves, per
    (scope, unit id, month), for the own contacts of each of `units` (a list or a queryset of units, every unit
    of the scopes' subtrees) and the subtree of each of `scopes`. A missing key: the reader recorded nothing
    there. At most two queries."""
    if user is None or not getattr(user, "pk", None):
        return {}
    frozen = _known_frozen(months, frozen)
    result = live_reader_figures(user, units, scopes, [month for month in months if month not in frozen])
    if frozen:
        result.update(frozen_reader_figures(user, units, sorted(frozen)))
    return result
