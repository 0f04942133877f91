"""API twins of the pages' parent links, staff changes, pupil moves and class-list
import (ROS-1, ROS-2, TEN-2, TEN-3, TEN-4): the same services, the same roles, 404 for
another school's objects. Every role's status per route is in the permission matrix."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from markbook.accounts.models import Membership, User
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Enrolment, GuardianLink, Pupil, TeachingClass
from tests.conftest import World
from tests.rosters.conftest import actions

NON_ADMINS = ["pupil", "parent", "teacher", "colleague", "other_admin", "other_teacher"]


def _links(world: World, pupil: Pupil) -> list[str]:
    with school_scope(pupil.school):
        return sorted(
            GuardianLink.objects.filter(pupil=pupil).values_list("parent__email", flat=True)
        )


# --- parents and carers ---------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "trust_admin"])
def test_admins_list_and_link_a_parent_as_the_page_does(api_as, world: World, role: str):
    api = api_as(role)
    url = api.school(f"/pupils/{world.amy.pk}/guardians")
    [existing] = api.get(url).json()
    assert existing["email"] == "parent@example.org"
    response = api.post(url, {"parent_email": "Carer@Example.org", "relationship": "Aunt"})
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "carer@example.org"
    assert response.json()["relationship"] == "Aunt"
    assert _links(world, world.amy) == ["carer@example.org", "parent@example.org"]
    assert len(actions(world.a, "rosters.guardian.linked")) == 1


def test_linking_a_parent_twice_is_422_naming_the_field(api_as, world: World):
    api = api_as("admin")
    response = api.post(
        api.school(f"/pupils/{world.amy.pk}/guardians"), {"parent_email": "parent@example.org"}
    )
    assert response.status_code == 422
    assert "parent_email" in response.json()["errors"]


def test_admin_unlinks_a_parent(api_as, world: World):
    api = api_as("admin")
    [link] = api.get(api.school(f"/pupils/{world.amy.pk}/guardians")).json()
    url = api.school(f"/pupils/{world.amy.pk}/guardians/{link['id']}")
    assert api.delete(url).status_code == 204
    assert _links(world, world.amy) == []
    assert api.delete(url).status_code == 404


def test_a_link_of_another_pupil_or_school_is_404(api_as, world: World):
    with school_scope(world.b):
        dees = GuardianLink.objects.get(pupil=world.dee).pk
    with school_scope(world.a):
        amys = GuardianLink.objects.get(pupil=world.amy).pk
    api = api_as("admin")
    assert api.delete(api.school(f"/pupils/{world.ben.pk}/guardians/{amys}")).status_code == 404
    assert api.delete(api.school(f"/pupils/{world.amy.pk}/guardians/{dees}")).status_code == 404
    assert api.get(api.school(f"/pupils/{world.dee.pk}/guardians")).status_code == 404
    assert _links(world, world.dee) == ["parent2@example.org"]


@pytest.mark.parametrize("role", NON_ADMINS)
def test_only_admins_link_parents(api_as, world: World, role: str):
    api = api_as(role)
    url = api.school(f"/pupils/{world.amy.pk}/guardians")
    assert api.post(url, {"parent_email": "x@example.org"}).status_code == 404
    assert _links(world, world.amy) == ["parent@example.org"]


# --- staff ---------------------------------------------------------------------


def test_admin_adds_staff_with_a_temporary_password_shown_once(api_as, world: World):
    api = api_as("admin")
    response = api.post(
        api.school("/staff"),
        {
            "email": "new.teacher@oakfield.sch.uk",
            "first_name": "New",
            "last_name": "Teacher",
            "role": "teacher",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["roles"] == ["teacher"] and len(body["temporary_password"]) >= 10
    assert "no-store" in response["Cache-Control"]
    [event] = actions(world.a, "rosters.staff.created")
    assert body["temporary_password"] not in str(event.data)


def test_staff_with_a_bad_role_or_address_is_422(api_as, world: World):
    api = api_as("admin")
    base = {"first_name": "A", "last_name": "B"}
    bad_role = api.post(api.school("/staff"), {**base, "email": "a@b.org", "role": "pupil"})
    assert bad_role.status_code == 422
    taken = api.post(api.school("/staff"), {**base, "email": "teacher@birchwood.sch.uk"})
    assert taken.status_code == 422 and "email" in taken.json()["errors"]


def test_admin_changes_and_removes_staff(api_as, world: World):
    api = api_as("admin")
    url = api.school(f"/staff/{world.teacher.pk}")
    response = api.patch(url, {"first_name": "Tess", "role": "school_admin"})
    assert response.status_code == 200, response.content
    assert response.json()["first_name"] == "Tess"
    assert response.json()["roles"] == ["school_admin"]
    assert api.delete(url).status_code == 204
    with school_scope(world.a):
        assert not Membership.objects.filter(user=world.teacher).exists()
    assert api.patch(url, {"first_name": "Again"}).status_code == 404


def test_the_last_administrator_is_not_removed(api_as, world: World):
    api = api_as("admin")
    response = api.delete(api.school(f"/staff/{world.admin.pk}"))
    assert response.status_code == 422
    with school_scope(world.a):
        assert Membership.objects.filter(user=world.admin, role="school_admin").exists()


def test_another_schools_staff_and_non_staff_are_404(api_as, world: World):
    api = api_as("admin")
    for user in (world.other_teacher, world.parent):
        assert api.patch(api.school(f"/staff/{user.pk}"), {"first_name": "X"}).status_code == 404
        assert api.delete(api.school(f"/staff/{user.pk}")).status_code == 404
    assert User.objects.get(pk=world.other_teacher.pk).first_name != "X"


# --- moving a pupil -------------------------------------------------------------


def _classes_of(world: World, pupil: Pupil) -> list[str]:
    with school_scope(pupil.school):
        return sorted(
            Enrolment.objects.filter(pupil=pupil).values_list("teaching_class__name", flat=True)
        )


@pytest.mark.parametrize("role", ["admin", "trust_admin"])
def test_admins_move_a_pupil_to_another_class(api_as, world: World, role: str):
    api = api_as(role)
    url = api.school(f"/classes/{world.class_7a.pk}/pupils/{world.amy.pk}/move")
    assert api.post(url, {"to_class": world.class_7b.pk}).status_code == 204
    assert _classes_of(world, world.amy) == ["7B Maths"]
    [event] = actions(world.a, "rosters.pupil.moved")
    assert event.data == {"from_class": world.class_7a.pk, "to_class": world.class_7b.pk}


def test_moving_a_pupil_not_in_the_class_is_422(api_as, world: World):
    api = api_as("admin")
    url = api.school(f"/classes/{world.class_7b.pk}/pupils/{world.amy.pk}/move")
    assert api.post(url, {"to_class": world.class_7a.pk}).status_code == 422
    same = api.school(f"/classes/{world.class_7a.pk}/pupils/{world.amy.pk}/move")
    assert api.post(same, {"to_class": world.class_7a.pk}).status_code == 422
    assert _classes_of(world, world.amy) == ["7A Maths"]


def test_moving_into_or_from_another_schools_class_is_404(api_as, world: World):
    api = api_as("admin")
    into = api.school(f"/classes/{world.class_7a.pk}/pupils/{world.amy.pk}/move")
    assert api.post(into, {"to_class": world.class_b1.pk}).status_code == 404
    other = api.school(f"/classes/{world.class_b1.pk}/pupils/{world.dee.pk}/move")
    assert api.post(other, {"to_class": world.class_7a.pk}).status_code == 404
    assert _classes_of(world, world.amy) == ["7A Maths"]
    assert _classes_of(world, world.dee) == ["Class B1"]


@pytest.mark.parametrize("role", NON_ADMINS)
def test_only_admins_move_pupils(api_as, world: World, role: str):
    api = api_as(role)
    url = api.school(f"/classes/{world.class_7a.pk}/pupils/{world.amy.pk}/move")
    assert api.post(url, {"to_class": world.class_7b.pk}).status_code == 404
    assert _classes_of(world, world.amy) == ["7A Maths"]


# --- class-list import ----------------------------------------------------------


def _classlist(api, body: bytes):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("classes.csv", body, content_type="text/csv")
    return api.client.post(api.school("/imports/class-list"), {"file": upload})


def test_admin_imports_a_class_list(api_as, world: World):
    api = api_as("admin")
    response = _classlist(api, b"class,first name,last name\n9X Art,Eve,Evans\n9X Art,Fay,Ford\n")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], body["classes_created"], body["pupils_created"]) == (2, 1, 2)
    with school_scope(world.a):
        assert TeachingClass.objects.get(name="9X Art").enrolments.count() == 2


def test_a_class_list_with_problems_is_422_and_imports_nothing(api_as, world: World):
    api = api_as("admin")
    response = _classlist(api, b"class,first name,last name\n9X Art,,Evans\n")
    assert response.status_code == 422
    assert response.json()["problems"][0]["row"] == 2
    with school_scope(world.a):
        assert not TeachingClass.objects.filter(name="9X Art").exists()


@pytest.mark.parametrize("role", NON_ADMINS)
def test_only_admins_import_class_lists(api_as, world: World, role: str):
    api = api_as(role)
    assert _classlist(api, b"class,first name,last name\n9X Art,Eve,Evans\n").status_code == 404
