"""The curation admin: who gets in, forms through services, validation shown, bulk actions, history, warnings."""

import datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from registry.models import Group, Meeting, MeetingType, Status
from tests.factories import FellowshipFactory, GroupFactory, TypedMeetingFactory, login, municipality

CHANGELIST = reverse("admin:registry_meeting_changelist")


def change_url(meeting):
    return reverse("admin:registry_meeting_change", args=[meeting.pk])


def meeting_form_data(meeting, **overrides):
    """The admin change form as the browser would post it, unchanged unless overridden."""
    data = {
        "group": meeting.group_id,
        "name": meeting.name,
        "slug": meeting.slug,
        "status": meeting.status,
        "weekday": meeting.weekday,
        "start_time": meeting.start_time.strftime("%H:%M"),
        "end_time": meeting.end_time.strftime("%H:%M") if meeting.end_time else "",
        "recurrence": meeting.recurrence,
        "anchor_date": "",
        "week_of_month": "",
        "valid_from": "",
        "valid_to": "",
        "attendance_mode": meeting.attendance_mode,
        "venue": meeting.venue,
        "address": meeting.address,
        "postal_code": meeting.postal_code,
        "municipality": meeting.municipality_id or "",
        "latitude": "",
        "longitude": "",
        "location_notes": "",
        "conference_url": meeting.conference_url,
        "conference_url_notes": "",
        "conference_phone": meeting.conference_phone,
        "conference_phone_notes": "",
        "types": [t.code for t in meeting.types.all()],
        "languages": meeting.languages,
        "notes": meeting.notes,
    }
    data.update(overrides)
    return data


@pytest.fixture
def curator_client(client, curator):
    return login(client, curator)


@pytest.mark.parametrize("persona", ["clinician_a", "lead_a", "analyst"])
def test_staff_without_the_curator_role_cannot_open_the_registry_admin(client, request, persona):
    login(client, request.getfixturevalue(persona))
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_curator_and_administrator_see_the_meeting_list(client, curator, administrator):
    TypedMeetingFactory(name="Synlig")
    for user in (curator, administrator):
        response = login(client, user).get(CHANGELIST)
        assert response.status_code == 200
        assert "Synlig" in response.content.decode()


def test_meeting_list_uses_a_fixed_number_of_queries(curator_client, django_assert_num_queries):
    places = ["4204", "4203", "0301", "4601"]
    for number in range(60):
        TypedMeetingFactory(
            group=GroupFactory(fellowship=FellowshipFactory(code="NA" if number % 3 else "AA")),
            weekday=1 + number % 7,
            municipality=municipality(places[number % 4]),
            types=["O"],
        )
    curator_client.get(CHANGELIST)  # warm the session and content types
    # The session and the user's permissions (the user is kept from the first request: accounts/principals.py); the
    # sidebar's fellowship, county and municipality choices; count and page (the duplicate check is a subquery); the
    # session is not saved again within a minute.
    with django_assert_num_queries(8):
        response = curator_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 50


def test_group_list_counts_meetings_without_extra_queries(curator_client, django_assert_num_queries):
    for _number in range(30):
        group = GroupFactory()
        TypedMeetingFactory(group=group)
        TypedMeetingFactory(group=group, status=Status.INACTIVE)
    curator_client.get(reverse("admin:registry_group_changelist"))
    with django_assert_num_queries(8):
        response = curator_client.get(reverse("admin:registry_group_changelist"))
    assert {group.meeting_count for group in response.context["cl"].result_list} == {1}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"group__fellowship__id__exact": "NA"}, ["NA-møtet"]),
        ({"municipality__county__number__exact": "03"}, ["Oslo-møtet"]),
        ({"municipality__number__exact": "4203"}, ["Arendal-møtet"]),
        ({"weekday__exact": "6"}, ["Oslo-møtet"]),
        ({"status__exact": "temporarily_closed"}, ["Arendal-møtet"]),
        ({"attendance_mode__exact": "hybrid"}, ["NA-møtet"]),
        ({"verified": "stale"}, ["Arendal-møtet", "NA-møtet"]),
        ({"verified": "fresh"}, ["Oslo-møtet"]),
    ],
)
def test_meeting_list_filters(curator_client, params, expected):
    na = FellowshipFactory(code="NA")
    TypedMeetingFactory(
        name="Oslo-møtet", weekday=6, municipality=municipality("0301"), last_verified_at=timezone.now()
    )
    TypedMeetingFactory(name="Arendal-møtet", municipality=municipality("4203"), status=Status.TEMPORARILY_CLOSED)
    TypedMeetingFactory(
        name="NA-møtet",
        group=GroupFactory(fellowship=na),
        attendance_mode="hybrid",
        conference_url="https://meet.example.org/x",
        last_verified_at=timezone.now() - datetime.timedelta(days=200),
    )
    if "group__fellowship__id__exact" in params:
        params = {"group__fellowship__id__exact": na.pk}
    response = curator_client.get(CHANGELIST, params)
    assert response.status_code == 200
    assert sorted(m.name for m in response.context["cl"].result_list) == expected


def test_meeting_list_search(curator_client):
    TypedMeetingFactory(name="Fyrlykta", venue="Blå Kors-huset")
    TypedMeetingFactory(name="Annet")
    response = curator_client.get(CHANGELIST, {"q": "blå kors"})
    assert [m.name for m in response.context["cl"].result_list] == ["Fyrlykta"]


def test_curator_edits_a_meeting_and_sees_the_history(curator_client, curator):
    meeting = TypedMeetingFactory(start_time=datetime.time(18, 0), types=["C"])
    response = curator_client.post(
        change_url(meeting), meeting_form_data(meeting, start_time="18:30", types=["C", "X"])
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert meeting.start_time == datetime.time(18, 30)
    history = curator_client.get(
        reverse("admin:registry_meeting_history", args=[meeting.pk]), headers={"Accept-Language": "nb"}
    )
    content = history.content.decode()
    assert history.status_code == 200
    assert "18:00" in content and "18:30" in content
    assert curator.username in content
    assert "Wheelchair Access" in content or "Rullestoltilgang" in content
    entry = LogEntry.objects.get_for_object(meeting).filter(action=LogEntry.Action.UPDATE).first()
    assert entry.actor == curator


def test_validation_errors_are_shown_in_the_admin_form_and_nothing_is_saved(curator_client):
    meeting = TypedMeetingFactory(name="Før")
    data = meeting_form_data(meeting, name="Etter", address="", end_time=meeting.start_time.strftime("%H:%M"))
    response = curator_client.post(change_url(meeting), data, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "An address is required unless the meeting is online only." in content
    assert "The end time must differ from the start time." in content
    meeting.refresh_from_db()
    assert meeting.name == "Før"


def test_bad_slug_is_refused_in_the_admin_form(curator_client):
    meeting = TypedMeetingFactory()
    response = curator_client.post(change_url(meeting), meeting_form_data(meeting, slug="Med Mellomrom"))
    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors


def test_empty_slug_is_made_from_the_name(curator_client):
    meeting = TypedMeetingFactory()
    data = meeting_form_data(meeting, slug="", name="Nytt møte")
    data.pop("types")
    response = curator_client.post(reverse("admin:registry_meeting_add"), data)
    assert response.status_code == 302
    assert Meeting.objects.filter(slug="nytt-mote-kristiansand").exists()


def test_open_and_closed_together_are_saved_as_closed_with_a_warning(curator_client):
    meeting = TypedMeetingFactory(types=["O"])
    response = curator_client.post(
        change_url(meeting),
        meeting_form_data(meeting, types=["O", "C"]),
        follow=True,
        headers={"Accept-Language": "en"},
    )
    assert set(meeting.types.values_list("code", flat=True)) == {"C"}
    assert "closed wins" in response.content.decode()


def test_saving_a_duplicate_warns_and_the_list_marks_it(curator_client):
    group = GroupFactory()
    first = TypedMeetingFactory(group=group, name="Første", weekday=2)
    second = TypedMeetingFactory(group=group, name="Andre", weekday=3)
    response = curator_client.post(
        change_url(second), meeting_form_data(second, weekday=2), follow=True, headers={"Accept-Language": "en"}
    )
    assert "Check that it is not a duplicate" in response.content.decode()
    listing = curator_client.get(CHANGELIST, {"duplicate": "yes"})
    assert sorted(m.name for m in listing.context["cl"].result_list) == ["Andre", "Første"]
    assert "Same time as another" in listing.content.decode()
    assert first.pk


def test_curator_adds_a_group_with_meetings_in_one_form(curator_client, curator):
    fellowship = FellowshipFactory(code="NA")
    data = {
        "name": "NA Nytt håp",
        "fellowship": fellowship.pk,
        "municipality": "4204",
        "status": "active",
        "contact": "",
        "website": "",
        "notes": "",
        "meetings-TOTAL_FORMS": "2",
        "meetings-INITIAL_FORMS": "0",
        "meetings-MIN_NUM_FORMS": "0",
        "meetings-MAX_NUM_FORMS": "1000",
        "meetings-0-name": "Mandagsmøtet",
        "meetings-0-weekday": "1",
        "meetings-0-start_time": "19:00",
        "meetings-0-end_time": "20:30",
        "meetings-0-attendance_mode": "in_person",
        "meetings-0-venue": "Kirkens bymisjon",
        "meetings-0-address": "Kirkegata 1",
        "meetings-0-municipality": "4204",
        "meetings-0-conference_url": "",
        "meetings-0-status": "active",
        "meetings-1-name": "Nettmøtet",
        "meetings-1-weekday": "4",
        "meetings-1-start_time": "20:00",
        "meetings-1-end_time": "",
        "meetings-1-attendance_mode": "online",
        "meetings-1-venue": "",
        "meetings-1-address": "",
        "meetings-1-municipality": "",
        "meetings-1-conference_url": "https://meet.example.org/nytt-hap",
        "meetings-1-status": "active",
    }
    response = curator_client.post(reverse("admin:registry_group_add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    group = Group.objects.get(name="NA Nytt håp")
    assert sorted(group.meetings.values_list("name", "slug")) == [
        ("Mandagsmøtet", "mandagsmotet-kristiansand"),
        ("Nettmøtet", "nettmotet"),
    ]
    meeting = group.meetings.get(name="Mandagsmøtet")
    assert LogEntry.objects.get_for_object(meeting).get().actor == curator
    assert LogEntry.objects.get_for_object(group).get().actor == curator


def test_inline_meeting_errors_are_shown_and_nothing_is_saved(curator_client):
    group = GroupFactory(name="Uendret")
    data = {
        "name": "Endret",
        "fellowship": group.fellowship_id,
        "municipality": "4204",
        "status": "active",
        "meetings-TOTAL_FORMS": "1",
        "meetings-INITIAL_FORMS": "0",
        "meetings-MIN_NUM_FORMS": "0",
        "meetings-MAX_NUM_FORMS": "1000",
        "meetings-0-name": "Uten adresse",
        "meetings-0-weekday": "1",
        "meetings-0-start_time": "19:00",
        "meetings-0-attendance_mode": "in_person",
        "meetings-0-status": "active",
    }
    response = curator_client.post(
        reverse("admin:registry_group_change", args=[group.pk]), data, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    assert "An address is required" in response.content.decode()
    group.refresh_from_db()
    assert group.name == "Uendret" and not group.meetings.exists()


def test_group_history_includes_its_meetings(curator_client):
    group = GroupFactory()
    meeting = TypedMeetingFactory(group=group, name="Gammelt navn")
    curator_client.post(change_url(meeting), meeting_form_data(meeting, name="Nytt navn"))
    content = curator_client.get(reverse("admin:registry_group_history", args=[group.pk])).content.decode()
    assert "Gammelt navn" in content and "Nytt navn" in content


@pytest.mark.parametrize(
    ("action", "status"),
    [("mark_temporarily_closed", Status.TEMPORARILY_CLOSED), ("mark_inactive", Status.INACTIVE)],
)
def test_bulk_status_actions_go_through_services_and_history(curator_client, curator, action, status):
    meetings = [TypedMeetingFactory(), TypedMeetingFactory()]
    response = curator_client.post(
        CHANGELIST, {"action": action, "_selected_action": [m.pk for m in meetings]}, follow=True
    )
    assert response.status_code == 200
    for meeting in meetings:
        meeting.refresh_from_db()
        assert meeting.status == status
        assert LogEntry.objects.get_for_object(meeting).latest("timestamp").actor == curator


@time_machine.travel(datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_bulk_mark_verified(curator_client, curator):
    meeting = TypedMeetingFactory()
    curator_client.post(CHANGELIST, {"action": "mark_verified", "_selected_action": [meeting.pk]})
    meeting.refresh_from_db()
    assert meeting.last_verified_by == curator
    assert meeting.last_verified_at == datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.UTC)


def test_group_action_verifies_the_group_and_its_meetings(curator_client, curator):
    group = GroupFactory()
    meeting = TypedMeetingFactory(group=group)
    curator_client.post(
        reverse("admin:registry_group_changelist"), {"action": "mark_verified", "_selected_action": [group.pk]}
    )
    meeting.refresh_from_db()
    assert meeting.last_verified_by == curator


def test_curators_cannot_delete_but_administrators_can(client, curator, administrator):
    meeting = TypedMeetingFactory()
    delete_url = reverse("admin:registry_meeting_delete", args=[meeting.pk])
    assert login(client, curator).get(delete_url).status_code == 403
    assert login(client, administrator).get(delete_url).status_code == 200


def test_reference_data_is_read_only(curator_client):
    url = reverse("admin:registry_municipality_change", args=["4204"])
    assert curator_client.get(url).status_code == 200
    assert curator_client.post(url, {"name": "Endret"}).status_code == 403
    assert curator_client.get(reverse("admin:registry_postalcode_add")).status_code == 403


def test_meeting_type_codes_are_read_only_but_labels_editable(curator_client):
    url = reverse("admin:registry_meetingtype_change", args=["BE"])
    response = curator_client.post(url, {"code": "XX", "name_nb": "Nykommervennlig", "name_en": "Changed"})
    assert response.status_code == 302
    changed = MeetingType.objects.get(code="BE")
    assert changed.name_nb == "Nykommervennlig" and changed.name_en == "Newcomer"
    assert not MeetingType.objects.filter(code="XX").exists()
    assert curator_client.get(reverse("admin:registry_meetingtype_add")).status_code == 403


def test_autocomplete_for_groups_and_types_works_for_curators(curator_client):
    GroupFactory(name="Fyrlykta")
    url = reverse("admin:autocomplete")
    params = {"app_label": "registry", "model_name": "meeting", "field_name": "group", "term": "fyr"}
    response = curator_client.get(url, params)
    assert [r["text"] for r in response.json()["results"]] == ["Fyrlykta"]
    params = {"app_label": "registry", "model_name": "meeting", "field_name": "types", "term": "rulle"}
    assert response.status_code == 200 and curator_client.get(url, params).status_code == 200


def test_home_page_shows_stale_counts_to_curators_only(client, curator, clinician_a):
    TypedMeetingFactory()  # never verified
    TypedMeetingFactory(last_verified_at=timezone.now())
    GroupFactory(last_verified_at=timezone.now())
    content = login(client, curator).get(reverse("home"), headers={"Accept-Language": "en"}).content.decode()
    assert "1 active meeting has not been verified in 6 months." in content
    assert "2 active groups have not been verified in 6 months." in content
    content = login(client, clinician_a).get(reverse("home"), headers={"Accept-Language": "en"}).content.decode()
    assert "verified in 6 months" not in content


@pytest.mark.parametrize("bad", ["abc", " ", "99999999999999999999", "1.5"])
def test_crafted_related_values_are_refused_in_the_form_not_a_500(curator_client, bad):
    meeting = TypedMeetingFactory()
    response = curator_client.post(change_url(meeting), meeting_form_data(meeting, group=bad, municipality=bad))
    assert response.status_code == 200
    assert "group" in response.context["adminform"].form.errors
    group_url = reverse("admin:registry_group_change", args=[meeting.group_id])
    response = curator_client.post(group_url, {"name": "x", "fellowship": bad, "status": "active"})
    assert response.status_code == 200


def test_a_curator_sets_a_meetings_pin_and_the_feed_carries_it(curator_client):
    meeting = TypedMeetingFactory()
    data = meeting_form_data(meeting, latitude="58.14671", longitude="7.9956")
    assert curator_client.post(change_url(meeting), data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.latitude, meeting.longitude) == (58.14671, 7.9956)
    record = next(r for r in curator_client.get("/meetings/feed.json").json() if r["slug"] == meeting.slug)
    assert (record["latitude"], record["longitude"], record["approximate"]) == (58.14671, 7.9956, "no")


def test_a_pin_outside_norway_is_refused_with_a_hint_about_swapped_values(curator_client):
    meeting = TypedMeetingFactory()
    response = curator_client.post(change_url(meeting), meeting_form_data(meeting, latitude="7.9956", longitude="58.1"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["latitude"] == ["7.9956 is outside Norway (57.5 to 81.5). Are latitude and longitude swapped?"]
    assert errors["longitude"] == ["58.1 is outside Norway (-9.5 to 34.0). Are latitude and longitude swapped?"]
    meeting.refresh_from_db()
    assert meeting.latitude is None
