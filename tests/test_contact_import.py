"""referrals.importers: the EHR extract is checked row by row and written all or nothing."""

import datetime

import pytest

from core.periods import OSLO
from referrals import importers
from referrals.models import AccessLogEntry, PatientContact
from referrals.pseudonyms import pseudonym_for
from tests.factories import FellowshipFactory, MembershipFactory, PatientContactFactory, UnitFactory, UserFactory

HEADER = "date,unit,patient_ref,setting,intensity,fellowships,response,clinician"
# Synthetic numbers with valid check digits (constructed, not real people).
VALID_FNR = "01010012356"

pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def fellowships(db):
    return FellowshipFactory(code="AA"), FellowshipFactory(code="NA")


def csv_bytes(*rows, header=HEADER, delimiter=",", newline="\n", bom=False) -> bytes:
    lines = [header.replace(",", delimiter), *rows]
    text = newline.join(lines) + newline
    return (("\ufeff" if bom else "") + text).encode()


def test_valid_comma_file_creates_contacts_at_oslo_noon(unit_a, clinician_a, fellowships):
    data = csv_bytes(
        "2026-03-01,RUS-POL,EP-1,outpatient,2,AA;NA,positive,klinikera",
        "2026-03-02,RUS-POL,EP-2,detox,,,,",
    )

    result = importers.apply_import(data)

    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    first = PatientContact.objects.get(patient_pseudonym=pseudonym_for("EP-1"))
    assert first.unit == unit_a
    assert first.contacted_at == datetime.datetime(2026, 3, 1, 12, 0, tzinfo=OSLO)
    assert first.contact_month == datetime.date(2026, 3, 1)
    assert (first.setting, first.intensity, first.response, first.clinician) == (
        "outpatient",
        2,
        "positive",
        clinician_a,
    )
    assert sorted(first.fellowships.values_list("code", flat=True)) == ["AA", "NA"]
    second = PatientContact.objects.get(patient_pseudonym=pseudonym_for("EP-2"))
    assert (second.intensity, second.response, second.clinician) == (None, "", None)
    assert not second.fellowships.exists()


def test_semicolon_file_with_byte_order_mark_and_crlf_is_read(unit_a, clinician_a, fellowships):
    data = csv_bytes(
        '2026-03-01;RUS-POL;EP-1;inpatient;3;"AA;NA";undecided;klinikera',
        delimiter=";",
        newline="\r\n",
        bom=True,
    )

    result = importers.apply_import(data)

    assert result.created == 1
    contact = PatientContact.objects.get()
    assert (contact.setting, contact.intensity, contact.response) == ("inpatient", 3, "undecided")
    assert contact.fellowships.count() == 2


def test_columns_may_come_in_any_order_and_any_case(unit_a):
    data = csv_bytes(
        "EP-1,2026-03-01,outpatient,RUS-POL,,,,",
        header="Patient_Ref,DATE,setting,unit,intensity,fellowships,response,clinician",
    )

    assert importers.apply_import(data).created == 1


def test_row_with_same_unit_patient_and_date_updates_the_contact_in_place(unit_a, clinician_a, fellowships):
    existing = PatientContactFactory(
        unit=unit_a,
        clinician=None,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=OSLO),
        intensity=1,
        setting="outpatient",
    )
    data = csv_bytes("2026-03-01,RUS-POL,ep 1,detox,3,NA,positive,klinikera")

    result = importers.apply_import(data)

    assert (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert (existing.setting, existing.intensity, existing.response) == ("detox", 3, "positive")
    assert existing.clinician == clinician_a
    assert list(existing.fellowships.values_list("code", flat=True)) == ["NA"]
    assert existing.version == 2
    assert existing.contacted_at == datetime.datetime(2026, 3, 1, 23, 30, tzinfo=OSLO)


def test_empty_cells_keep_what_the_registry_already_holds(unit_a, clinician_a, fellowships):
    existing = PatientContactFactory(
        unit=unit_a,
        clinician=clinician_a,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 3, 1, 10, 0, tzinfo=OSLO),
        intensity=2,
        response="positive",
        setting="outpatient",
    )
    existing.fellowships.set([fellowships[0]])

    result = importers.apply_import(csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,,,,"))

    assert (result.updated, result.unchanged) == (0, 1)
    existing.refresh_from_db()
    assert (existing.intensity, existing.response, existing.clinician, existing.version) == (
        2,
        "positive",
        clinician_a,
        1,
    )
    assert list(existing.fellowships.all()) == [fellowships[0]]


def test_contact_on_another_oslo_date_is_not_updated(unit_a):
    # 23:30 UTC on 28 February is 00:30 on 1 March in Oslo: a different date from the row's.
    PatientContactFactory(
        unit=unit_a,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 2, 28, 23, 30, tzinfo=datetime.UTC),
    )

    result = importers.apply_import(csv_bytes("2026-02-28,RUS-POL,EP-1,outpatient,2,,,"))

    assert (result.created, result.updated) == (1, 0)


def test_the_same_patient_and_date_in_another_unit_is_not_updated(unit_a, unit_b):
    # The look-up finds contacts by pseudonym and filters the unit in a condition of its own (importers._unit_among).
    elsewhere = PatientContactFactory(
        unit=unit_b,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 3, 1, 12, 0, tzinfo=OSLO),
        intensity=1,
    )

    result = importers.apply_import(csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,3,,,"))

    assert (result.created, result.updated) == (1, 0)
    elsewhere.refresh_from_db()
    assert (elsewhere.intensity, elsewhere.version) == (1, 1)
    assert PatientContact.objects.get(unit=unit_a).intensity == 3


def test_soft_deleted_contact_is_not_brought_back(unit_a):
    PatientContactFactory(
        unit=unit_a,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 3, 1, 10, 0, tzinfo=OSLO),
        deleted_at=datetime.datetime(2026, 3, 2, 10, 0, tzinfo=OSLO),
    )

    result = importers.apply_import(csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,2,,,"))

    assert (result.created, result.updated, result.skipped_deleted) == (0, 0, 1)
    assert PatientContact.objects.current().count() == 0


def test_reimporting_the_same_file_changes_nothing(unit_a, clinician_a, fellowships):
    data = csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,2,AA,positive,klinikera")
    importers.apply_import(data)

    result = importers.apply_import(data)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert PatientContact.objects.count() == 1


def test_one_bad_row_writes_nothing_and_names_the_row(unit_a):
    data = csv_bytes(
        "2026-03-01,RUS-POL,EP-1,outpatient,2,,,",
        "2026-03-02,RUS-POL,EP-2,outpatient,9,,,",
        "2026-03-03,RUS-POL,EP-3,outpatient,1,,,",
    )

    with pytest.raises(importers.ImportInvalid) as raised:
        importers.apply_import(data)

    assert [(error.line, len(error.reasons)) for error in raised.value.plan.errors] == [(3, 1)]
    assert "intensity" in raised.value.plan.errors[0].reasons[0]
    assert PatientContact.objects.count() == 0
    assert AccessLogEntry.objects.count() == 0


def test_every_bad_row_is_named_with_every_reason(unit_a, fellowships):
    data = csv_bytes(
        "2026-03-01,RUS-POL,EP-1,outpatient,2,,,",
        "2026-02-30,RUS-POL,EP-2,outpatient,2,,,",
        "2026-03-02,NO-SUCH-UNIT,EP-3,home,x,ZZ,maybe,nobody",
        "2026-03-02,RUS-POL,,outpatient,,,,",
        "2099-01-01,RUS-POL,EP-5,outpatient,,,,",
    )

    plan = importers.plan_import(data)

    lines = {error.line: " ".join(error.reasons) for error in plan.errors}
    assert sorted(lines) == [3, 4, 5, 6]
    assert "does not exist" in lines[3]
    for expected in ["NO-SUCH-UNIT", "setting", "intensity", "ZZ", "maybe", "nobody"]:
        assert expected in lines[4]
    assert "patient_ref" in lines[5]
    assert "future" in lines[6]


def test_line_breaks_inside_cells_are_refused_and_later_line_numbers_stay_right(unit_a):
    data = csv_bytes('2026-03-01,RUS-POL,"EP\n1",outpatient,2,,,', "2026-03-01,RUS-POL,EP-2,outpatient,7,,,")

    plan = importers.plan_import(data)

    assert [(error.line, error.reasons[0][:40]) for error in plan.errors] == [
        (2, "patient_ref contains control characters"),
        (4, "intensity “7” is not a whole number from"),
    ]


def test_national_identity_number_is_refused_without_being_repeated(unit_a):
    data = csv_bytes(f"2026-03-01,RUS-POL,{VALID_FNR},outpatient,2,,,", f"2026-03-01,{VALID_FNR},EP-2,outpatient,,,,")

    plan = importers.plan_import(data)

    assert [error.line for error in plan.errors] == [2, 3]
    messages = " ".join(str(error) for error in plan.errors)
    assert "national identity number" in messages
    assert VALID_FNR not in messages
    assert "12356" not in messages


def test_unknown_clinician_and_clinician_of_another_unit_are_row_errors(unit_a, unit_b, clinician_b):
    UserFactory(username="retired", is_active=False)
    data = csv_bytes(
        "2026-03-01,RUS-POL,EP-1,outpatient,2,,,klinikerb",
        "2026-03-01,RUS-POL,EP-2,outpatient,2,,,retired",
        "2026-03-01,RUS-POL,EP-3,outpatient,2,,,ghost",
    )

    plan = importers.plan_import(data)

    reasons = [" ".join(error.reasons) for error in plan.errors]
    assert "does not work in unit RUS-POL" in reasons[0]
    assert "deactivated" in reasons[1]
    assert "unknown user name" in reasons[2]


def test_clinician_who_works_in_a_parent_unit_may_be_named(unit_a, clinic):
    MembershipFactory(user=UserFactory(username="overlege"), unit=clinic)

    assert importers.apply_import(csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,2,,,overlege")).created == 1


def test_contacts_belong_to_units_not_to_clinics(unit_a, clinic):
    plan = importers.plan_import(csv_bytes("2026-03-01,KLINIKK-RUS,EP-1,outpatient,2,,,"))

    assert "contacts are recorded on units" in plan.errors[0].reasons[0]


def test_same_patient_and_date_twice_in_the_file_is_an_error(unit_a):
    plan = importers.plan_import(
        csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,2,,,", "2026-03-01,RUS-POL,ep1,outpatient,3,,,")
    )

    assert [(error.line, error.reasons) for error in plan.errors] == [(3, ["same unit, patient and date as line 2"])]


def test_lead_import_refuses_rows_for_units_the_lead_does_not_lead(unit_a, unit_b, lead_a):
    from accounts.access import led_units

    plan = importers.plan_import(
        csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,2,,,", "2026-03-01,RUS-DOGN,EP-2,outpatient,2,,,"),
        allowed_units=led_units(lead_a),
    )

    assert [error.line for error in plan.errors] == [3]
    assert "not one of the units you lead" in plan.errors[0].reasons[0]


@pytest.mark.parametrize(
    "cell",
    ['"=HYPERLINK(""http://x"")"', "+1+1", "-2+3", "@SUM(A1)"],
)
def test_formula_cells_are_refused(unit_a, cell):
    plan = importers.plan_import(csv_bytes(f"2026-03-01,RUS-POL,{cell},outpatient,2,,,"))

    assert "formulas are not accepted" in plan.errors[0].reasons[0]


def test_over_long_cells_are_refused_without_being_echoed(unit_a):
    plan = importers.plan_import(csv_bytes(f"2026-03-01,{'X' * 5000},EP-1,outpatient,2,,,"))

    assert "longer than 200 characters" in str(plan.errors[0])
    assert "XXXXX" not in str(plan.errors[0])


def test_rows_with_too_few_or_too_many_fields_are_row_errors(unit_a):
    plan = importers.plan_import(csv_bytes("2026-03-01,RUS-POL,EP-1", "2026-03-01,RUS-POL,EP-2,outpatient,2,,,,extra"))

    assert [str(error) for error in plan.errors] == [
        "line 2: has 3 fields, the header has 8",
        "line 3: has 9 fields, the header has 8",
    ]


def test_blank_lines_and_empty_spreadsheet_rows_are_skipped(unit_a):
    data = csv_bytes("", "2026-03-01,RUS-POL,EP-1,outpatient,2,,,", ",,,,,,,")

    assert importers.apply_import(data).created == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf  \r\n", "empty"),
        (HEADER.encode() + b"\n", "no contacts"),
        (b"date,unit,patient_ref\n2026-03-01,RUS-POL,EP-1\n", "missing columns: setting"),
        (HEADER.encode() + b",ward\n", "unknown columns: “ward”"),
        (HEADER.encode() + b",unit\n", "columns named twice: unit"),
        (b"PK\x03\x04rest-of-a-zip", "spreadsheet workbook"),
        ("date,unit".encode("utf-16"), "UTF-16"),
        (HEADER.encode() + b"\n2026-03-01,RUS-POL,EP\x001,outpatient,,,,\n", "NUL bytes (first on line 2)"),
        (
            HEADER.encode() + b"\n2026-03-01,RUS-P\xd8L,EP-1,outpatient,,,,\n",
            "not UTF-8 (first unreadable character on line 2)",
        ),
        (HEADER.encode() + b'\n2026-03-01,"RUS-POL"x,EP-1,outpatient,,,,\n', "cannot be read as CSV"),
    ],
)
def test_unreadable_files_get_a_clear_error(unit_a, data, message):
    with pytest.raises(importers.ImportFileError) as raised:
        importers.plan_import(data)

    assert message in str(raised.value)


def test_file_over_the_size_limit_is_refused(unit_a, settings):
    settings.CONTACT_IMPORT_MAX_BYTES = 100

    with pytest.raises(importers.ImportFileError, match="too large"):
        importers.plan_import(csv_bytes(*["2026-03-01,RUS-POL,EP-1,outpatient,2,,,"] * 5))


def test_file_over_the_row_limit_is_refused(unit_a, settings):
    settings.CONTACT_IMPORT_MAX_ROWS = 2

    with pytest.raises(importers.ImportFileError, match="more than 2 rows"):
        importers.plan_import(csv_bytes(*[f"2026-03-01,RUS-POL,EP-{n},outpatient,2,,," for n in range(3)]))


def test_each_created_or_updated_contact_gets_one_import_log_entry(unit_a, lead_a):
    PatientContactFactory(
        unit=unit_a,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 3, 1, 10, 0, tzinfo=OSLO),
        intensity=1,
    )
    PatientContactFactory(
        unit=unit_a,
        patient_pseudonym=pseudonym_for("EP-3"),
        contacted_at=datetime.datetime(2026, 3, 1, 10, 0, tzinfo=OSLO),
        intensity=1,
        setting="outpatient",
    )
    data = csv_bytes(
        "2026-03-01,RUS-POL,EP-1,outpatient,2,,,",
        "2026-03-01,RUS-POL,EP-2,outpatient,2,,,",
        "2026-03-01,RUS-POL,EP-3,outpatient,1,,,",
    )

    importers.apply_import(data, user=lead_a)

    entries = AccessLogEntry.objects.filter(action=AccessLogEntry.Action.IMPORT)
    assert entries.count() == 2
    assert {entry.username for entry in entries} == {"ledera"}
    assert {entry.patient_pseudonym for entry in entries} == {pseudonym_for("EP-1"), pseudonym_for("EP-2")}
    assert all(entry.unit_id == unit_a.pk and entry.contact_id for entry in entries)


def test_import_without_a_user_is_logged_as_system(unit_a):
    importers.apply_import(csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,2,,,"))

    assert AccessLogEntry.objects.get().username == "system"


def test_apply_refuses_a_file_that_differs_from_the_previewed_one(unit_a):
    data = csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,2,,,")
    plan = importers.plan_import(data)

    with pytest.raises(importers.ImportFileError, match="changed after the preview"):
        importers.apply_import(data + b"2026-03-02,RUS-POL,EP-9,outpatient,2,,,\n", expected_sha256=plan.sha256)

    assert PatientContact.objects.count() == 0


def test_many_rows_are_checked_with_a_fixed_number_of_queries(
    unit_a, clinician_a, fellowships, django_assert_num_queries
):
    other = UnitFactory(code="RUS-AVR", parent=unit_a.parent)
    rows = [
        f"2026-03-{1 + n % 28:02d},{'RUS-POL' if n % 2 else 'RUS-AVR'},EP-{n},outpatient,2,AA,,"
        + ("klinikera" if n % 2 else "")
        for n in range(300)
    ]
    assert other.pk

    # units, users, memberships, fellowships, existing contacts, their fellowships
    with django_assert_num_queries(5):
        plan = importers.plan_import(csv_bytes(*rows))

    assert plan.is_valid and plan.created == 300


def test_rows_follow_the_contact_forms_rules_for_intensity(unit_a, fellowships):
    plan = importers.plan_import(
        csv_bytes(
            "2026-03-01,RUS-POL,EP-1,outpatient,0,AA,,",
            "2026-03-01,RUS-POL,EP-2,outpatient,,,positive,",
            "2026-03-01,RUS-POL,EP-3,outpatient,1,AA,positive,",
        )
    )

    assert [error.line for error in plan.errors] == [2, 3]
    assert plan.errors[0].reasons[0].startswith("intensity: Fellowships or meetings were suggested")
    assert plan.errors[1].reasons[0].startswith("intensity: The patient responded")


def test_update_may_not_contradict_what_the_clinician_recorded(unit_a):
    PatientContactFactory(
        unit=unit_a,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 3, 1, 10, 0, tzinfo=OSLO),
        intensity=3,
        volunteer_contact_arranged=True,
    )

    plan = importers.plan_import(csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,1,,,"))

    assert plan.errors[0].line == 2
    assert "volunteer_contact_arranged" in plan.errors[0].reasons[0]


def test_update_of_a_contact_with_suggested_meetings_keeps_them(unit_a):
    from tests.factories import MeetingFactory

    contact = PatientContactFactory(
        unit=unit_a,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 3, 1, 10, 0, tzinfo=OSLO),
        intensity=2,
    )
    meeting = MeetingFactory()
    contact.suggested_meetings.set([meeting])

    result = importers.apply_import(csv_bytes("2026-03-01,RUS-POL,EP-1,inpatient,3,,,"))

    assert result.updated == 1
    assert list(contact.suggested_meetings.all()) == [meeting]


def test_an_unreadable_cell_is_reported_once(unit_a):
    plan = importers.plan_import(csv_bytes('2026-03-01,RUS-POL,"=HYPERLINK(""x"")",outpatient,2,,,'))

    assert plan.errors[0].reasons == ["patient_ref starts with “=”: spreadsheet formulas are not accepted"]


def test_a_cell_beyond_the_csv_field_limit_is_a_clear_file_error(unit_a):
    data = csv_bytes(f"2026-03-01,RUS-POL,{'9' * 200_000},outpatient,2,,,")

    with pytest.raises(importers.ImportFileError, match="Line 2 cannot be read as CSV"):
        importers.plan_import(data)


def test_tab_separated_file_is_refused_with_the_expected_columns(unit_a):
    with pytest.raises(importers.ImportFileError, match="The columns are: date, unit, patient_ref"):
        importers.plan_import(HEADER.replace(",", "\t").encode() + b"\n")


def test_every_bad_row_and_every_problem_in_a_row_are_reported_at_once(unit_a, fellowships):
    plan = importers.plan_import(
        csv_bytes(
            "2026-03-01,RUS-POL,EP-1,nowhere,,,,",  # a cell's own problem
            "2026-03-01,RUS-POL,EP-2,outpatient,,,positive,",  # only the service's rule
            "2026-03-01,RUS-POL,EP-3,nowhere,0,AA,positive,",  # a cell's problem and two of the service's rules
        )
    )

    assert [error.line for error in plan.errors] == [2, 3, 4]
    assert plan.errors[1].reasons == [
        "intensity: The patient responded, so self-help was discussed: choose intensity 1 or higher"
    ]
    assert plan.errors[2].reasons[0].startswith("setting “nowhere” is not one of")
    assert plan.errors[2].reasons[1:] == [
        "intensity: Fellowships or meetings were suggested, so self-help was discussed: choose intensity 1 or higher",
        "intensity: The patient responded, so self-help was discussed: choose intensity 1 or higher",
    ]


def test_an_empty_response_cell_is_not_called_a_response_when_the_recorded_contact_has_one(unit_a):
    PatientContactFactory(
        unit=unit_a,
        patient_pseudonym=pseudonym_for("EP-1"),
        contacted_at=datetime.datetime(2026, 3, 1, 10, 0, tzinfo=OSLO),
        intensity=2,
        response="positive",
    )

    plan = importers.plan_import(csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,0,,,"))

    assert plan.errors[0].reasons == [
        "intensity: the contact is already recorded with the response “Positive”, so self-help was discussed: "
        "give intensity 1 or higher"
    ]


def test_a_committed_import_makes_cached_reports_stale_at_once(unit_a, django_capture_on_commit_callbacks):
    from reports import report_cache

    report_cache.bump_generation()
    before = report_cache.GENERATION.current()

    with django_capture_on_commit_callbacks(execute=True):
        importers.apply_import(csv_bytes("2026-03-01,RUS-POL,EP-1,outpatient,2,,,"))

    assert report_cache.GENERATION.current() != before


def test_a_refused_import_leaves_cached_reports_alone(unit_a, django_capture_on_commit_callbacks):
    from reports import report_cache

    report_cache.bump_generation()
    before = report_cache.GENERATION.current()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(importers.ImportInvalid):
        importers.apply_import(csv_bytes("2026-03-01,RUS-POL,EP-1,nowhere,2,,,"))

    assert report_cache.GENERATION.current() == before


def test_progress_is_reported_while_checking_and_writing(unit_a):
    seen = []
    rows = [f"2026-03-{1 + n % 28:02d},RUS-POL,EP-{n},outpatient,2,,," for n in range(12_000)]

    importers.apply_import(csv_bytes(*rows), progress=lambda *args: seen.append(args))

    # Each batch is written once checked; the last report comes when every batch is written, before the commit.
    assert seen == [
        ("check", 5000, 12000),
        ("check", 10000, 12000),
        ("check", 12000, 12000),
        ("write", 12000, 12000),
    ]
