"""API classes, staff and the access log (ROS-1, TEN-3, TEN-5, SEC-1)."""

import pytest

from markbook.core.tenancy import school_scope
from markbook.rosters.models import ClassTeacher, Enrolment, TeachingClass
from tests import factories as f
from tests.api.conftest import count_queries
from tests.conftest import World
from tests.rosters.conftest import actions

# --- classes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", ["7A Maths", "7B Maths"]),
        ("trust_admin", ["7A Maths", "7B Maths"]),
        ("teacher", ["7A Maths"]),
        ("colleague", ["7B Maths"]),
    ],
)
def test_class_list_shows_visible_classes(api_as, world: World, role: str, expected):
    api = api_as(role)
    response = api.get(api.school("/classes"))
    assert response.status_code == 200
    assert [c["name"] for c in response.json()] == expected


@pytest.mark.parametrize(
    "role", ["pupil", "parent", "other_admin", "other_teacher", "platform_staff"]
)
def test_class_list_is_404_for_non_staff_and_other_schools(api_as, world: World, role: str):
    api = api_as(role)
    assert api.get(api.school("/classes")).status_code == 404


def test_class_list_names_teachers_and_counts_pupils(api_as, world: World):
    api = api_as("admin")
    [seven_a, _] = api.get(api.school("/classes")).json()
    assert seven_a["pupil_count"] == 2
    assert seven_a["teachers"] == [{"id": world.teacher.pk, "name": world.teacher.display_name}]


def test_class_detail_lists_pupils_with_ten5_and_is_audited(api_as, world: World):
    api = api_as("teacher")
    response = api.get(api.school(f"/classes/{world.class_7a.pk}"))
    assert response.status_code == 200
    pupils = {p["username"]: p for p in response.json()["pupils"]}
    assert set(pupils) == {"amy.adams", "ben.brown"}
    assert pupils["ben.brown"]["email"] is None and pupils["ben.brown"]["email_hidden"] is True
    [event] = actions(world.a, "rosters.class.viewed")
    assert (event.actor_id, event.target_id, event.data) == (
        world.teacher.pk,
        str(world.class_7a.pk),
        {
            "count": 2,
            "fields": ["disadvantaged", "eal", "ks2_maths", "ks2_reading", "sen_provision"],
            "via": "api",
        },
    )


@pytest.mark.parametrize("role", ["colleague", "pupil", "parent", "other_admin", "other_teacher"])
def test_class_detail_is_404_for_anyone_not_teaching_it(api_as, world: World, role: str):
    api = api_as(role)
    assert api.get(api.school(f"/classes/{world.class_7a.pk}")).status_code == 404


def test_admin_cannot_reach_another_schools_class_through_own_school(api_as, world: World):
    api = api_as("admin")
    assert api.get(api.school(f"/classes/{world.class_b1.pk}")).status_code == 404
    assert api.delete(api.school(f"/classes/{world.class_b1.pk}")).status_code == 404


def test_admin_creates_changes_and_deletes_a_class(api_as, world: World):
    api = api_as("admin")
    response = api.post(
        api.school("/classes"), {"name": "8C Science", "subject": "Science", "year_group": "8"}
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["pupil_count"] == 0 and created["teachers"] == []
    path = api.school(f"/classes/{created['id']}")
    response = api.patch(path, {"name": "8C Biology"})
    assert response.status_code == 200 and response.json()["name"] == "8C Biology"
    assert response.json()["subject"] == "Science"
    assert api.delete(path).status_code == 204
    with school_scope(world.a):
        assert not TeachingClass.objects.filter(pk=created["id"]).exists()
    assert [
        len(actions(world.a, f"rosters.class.{a}")) for a in ("created", "changed", "deleted")
    ] == [1, 1, 1]


def test_duplicate_class_name_is_422_naming_the_field(api_as, world: World):
    api = api_as("admin")
    response = api.post(api.school("/classes"), {"name": "7A Maths", "academic_year": "2026/27"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]
    response = api.patch(api.school(f"/classes/{world.class_7b.pk}"), {"academic_year": "2026"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["academic_year"]


@pytest.mark.parametrize("role", ["teacher", "colleague"])
def test_teachers_cannot_change_classes(api_as, world: World, role: str):
    api = api_as(role)
    path = api.school(f"/classes/{world.class_7a.pk}")
    assert api.post(api.school("/classes"), {"name": "New"}).status_code == 404
    assert api.patch(path, {"name": "Renamed"}).status_code == 404
    assert api.delete(path).status_code == 404
    assert api.put(path + f"/teachers/{world.colleague.pk}").status_code == 404
    assert api.delete(path + f"/pupils/{world.amy.pk}").status_code == 404


def test_admin_attaches_and_detaches_a_teacher(api_as, world: World):
    api = api_as("admin")
    path = api.school(f"/classes/{world.class_7a.pk}/teachers/{world.colleague.pk}")
    assert api.put(path).status_code == 204
    with school_scope(world.a):
        assert ClassTeacher.objects.filter(
            teaching_class=world.class_7a, teacher=world.colleague
        ).exists()
    assert api.delete(path).status_code == 204
    response = api.delete(path)
    assert response.status_code == 422 and list(response.json()["errors"]) == ["teacher"]


def test_attaching_someone_who_is_not_staff_is_404(api_as, world: World):
    api = api_as("admin")
    for user in (world.parent, world.other_teacher):
        path = api.school(f"/classes/{world.class_7a.pk}/teachers/{user.pk}")
        assert api.put(path).status_code == 404


def test_admin_enrols_and_removes_a_pupil(api_as, world: World):
    api = api_as("admin")
    path = api.school(f"/classes/{world.class_7a.pk}/pupils/{world.cal.pk}")
    assert api.put(path).status_code == 204
    assert api.put(path).status_code == 204  # enrolling twice changes nothing
    assert len(actions(world.a, "rosters.enrolment.added")) == 1
    assert api.delete(path).status_code == 204
    with school_scope(world.a):
        assert not Enrolment.objects.filter(pupil=world.cal, teaching_class=world.class_7a).exists()
    response = api.delete(path)
    assert response.status_code == 422 and list(response.json()["errors"]) == ["pupil"]


def test_enrolling_another_schools_pupil_is_404(api_as, world: World):
    api = api_as("admin")
    assert (
        api.put(api.school(f"/classes/{world.class_7a.pk}/pupils/{world.dee.pk}")).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["admin", "teacher"])
def test_class_list_and_detail_query_counts_do_not_grow(api_as, world: World, role: str):
    api = api_as(role)
    list_url, detail_url = api.school("/classes"), api.school(f"/classes/{world.class_7a.pk}")
    api.get(list_url)
    before = (count_queries(lambda: api.get(list_url)), count_queries(lambda: api.get(detail_url)))
    with school_scope(world.a):
        for i in range(25):
            pupil = f.PupilFactory(school=world.a, username=f"extra{i}")
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=pupil)
            c = f.teaching_class(world.a, f"Extra {i}", teachers=[world.teacher, world.colleague])
            Enrolment.objects.create(school=world.a, teaching_class=c, pupil=pupil)
    after = (count_queries(lambda: api.get(list_url)), count_queries(lambda: api.get(detail_url)))
    assert len(api.get(list_url).json()) == (27 if role == "admin" else 26)
    assert after == before


# --- staff ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "trust_admin"])
def test_admins_list_staff_with_roles(api_as, world: World, role: str):
    api = api_as(role)
    response = api.get(api.school("/staff"))
    assert response.status_code == 200
    roles = {s["email"]: s["roles"] for s in response.json()}
    assert roles == {
        "admin@oakfield.sch.uk": ["school_admin"],
        "teacher@oakfield.sch.uk": ["teacher"],
        "colleague@oakfield.sch.uk": ["teacher"],
    }


@pytest.mark.parametrize("role", ["teacher", "pupil", "parent", "other_admin", "platform_staff"])
def test_staff_list_is_404_for_everyone_else(api_as, world: World, role: str):
    api = api_as(role)
    assert api.get(api.school("/staff")).status_code == 404


def test_staff_list_query_count_does_not_grow(api_as, world: World):
    from markbook.accounts.models import Membership

    api = api_as("admin")
    url = api.school("/staff")
    api.get(url)
    before = count_queries(lambda: api.get(url))
    for i in range(20):
        f.member(world.a, Membership.Role.TEACHER, email=f"t{i}@oakfield.sch.uk")
    assert len(api.get(url).json()) == 23
    assert count_queries(lambda: api.get(url)) == before


# --- the access log -----------------------------------------------------------


def test_school_admin_reads_the_schools_own_log(api_as, world: World):
    teacher = api_as("teacher")
    teacher.get(teacher.school("/pupils"))
    teacher.get(teacher.school(f"/pupils/{world.amy.pk}"))
    api = api_as("admin")
    response = api.get(api.school("/audit"), limit=1)
    assert response.status_code == 200
    body = response.json()
    assert body["limit"] == 1 and len(body["items"]) == 1
    latest = body["items"][0]
    assert latest["action"] == "rosters.pupil.viewed"
    assert latest["actor_label"] == "teacher@oakfield.sch.uk"
    assert body["count"] == len(actions(world.a))
    older = api.get(api.school("/audit"), limit=1, offset=1).json()["items"][0]
    assert older["seq"] == latest["seq"] - 1
    assert older["action"] == "rosters.pupils.listed"


def test_audit_log_holds_only_the_schools_own_events(api_as, world: World):
    teacher = api_as("teacher")
    teacher.get(teacher.school("/pupils"))
    other = api_as("other_teacher")
    other.get(other.school(f"/pupils/{world.dee.pk}", school=world.b))
    api = api_as("admin")
    items = api.get(api.school("/audit"), limit=200).json()["items"]
    assert [e["actor_label"] for e in items] == ["teacher@oakfield.sch.uk"]
    assert len(actions(world.b)) == 1


@pytest.mark.parametrize(
    "role", ["trust_admin", "teacher", "pupil", "parent", "other_admin", "platform_staff"]
)
def test_audit_log_is_404_for_all_but_school_admins(api_as, world: World, role: str):
    api = api_as(role)
    assert api.get(api.school("/audit")).status_code == 404


def test_audit_log_query_count_does_not_grow(api_as, world: World):
    teacher = api_as("teacher")
    api = api_as("admin")
    url = api.school("/audit")
    # One event first: naming its actor and target costs a fixed few queries.
    teacher.get(teacher.school(f"/pupils/{world.amy.pk}"))
    before = count_queries(lambda: api.get(url))
    for _ in range(10):
        teacher.get(teacher.school(f"/pupils/{world.amy.pk}"))
    assert count_queries(lambda: api.get(url)) == before


def test_audit_log_reads_in_words_with_the_pages_filters(api_as, world: World):
    """SEC-1: the API's log has the page's words (actor, description, target) and its
    filters (person, actor, action, dates, changes only)."""
    from markbook.rosters import services as rosters

    api = api_as("teacher")
    api.get(api.school(f"/pupils/{world.amy.pk}"))
    with school_scope(world.a):
        rosters.pupil_update(actor=world.admin, pupil=world.ben, year_group="8")
    admin = api_as("admin")
    url = admin.school("/audit")
    newest = admin.get(url).json()["items"][0]
    assert newest["description"] == "changed pupil details: year group 7 → 8"
    assert newest["target"] == "Pupil Ben Brown (Year 8)"
    assert newest["actor"] == f"{world.admin.display_name} (school administrator)"
    about_amy = admin.get(url, person="amy").json()
    assert [i["description"] for i in about_amy["items"]] == ["viewed a pupil page"]
    assert about_amy["count"] == 1
    assert admin.get(url, actor="teacher@oakfield").json()["count"] == 1
    assert admin.get(url, changes_only="true").json()["count"] == 1
    assert admin.get(url, action="rosters.pupil.").json()["count"] == 2
    assert admin.get(url, since="2999-01-01").json()["count"] == 0
    assert admin.get(url, since="2999-01-02", until="2999-01-01").status_code == 422
