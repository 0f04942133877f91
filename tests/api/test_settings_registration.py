"""API: school settings (TEN-1, ACC-1, ACC-3, ACC-5, ROS-5) and requests to join
(ACC-4), the same rules as the settings and staff pages."""

import pytest

from markbook.accounts.models import Membership, RegistrationRequest, User
from markbook.accounts.registration import registration_request_create
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from tests.conftest import World

# --- settings -----------------------------------------------------------------


def test_admin_reads_the_settings_with_the_choices(api_as, world: World):
    api = api_as("admin")
    body = api.get(api.school("/settings")).json()
    assert body["email_domains"] == world.a.email_domains
    assert body["signin_methods"] == world.a.signin_methods
    assert "ethnicity" in body["keepable_pupil_fields"]
    assert set(body["available_signin_methods"]) == {"password", "google", "microsoft"}
    assert body["pupil_signin_url"].endswith(f"/signin/{world.a.signin_slug}/")


def test_admin_changes_only_what_is_sent_and_unkept_fields_are_blanked(api_as, world: World):
    """ROS-5: a field the school stops keeping is blanked on every pupil, audited."""
    with school_scope(world.a):
        Pupil.objects.filter(pk=world.amy.pk).update(uln="1000000000")
    domains = world.a.email_domains
    api = api_as("admin")
    change = {"kept_pupil_fields": ["sex"], "signin_methods": ["password", "google"]}
    asked = api.patch(api.school("/settings"), change)
    # ROS-5: Amy's ULN would be deleted: 409 with the counts, and nothing changes.
    assert asked.status_code == 409, asked.content
    assert asked.json()["pupil_values_held"] == {"uln": 1}
    assert "ULN on 1 pupil." in asked.json()["detail"]
    world.a.refresh_from_db()
    assert "uln" in world.a.kept_pupil_fields and world.a.signin_methods == ["password"]
    response = api.patch(api.school("/settings"), {**change, "confirm_blank_pupil_fields": ["uln"]})
    assert response.status_code == 200, response.content
    assert response.json()["kept_pupil_fields"] == ["sex"]
    world.a.refresh_from_db()
    assert world.a.kept_pupil_fields == ["sex"]
    assert world.a.signin_methods == ["password", "google"]
    assert world.a.email_domains == domains
    with school_scope(world.a):
        assert Pupil.objects.get(pk=world.amy.pk).uln == ""
        event = AuditEvent.objects.get(action="schools.settings.changed")
    assert event.actor_id == world.admin.pk
    assert event.data["pupil_fields_blanked"]["pupils"] == 1
    assert event.data["pupil_fields_blanked"]["fields"]["uln"] == 1
    assert "1000000000" not in str(event.data)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"signin_methods": []}, "signin_methods"),
        ({"signin_methods": ["carrier-pigeon"]}, "signin_methods"),
        ({"kept_pupil_fields": ["shoe_size"]}, "kept_pupil_fields"),
        ({"email_domains": ["not a domain"]}, "email_domains"),
        ({"pseudonymise_pupils": "maybe"}, "pseudonymise_pupils"),
    ],
)
def test_bad_settings_are_422_naming_the_field_and_change_nothing(
    api_as, world: World, body, field
):
    before = (world.a.signin_methods, world.a.kept_pupil_fields, world.a.email_domains)
    api = api_as("admin")
    response = api.patch(api.school("/settings"), body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    world.a.refresh_from_db()
    assert (world.a.signin_methods, world.a.kept_pupil_fields, world.a.email_domains) == before


@pytest.mark.parametrize("role", ["trust_admin", "teacher", "pupil", "parent", "other_admin"])
def test_settings_are_404_for_everyone_but_the_schools_admins(api_as, world: World, role: str):
    api = api_as(role)
    assert api.get(api.school("/settings")).status_code == 404
    assert api.patch(api.school("/settings"), {"signin_methods": ["google"]}).status_code == 404
    world.a.refresh_from_db()
    assert world.a.signin_methods == ["password"]


# --- requests to join ---------------------------------------------------------


def _request(world: World, role: str = "teacher", **extra) -> RegistrationRequest:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return registration_request_create(
            school=world.a,
            role=role,
            email=extra.pop("email", "nia.newton@gmail.com"),
            first_name="Nia",
            last_name="Newton",
            password="a-long-new-password-42" if role == "teacher" else "",
            **extra,
        )


def test_admin_lists_pending_requests(api_as, world: World):
    made = _request(world)
    api = api_as("admin")
    [row] = api.get(api.school("/registration-requests")).json()
    assert (row["id"], row["role"], row["email"], row["status"]) == (
        made.pk,
        "teacher",
        "nia.newton@gmail.com",
        "pending",
    )


def test_admin_approves_a_teacher_through_the_api(api_as, world: World):
    made = _request(world)
    api = api_as("admin")
    response = api.post(api.school(f"/registration-requests/{made.pk}/approve"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    user = User.objects.get(email="nia.newton@gmail.com")
    assert user.is_active
    with school_scope(world.a):
        assert Membership.objects.filter(user=user, role="teacher").exists()
        assert AuditEvent.objects.filter(action="accounts.registration.approved").count() == 1
    assert api.get(api.school("/registration-requests")).json() == []


def test_admin_approves_a_pupil_who_confirmed_consent(api_as, world: World):
    made = _request(
        world, "pupil", email="nia.newton@oakfield.sch.uk", year_group="8", parental_consent=True
    )
    api = api_as("trust_admin")
    assert api.post(api.school(f"/registration-requests/{made.pk}/approve")).status_code == 200
    with school_scope(world.a):
        pupil = Pupil.objects.get(first_name="Nia", last_name="Newton")
    assert pupil.year_group == "8"


def test_refusing_deletes_the_inactive_account_and_a_second_answer_is_422(api_as, world: World):
    made = _request(world)
    api = api_as("admin")
    response = api.post(api.school(f"/registration-requests/{made.pk}/refuse"))
    assert response.json()["status"] == "refused"
    assert not User.objects.filter(email="nia.newton@gmail.com").exists()
    again = api.post(api.school(f"/registration-requests/{made.pk}/approve"))
    assert again.status_code == 422
    assert "already been answered" in str(again.json()["errors"])


@pytest.mark.parametrize("role", ["teacher", "colleague", "pupil", "parent", "other_admin"])
def test_requests_are_404_for_everyone_but_admins(api_as, world: World, role: str):
    made = _request(world)
    api = api_as(role)
    assert api.get(api.school("/registration-requests")).status_code == 404
    assert api.post(api.school(f"/registration-requests/{made.pk}/approve")).status_code == 404
    assert not User.objects.get(email="nia.newton@gmail.com").is_active


def test_another_schools_request_is_404_through_this_school(api_as, world: World):
    """TEN-4: School B's request cannot be answered through School A's path."""
    with school_scope(world.b):
        theirs = registration_request_create(
            school=world.b,
            role="teacher",
            email="bo.other@gmail.com",
            first_name="Bo",
            last_name="Other",
            password="a-long-new-password-42",
        )
    api = api_as("admin")
    assert api.post(api.school(f"/registration-requests/{theirs.pk}/approve")).status_code == 404
    assert not User.objects.get(email="bo.other@gmail.com").is_active
