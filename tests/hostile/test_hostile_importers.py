"""Both importers with hostile files: they import everything or nothing, and say what was wrong.

import_meetings takes a Meeting Guide JSON feed or a 12 Step Meeting List CSV; import_contacts the
EHR extract CSV. A hostile value goes into one cell of an otherwise valid file; whole files of
random bytes follow. Either the command succeeds, or it raises CommandError, prints what was
wrong, and the tables are exactly as before. Any other exception is a failure.
"""

import csv
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from hypothesis import example, given
from hypothesis import strategies as st

from referrals.models import AccessLogEntry, FollowUp, PatientContact
from registry.models import Group, Meeting
from tests.hostile.payloads import HOSTILE_SETTINGS, KEY_VALUES, NATIONAL_IDS, SCRIPT, RawBytes, hostile_value

FEED_KEYS = [
    "name",
    "slug",
    "day",
    "time",
    "end_time",
    "timezone",
    "location",
    "address",
    "city",
    "postal_code",
    "country",
    "formatted_address",
    "latitude",
    "longitude",
    "region",
    "types",
    "notes",
    "conference_url",
    "conference_phone",
    "updated",
    "group",
    "url",
    "attendance_option",
]
# JSON can carry more than strings: each of these in place of a field value.
JSON_ODDITIES = [
    None,
    True,
    -1,
    1e309 if False else 1.5e308,
    [],
    {},
    [None],
    {"$gt": ""},
    ["<script>alert(1)</script>"],
    2**70,
]


def _valid_feed():
    return [
        {
            "name": f"Onsdagsmøtet {index}",
            "slug": f"hostile-{index}",
            "day": 3,
            "time": "19:00",
            "end_time": "20:30",
            "timezone": "Europe/Oslo",
            "location": "Kirkens bymisjon",
            "address": "Gyldenløves gate 1",
            "city": "Kristiansand",
            "postal_code": "4611",
            "country": "Norway",
            "types": ["C", "BE"],
            "notes": "Inngang fra gården.",
            "updated": "2026-01-01 12:00:00",
        }
        for index in range(3)
    ]


def _meeting_state():
    return (
        Meeting.objects.count(),
        Group.objects.count(),
        sorted(Meeting.objects.values_list("slug", "name", "status", "updated_at")),
    )


def _run(command, path, *args):
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command(command, str(path), *args, stdout=stdout, stderr=stderr)
    except CommandError as error:
        return False, stdout.getvalue(), stderr.getvalue() + str(error)
    return True, stdout.getvalue(), stderr.getvalue()


def _import_meetings(path, check_detail_client=None):
    before = _meeting_state()
    succeeded, out, err = _run("import_meetings", path)
    after = _meeting_state()
    if succeeded:
        # All or nothing, exactly: the meetings it says it created are new, and nothing else appeared or went.
        counts = re.search(r"created: (\d+), updated: (\d+), unchanged: (\d+)", out)
        records = re.search(r"(\d+) record\(s\) read", out)
        assert counts and records, out
        created, updated, unchanged = map(int, counts.groups())
        assert created + updated + unchanged == int(records.group(1)), out
        assert after[0] == before[0] + created, out
        assert {row[0] for row in before[2]} <= {row[0] for row in after[2]}
    else:
        assert after == before, f"a refused import wrote something: {err[:500]}"
        assert err.strip(), "a refused import must say what was wrong"
    return succeeded, out, err


@pytest.fixture
def meeting_world(db):
    from tests.factories import FellowshipFactory

    FellowshipFactory(code="AA")


def test_a_valid_feed_imports_so_the_attack_can_see_writes(tmp_path, meeting_world):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(_valid_feed()), encoding="utf-8")
    succeeded, out, err = _import_meetings(path)
    assert succeeded, err
    assert Meeting.objects.filter(slug__startswith="hostile-").count() == 3


@HOSTILE_SETTINGS
@given(
    key=st.sampled_from(FEED_KEYS),
    value=st.one_of(hostile_value, st.sampled_from(JSON_ODDITIES)),
    position=st.integers(min_value=0, max_value=2),
)
@example(key="name", value=SCRIPT, position=0)
@example(key="slug", value="\x00", position=1)
@example(key="notes", value="\x00", position=1)
@example(key="country", value="\x00", position=0)  # a key the importer does not read: refused all the same
@example(key="time", value="25:61", position=0)
@example(key="day", value=7, position=0)
@example(key="latitude", value=2**70, position=2)
@example(key="postal_code", value="'; DROP TABLE registry_meeting; --", position=2)
def test_import_meetings_json_with_one_hostile_field_imports_all_or_nothing(
    tmp_path, meeting_world, key, value, position
):
    feed = _valid_feed()
    marker = "\u0000RAW\u0000"
    if isinstance(value, RawBytes):
        feed[position][key] = marker
        content = json.dumps(feed).encode("utf-8").replace(json.dumps(marker)[1:-1].encode(), value.data)
    else:
        feed[position][key] = value
        content = json.dumps(feed, allow_nan=True).encode("utf-8")
    path = tmp_path / "feed.json"
    path.write_bytes(content)
    succeeded, _, err = _import_meetings(path)
    if succeeded and isinstance(value, str) and "\x00" in value:
        pytest.fail(f"a NUL byte in {key} was imported")


TSML_HEADER = ["Time", "End Time", "Day", "Name", "Location", "Address", "Region", "Types", "Notes", "Slug", "Updated"]


def _valid_csv_rows():
    return [
        ["7:00 PM", "8:30 PM", "Wednesday", f"Onsdagsmøtet {i}", "Kirkens bymisjon",
         "Gyldenløves gate 1, 4611 Kristiansand, Norway", "Agder", "Closed, Beginner", "", f"hostile-csv-{i}", ""]
        for i in range(3)
    ]  # fmt: skip


def _csv_bytes(header, rows, *, raw: RawBytes | None = None, delimiter=",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    if raw is not None:
        data = data.replace(b"@@RAW@@", raw.data)
    return data


def test_a_valid_tsml_csv_imports_so_the_attack_can_see_writes(tmp_path, meeting_world):
    path = tmp_path / "meetings.csv"
    path.write_bytes(_csv_bytes(TSML_HEADER, _valid_csv_rows()))
    succeeded, out, err = _import_meetings(path)
    assert succeeded, err
    assert Meeting.objects.filter(slug__startswith="hostile-csv-").count() == 3


@HOSTILE_SETTINGS
@given(
    column=st.integers(min_value=0, max_value=len(TSML_HEADER) - 1),
    row=st.integers(min_value=0, max_value=2),
    value=hostile_value,
)
@example(column=3, row=0, value=SCRIPT)
@example(column=0, row=1, value="\x00")
@example(column=9, row=2, value=RawBytes(b"\xff\xfe"))
def test_import_meetings_csv_with_one_hostile_cell_imports_all_or_nothing(tmp_path, meeting_world, column, row, value):
    rows = _valid_csv_rows()
    rows[row][column] = "@@RAW@@" if isinstance(value, RawBytes) else value
    path = tmp_path / "meetings.csv"
    path.write_bytes(_csv_bytes(TSML_HEADER, rows, raw=value if isinstance(value, RawBytes) else None))
    _import_meetings(path)


@HOSTILE_SETTINGS
@given(content=st.binary(max_size=2000), suffix=st.sampled_from([".json", ".csv"]))
@example(content=b"\xef\xbb\xbf[", suffix=".json")
@example(content=b'{"name": "x"}', suffix=".json")
@example(content=b"[" * 5000 + b"]" * 5000, suffix=".json")
@example(content=b'Name,Slug\n"unclosed,x\n', suffix=".csv")
@example(content=b"\x00" * 100, suffix=".csv")
def test_import_meetings_with_random_bytes_never_crashes(tmp_path, meeting_world, content, suffix):
    path = tmp_path / f"source{suffix}"
    path.write_bytes(content)
    _import_meetings(path)


# --- import_contacts ------------------------------------------------------------------------------------

CONTACT_HEADER = ["date", "unit", "patient_ref", "setting", "intensity", "fellowships", "response", "clinician"]


@pytest.fixture
def contact_world(unit_a, clinician_a):
    from tests.factories import FellowshipFactory

    FellowshipFactory(code="AA")
    FellowshipFactory(code="NA")
    return unit_a, clinician_a


def _valid_contact_rows(unit, clinician):
    return [
        ["2026-10-01", unit.code, f"EPI-{i}", "outpatient", "2", "AA;NA", "positive", clinician.username]
        for i in range(3)
    ]


def _contact_state():
    return (
        PatientContact.objects.count(),
        FollowUp.objects.count(),
        PatientContact.fellowships.through.objects.count(),
        sorted(PatientContact.objects.values_list("pk", "intensity", "response", "patient_pseudonym")),
        AccessLogEntry.objects.count(),
    )


def _import_contacts(path, *, secrets=()):
    before = _contact_state()
    succeeded, out, err = _run("import_contacts", path)
    after = _contact_state()
    if not succeeded:
        assert after == before, f"a refused import wrote something: {err[:500]}"
        assert err.strip(), "a refused import must say what was wrong"
    for secret in secrets:
        if secret and len(secret) >= 6:
            assert secret not in out + err, "the command printed a patient reference"
    return succeeded, out, err


def test_a_valid_contact_extract_imports_so_the_attack_can_see_writes(tmp_path, contact_world):
    path = tmp_path / "extract.csv"
    path.write_bytes(_csv_bytes(CONTACT_HEADER, _valid_contact_rows(*contact_world)))
    succeeded, out, err = _import_contacts(path)
    assert succeeded, err
    assert PatientContact.objects.count() == 3


@HOSTILE_SETTINGS
@given(
    column=st.integers(min_value=0, max_value=len(CONTACT_HEADER) - 1),
    row=st.integers(min_value=0, max_value=2),
    value=hostile_value,
    delimiter=st.sampled_from([",", ";"]),
)
@example(column=2, row=0, value=NATIONAL_IDS[0], delimiter=",")
@example(column=2, row=1, value=NATIONAL_IDS[2], delimiter=";")
@example(column=0, row=2, value="2026-02-30", delimiter=",")
@example(column=2, row=0, value="\x00", delimiter=",")
@example(column=4, row=0, value=KEY_VALUES[-1], delimiter=",")
@example(column=1, row=0, value=SCRIPT, delimiter=",")
@example(column=2, row=0, value=RawBytes(b"abc\xc3\x28"), delimiter=",")
def test_import_contacts_with_one_hostile_cell_imports_all_or_nothing(
    tmp_path, contact_world, column, row, value, delimiter
):
    rows = _valid_contact_rows(*contact_world)
    rows[row][column] = "@@RAW@@" if isinstance(value, RawBytes) else value
    path = tmp_path / "extract.csv"
    raw = value if isinstance(value, RawBytes) else None
    path.write_bytes(_csv_bytes(CONTACT_HEADER, rows, raw=raw, delimiter=delimiter))
    secrets = [value] if column == 2 and isinstance(value, str) and value.strip() else []
    succeeded, _, err = _import_contacts(path, secrets=secrets)
    if value in NATIONAL_IDS and column == 2:
        assert not succeeded, "a national identity number was accepted as a patient reference"


@HOSTILE_SETTINGS
@given(content=st.binary(max_size=2000))
@example(content=b"\xef\xbb\xbfdate;unit;patient_ref;setting;intensity;fellowships;response;clinician\n")
@example(content=b"date,unit\n" + b"x," * 5000)
@example(content=b'"' * 1000)
def test_import_contacts_with_random_bytes_never_crashes(tmp_path, contact_world, content):
    path = tmp_path / "extract.csv"
    path.write_bytes(content)
    _import_contacts(path)
