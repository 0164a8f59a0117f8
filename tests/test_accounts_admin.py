"""The accounts admin: administrators only, lists without N+1, filters, search, unit tree, lift a login block."""

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Membership, Unit
from tests.factories import MembershipFactory, UnitFactory, UserFactory, login

ACCOUNTS_PAGES = [
    "admin:accounts_user_changelist",
    "admin:accounts_user_add",
    "admin:accounts_unit_changelist",
    "admin:accounts_unit_add",
    "admin:accounts_membership_changelist",
]


@pytest.mark.parametrize("name", ACCOUNTS_PAGES)
def test_administrator_opens_accounts_admin_pages(client, administrator, name):
    login(client, administrator)
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", ACCOUNTS_PAGES)
def test_curator_is_staff_but_cannot_open_accounts_admin(client, curator, name):
    login(client, curator)
    assert client.get(reverse(name)).status_code == 403


def test_curator_does_not_see_accounts_on_the_admin_index(client, curator):
    login(client, curator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "accounts" not in {app["app_label"] for app in response.context["app_list"]}


def test_curator_cannot_edit_own_account_in_the_admin(client, curator):
    login(client, curator)
    response = client.post(
        reverse("admin:accounts_user_change", args=[curator.pk]), {"username": curator.username, "is_superuser": "on"}
    )
    assert response.status_code == 403
    curator.refresh_from_db()
    assert not curator.is_superuser


@pytest.mark.parametrize("persona", ["clinician_a", "lead_a", "analyst"])
def test_non_staff_are_sent_to_the_admin_login(client, request, persona):
    login(client, request.getfixturevalue(persona))
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_site_header_names_the_product(client, administrator):
    login(client, administrator)
    assert "Self-help registry: administration" in client.get(reverse("admin:index")).content.decode()


def test_user_list_shows_global_roles_units_and_roles(client, administrator, clinician_a, lead_a, analyst):
    login(client, administrator)
    page = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "RUS-POL (clinician)" in page
    assert "RUS-POL (unit lead)" in page
    assert "Quality analyst" in page


def test_user_list_query_count_does_not_grow_with_users(client, administrator, django_assert_num_queries, trust):
    units = [UnitFactory(parent=trust) for _ in range(3)]
    for number in range(30):
        user = UserFactory(username=f"person{number:02d}")
        for unit in units:
            MembershipFactory(user=user, unit=unit)
    login(client, administrator)
    # Session, user, counts, the page of users, their memberships with units, the unit filter; the session is
    # saved at most once a minute (accounts/middleware.py), not here.
    with django_assert_num_queries(7):
        response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.context["cl"].result_count == 31


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("clinician", {"klinikera", "klinikerb"}),
        ("lead", {"ledera"}),
        ("curator", {"kurator"}),
        ("quality_analyst", {"analytiker"}),
        ("administrator", {"admin"}),
        ("none", {"newcomer"}),
    ],
)
def test_user_list_filters_by_role(
    client, administrator, clinician_a, clinician_b, lead_a, analyst, curator, role, expected
):
    UserFactory(username="newcomer")
    login(client, administrator)
    response = client.get(reverse("admin:accounts_user_changelist"), {"role": role})
    assert {user.username for user in response.context["cl"].result_list} == expected


def test_user_list_filter_by_unit_includes_units_below_it(client, administrator, clinic, clinician_a, clinician_b):
    login(client, administrator)
    response = client.get(reverse("admin:accounts_user_changelist"), {"unit": clinic.pk})
    assert {user.username for user in response.context["cl"].result_list} == {"klinikera", "klinikerb"}


def test_user_list_filter_by_unknown_unit_lists_nobody(client, administrator, clinician_a):
    login(client, administrator)
    response = client.get(reverse("admin:accounts_user_changelist"), {"unit": "not-a-number"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_user_list_searches_unit_codes_once_per_user(client, administrator, unit_a, clinician_a, lead_a):
    login(client, administrator)
    response = client.get(reverse("admin:accounts_user_changelist"), {"q": "RUS-POL"})
    assert sorted(user.username for user in response.context["cl"].result_list) == ["klinikera", "ledera"]


def test_unit_list_is_in_tree_order_with_indentation(client, administrator, unit_a, unit_b):
    login(client, administrator)
    response = client.get(reverse("admin:accounts_unit_changelist"))
    assert [unit.code for unit in response.context["cl"].result_list] == [
        "HF-DEMO",
        "KLINIKK-RUS",
        "RUS-DOGN",
        "RUS-POL",
    ]
    assert "– – Rus poliklinikk" in response.content.decode()


def test_unit_list_query_count_does_not_grow_with_units(client, administrator, django_assert_num_queries, clinic):
    for _ in range(40):
        MembershipFactory(unit=UnitFactory(parent=clinic))
    login(client, administrator)
    with django_assert_num_queries(6):
        response = client.get(reverse("admin:accounts_unit_changelist"))
    assert response.context["cl"].result_count == 42


def test_administrator_adds_a_member_to_a_unit_in_the_admin(client, administrator, unit_a):
    person = UserFactory(username="newhire")
    login(client, administrator)
    response = client.post(
        reverse("admin:accounts_membership_add"), {"user": person.pk, "unit": unit_a.pk, "role": "clinician"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=person).unit == unit_a


def test_unit_cannot_be_moved_below_its_own_child(clinic, unit_a):
    clinic.parent = unit_a
    with pytest.raises(ValidationError, match="below itself"):
        clinic.full_clean()


def test_moving_a_unit_updates_the_paths_below_it(trust, clinic, unit_a):
    other_trust = UnitFactory(code="HF-OTHER", kind=Unit.Kind.HEALTH_TRUST)
    clinic.parent = other_trust
    clinic.save()
    unit_a.refresh_from_db()
    assert unit_a.path == "/HF-OTHER/KLINIKK-RUS/RUS-POL/"


def test_lift_login_block_action_clears_failed_attempts(client, administrator, clinician_a):
    AccessAttempt.objects.create(username=clinician_a.username, failures_since_start=5, ip_address="10.0.0.1")
    login(client, administrator)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "lift_login_block", "_selected_action": [clinician_a.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not AccessAttempt.objects.filter(username=clinician_a.username).exists()


def test_deactivate_action_never_deactivates_the_administrator_doing_it(client, administrator, clinician_a):
    login(client, administrator)
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [clinician_a.pk, administrator.pk]},
    )
    clinician_a.refresh_from_db()
    administrator.refresh_from_db()
    assert not clinician_a.is_active
    assert administrator.is_active


def test_user_form_calls_the_superuser_flag_administrator(client, administrator, clinician_a):
    login(client, administrator)
    response = client.get(reverse("admin:accounts_user_change", args=[clinician_a.pk]))
    assert response.context["adminform"].form.fields["is_superuser"].label == "Administrator"


def test_deactivate_action_is_recorded_in_the_security_log(client, administrator, clinician_a):
    from privacy.models import SecurityEvent

    login(client, administrator)
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [clinician_a.pk]},
    )
    event = SecurityEvent.objects.get(user=clinician_a)
    assert event.kind == SecurityEvent.Kind.ACCOUNT_DEACTIVATED
    assert event.actor == administrator
