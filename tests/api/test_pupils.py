"""API pupils (ROS-1, TEN-3, TEN-5, SEC-1, SEC-2): what each role sees and may do,
404 for other schools and invisible pupils, field rules, audit of reads, query counts."""

import pytest

from markbook.core.tenancy import school_scope
from markbook.rosters import services
from markbook.rosters.models import Enrolment, Pupil
from tests import factories as f
from tests.api.conftest import count_queries
from tests.conftest import World
from tests.rosters.conftest import actions


def usernames(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content[:300]
    return sorted(p["username"] for p in response.json()["items"])


# --- list -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", ["amy.adams", "ben.brown", "cal.clark"]),
        ("trust_admin", ["amy.adams", "ben.brown", "cal.clark"]),
        ("teacher", ["amy.adams", "ben.brown"]),
        ("colleague", ["cal.clark"]),
        ("parent", ["amy.adams"]),
        ("pupil", ["amy.adams"]),
    ],
)
def test_pupil_list_shows_only_visible_pupils(api_as, world: World, role: str, expected):
    api = api_as(role)
    assert usernames(api.get(api.school("/pupils"))) == expected


@pytest.mark.parametrize("role", ["other_admin", "other_teacher", "platform_staff"])
def test_pupil_list_of_another_school_is_404(api_as, world: World, role: str):
    api = api_as(role)
    response = api.get(api.school("/pupils"))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_anonymous_pupil_list_is_401(api_as, world: World):
    api = api_as("anonymous")
    assert api.get(api.school("/pupils")).status_code == 401


def test_pupil_list_is_paginated_with_limit_and_offset(api_as, world: World):
    api = api_as("admin")
    first = api.get(api.school("/pupils"), limit=2).json()
    assert first["count"] == 3 and first["limit"] == 2 and first["offset"] == 0
    assert [p["username"] for p in first["items"]] == ["amy.adams", "ben.brown"]
    rest = api.get(api.school("/pupils"), limit=2, offset=2).json()
    assert [p["username"] for p in rest["items"]] == ["cal.clark"]


def test_pupil_list_filters_by_name_and_year_group(api_as, world: World):
    with school_scope(world.a):
        services.pupil_update(actor=world.admin, pupil=world.cal, year_group="8")
    api = api_as("admin")
    assert usernames(api.get(api.school("/pupils"), q="ada")) == ["amy.adams"]
    assert usernames(api.get(api.school("/pupils"), year_group="8")) == ["cal.clark"]
    # The filter narrows what the caller may see; it never widens it.
    teacher = api_as("teacher")
    assert usernames(teacher.get(teacher.school("/pupils"), year_group="8")) == []


@pytest.mark.parametrize(("param", "value"), [("limit", 0), ("limit", 500), ("year_group", "99")])
def test_pupil_list_bad_query_is_422_naming_the_parameter(api_as, world: World, param, value):
    api = api_as("admin")
    response = api.get(api.school("/pupils"), **{param: value})
    assert response.status_code == 422
    assert param in response.json()["errors"]


# --- TEN-5 ------------------------------------------------------------------


def _by_username(response) -> dict:  # type: ignore[no-untyped-def]
    return {p["username"]: p for p in response.json()["items"]}


@pytest.mark.parametrize("role", ["teacher", "admin", "trust_admin"])
def test_ten5_personal_address_is_hidden_from_staff(api_as, world: World, role: str):
    api = api_as(role)
    rows = _by_username(api.get(api.school("/pupils")))
    assert rows["ben.brown"]["email"] is None
    assert rows["ben.brown"]["email_hidden"] is True
    assert rows["amy.adams"]["email"] == "amy.adams@oakfield.sch.uk"
    assert rows["amy.adams"]["email_hidden"] is False
    assert "gmail" not in api.get(api.school(f"/pupils/{world.ben.pk}")).content.decode()


def test_ten5_pupil_without_email_is_not_flagged_hidden(api_as, world: World):
    api = api_as("admin")
    cal = _by_username(api.get(api.school("/pupils")))["cal.clark"]
    assert cal["email"] is None and cal["email_hidden"] is False


def test_parent_sees_their_own_childs_personal_address(api_as, world: World):
    with school_scope(world.a):
        services.pupil_update(actor=world.admin, pupil=world.amy, email="amy@gmail.com")
    api = api_as("parent")
    amy = api.get(api.school(f"/pupils/{world.amy.pk}")).json()
    assert amy["email"] == "amy@gmail.com" and amy["email_hidden"] is False
    teacher = api_as("teacher")
    assert teacher.get(teacher.school(f"/pupils/{world.amy.pk}")).json()["email"] is None


# --- detail -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("pupil", 200),
        ("parent", 200),
        ("teacher", 200),
        ("admin", 200),
        ("trust_admin", 200),
        ("colleague", 404),
        ("other_admin", 404),
        ("other_teacher", 404),
        ("platform_staff", 404),
        ("anonymous", 401),
    ],
)
def test_pupil_detail_visibility(api_as, world: World, role: str, status: int):
    api = api_as(role)
    response = api.get(api.school(f"/pupils/{world.amy.pk}"))
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["username"] == "amy.adams"
        assert [c["name"] for c in body["classes"]] == ["7A Maths"]


def test_admin_cannot_reach_another_schools_pupil_through_own_school(api_as, world: World):
    api = api_as("admin")
    assert api.get(api.school(f"/pupils/{world.dee.pk}")).status_code == 404
    assert api.patch(api.school(f"/pupils/{world.dee.pk}"), {"year_group": "6"}).status_code == 404
    assert api.delete(api.school(f"/pupils/{world.dee.pk}")).status_code == 404


def _make_sensitive(world: World) -> None:
    with school_scope(world.a):
        services.pupil_update(
            actor=world.admin,
            pupil=world.amy,
            fsm=True,
            sen_provision="K",
            medical_notes="Asthma",
            mis_id="MIS-1",
        )


def test_only_school_admins_see_sensitive_fields(api_as, world: World):
    _make_sensitive(world)
    path = f"/pupils/{world.amy.pk}"
    admin = api_as("admin")
    body = admin.get(admin.school(path)).json()
    assert body["sensitive"]["fsm"] is True
    assert body["sensitive"]["sen_provision"] == "K"
    assert body["sensitive"]["medical_notes"] == "Asthma"
    assert body["details"]["mis_id"] == "MIS-1"
    trust = api_as("trust_admin")
    body = trust.get(trust.school(path)).json()
    assert body["sensitive"] is None
    assert body["details"]["mis_id"] == "MIS-1"
    assert "Asthma" not in trust.get(trust.school(path)).content.decode()


@pytest.mark.parametrize("role", ["teacher", "pupil", "parent"])
def test_others_see_no_school_information_or_sensitive_fields(api_as, world: World, role: str):
    _make_sensitive(world)
    api = api_as(role)
    response = api.get(api.school(f"/pupils/{world.amy.pk}"))
    body = response.json()
    assert body["details"] is None and body["sensitive"] is None
    assert "Asthma" not in response.content.decode() and "MIS-1" not in response.content.decode()


# --- SEC-1 ------------------------------------------------------------------


def test_staff_reads_of_pupils_are_audited(api_as, world: World):
    api = api_as("teacher")
    api.get(api.school("/pupils"))
    api.get(api.school(f"/pupils/{world.amy.pk}"))
    listed = actions(world.a, "rosters.pupils.listed")
    assert [(e.actor_id, e.data) for e in listed] == [
        (world.teacher.pk, {"count": 2, "offset": 0, "via": "api"})
    ]
    viewed = actions(world.a, "rosters.pupil.viewed")
    assert [(e.actor_id, e.target_id) for e in viewed] == [(world.teacher.pk, str(world.amy.pk))]


@pytest.mark.parametrize("role", ["parent", "pupil"])
def test_a_pupils_or_parents_own_reads_are_not_staff_reads(api_as, world: World, role: str):
    api = api_as(role)
    api.get(api.school("/pupils"))
    api.get(api.school(f"/pupils/{world.amy.pk}"))
    assert actions(world.a, "rosters.pupils.listed") == []
    assert actions(world.a, "rosters.pupil.viewed") == []


# --- create / update / delete -------------------------------------------------


def test_admin_adds_a_pupil_with_a_generated_username(api_as, world: World):
    api = api_as("admin")
    response = api.post(
        api.school("/pupils"),
        {"first_name": "Zoë", "last_name": "Young", "year_group": "7", "upn": f.valid_upn(901)},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "zoe.young"
    assert body["details"]["upn"] == f.valid_upn(901)
    with school_scope(world.a):
        assert Pupil.objects.filter(pk=body["id"], user__isnull=False).exists()
    assert [e.target_id for e in actions(world.a, "rosters.pupil.created")] == [str(body["id"])]


def test_school_admin_sets_sensitive_fields_on_create(api_as, world: World):
    api = api_as("admin")
    response = api.post(
        api.school("/pupils"),
        {"first_name": "Zed", "last_name": "Zulu", "year_group": "7", "fsm": True},
    )
    assert response.status_code == 201
    assert response.json()["sensitive"]["fsm"] is True


def test_trust_admin_cannot_set_sensitive_fields(api_as, world: World):
    api = api_as("trust_admin")
    response = api.post(
        api.school("/pupils"),
        {"first_name": "Zed", "last_name": "Zulu", "year_group": "7", "ethnicity": "WBRI"},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["ethnicity"]
    response = api.patch(api.school(f"/pupils/{world.amy.pk}"), {"medical_notes": "x"})
    assert response.status_code == 422 and "medical_notes" in response.json()["errors"]
    with school_scope(world.a):
        assert not Pupil.objects.filter(username="zed.zulu").exists()


def test_bad_upn_is_422_naming_the_field_and_writes_nothing(api_as, world: World):
    api = api_as("admin")
    response = api.post(
        api.school("/pupils"),
        {"first_name": "Zed", "last_name": "Zulu", "year_group": "7", "upn": "A801200005001"},
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body["errors"]) == {"upn"} and "UPN" in body["errors"]["upn"][0]
    assert "upn" in body["detail"]
    with school_scope(world.a):
        assert not Pupil.objects.filter(last_name="Zulu").exists()


def test_missing_year_group_is_422_naming_the_field(api_as, world: World):
    api = api_as("admin")
    response = api.post(api.school("/pupils"), {"first_name": "Zed", "last_name": "Zulu"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["year_group"]


@pytest.mark.parametrize("role", ["teacher", "colleague", "parent", "pupil"])
def test_only_admins_add_change_or_remove_pupils(api_as, world: World, role: str):
    api = api_as(role)
    body = {"first_name": "Zed", "last_name": "Zulu", "year_group": "7"}
    assert api.post(api.school("/pupils"), body).status_code == 404
    assert api.patch(api.school(f"/pupils/{world.amy.pk}"), {"year_group": "9"}).status_code == 404
    # DSR-7: a teacher removes the pupils of their classes only (Cal is 7B's, Amy 7A's).
    other = world.cal if role == "teacher" else world.amy
    assert api.delete(api.school(f"/pupils/{other.pk}")).status_code == 404
    with school_scope(world.a):
        assert Pupil.objects.get(pk=world.amy.pk).year_group == "7"
        assert Pupil.objects.filter(pk=other.pk).exists()


def test_admin_changes_a_pupil_and_the_change_is_logged(api_as, world: World):
    api = api_as("admin")
    response = api.patch(api.school(f"/pupils/{world.ben.pk}"), {"year_group": "8"})
    assert response.status_code == 200
    assert response.json()["year_group"] == "8"
    [event] = actions(world.a, "rosters.pupil.changed")
    assert event.data == {"year_group": {"old": "7", "new": "8"}}


def test_patch_leaves_fields_not_sent_alone(api_as, world: World):
    api = api_as("admin")
    api.patch(api.school(f"/pupils/{world.ben.pk}"), {"pseudonym": "Blue Fox"})
    with school_scope(world.a):
        ben = Pupil.objects.get(pk=world.ben.pk)
    assert (ben.first_name, ben.last_name, ben.pseudonym) == ("Ben", "Brown", "Blue Fox")


def test_taken_username_is_422_naming_the_field(api_as, world: World):
    api = api_as("admin")
    response = api.patch(api.school(f"/pupils/{world.ben.pk}"), {"username": "amy.adams"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["username"]


def test_null_for_a_required_text_field_is_422(api_as, world: World):
    api = api_as("admin")
    response = api.patch(api.school(f"/pupils/{world.ben.pk}"), {"first_name": None})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["first_name"]


def test_admin_removes_a_pupil(api_as, world: World):
    api = api_as("admin")
    response = api.delete(api.school(f"/pupils/{world.ben.pk}"))
    assert response.status_code == 204
    with school_scope(world.a):
        assert not Pupil.objects.filter(pk=world.ben.pk).exists()
    assert len(actions(world.a, "rosters.pupil.deleted")) == 1
    assert api.get(api.school(f"/pupils/{world.ben.pk}")).status_code == 404


# --- query counts -----------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "teacher"])
def test_pupil_list_query_count_does_not_grow_with_pupils(api_as, world: World, role: str):
    api = api_as(role)
    url = api.school("/pupils")
    api.get(url)  # warm caches (the school's key, the session)
    before = count_queries(lambda: api.get(url))
    with school_scope(world.a):
        for i in range(30):
            pupil = f.PupilFactory(school=world.a, username=f"extra{i}", email=f"x{i}@gmail.com")
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=pupil)
    response = api.get(url)
    assert len(response.json()["items"]) == (32 if role == "teacher" else 33)
    assert count_queries(lambda: api.get(url)) == before
