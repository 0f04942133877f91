"""The API gives teachers the same planning fields as the pages, through the same
selector (TEN-3, SEC-1), and the school's setting for them (TEN-3)."""

from markbook.core.tenancy import school_scope
from markbook.rosters.models import Enrolment
from tests import factories as f
from tests.api.conftest import count_queries
from tests.conftest import World
from tests.rosters.conftest import actions
from tests.rosters.test_teacher_fields import DEFAULT, _amy_flags

# --- the API uses the same selector -------------------------------------------


def test_api_class_detail_gives_the_teacher_the_planning_fields(api_as, world: World):
    _amy_flags(world)
    api = api_as("teacher")
    pupils = {
        p["username"]: p
        for p in api.get(api.school(f"/classes/{world.class_7a.pk}")).json()["pupils"]
    }
    assert pupils["amy.adams"]["planning"] == {
        "sen_provision": "K",
        "disadvantaged": True,
        "eal": True,
        "ks2_reading": 117,
        "ks2_maths": 96,
    }
    reads = actions(world.a, "rosters.pupil.fields_read")
    assert len(reads) == 2 and reads[0].data["via"] == "api"


def test_api_pupil_detail_planning_for_teacher_not_parent(api_as, world: World):
    _amy_flags(world)
    teacher, parent = api_as("teacher"), api_as("parent")
    as_teacher = teacher.get(teacher.school(f"/pupils/{world.amy.pk}")).json()
    assert (
        as_teacher["planning"]["ks2_reading"] == 117 and "ethnicity" not in as_teacher["planning"]
    )
    assert as_teacher.get("sensitive") is None and as_teacher.get("details") is None
    assert parent.get(parent.school(f"/pupils/{world.amy.pk}")).json()["planning"] is None


def test_api_class_detail_query_count_does_not_grow_with_pupils(api_as, world: World):
    """SEC-1: one event per pupil read, all in one insert."""
    api = api_as("teacher")
    call = lambda: api.get(api.school(f"/classes/{world.class_7a.pk}"))  # noqa: E731
    before = count_queries(call)
    with school_scope(world.a):
        for i in range(30):
            p = f.PupilFactory(school=world.a, username=f"e{i}")
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=p)
    assert count_queries(call) == before
    assert len(actions(world.a, "rosters.pupil.fields_read")) == 2 + 32


def test_settings_api_reads_and_changes_teacher_fields(api_as, world: World):
    api = api_as("admin")
    assert sorted(api.get(api.school("/settings")).json()["teacher_pupil_fields"]) == DEFAULT
    response = api.patch(api.school("/settings"), {"teacher_pupil_fields": ["sen_need"]})
    assert response.status_code == 200 and response.json()["teacher_pupil_fields"] == ["sen_need"]
    refused = api.patch(api.school("/settings"), {"teacher_pupil_fields": ["upn"]})
    assert refused.status_code == 422
    world.a.refresh_from_db()
    assert world.a.teacher_pupil_fields == ["sen_need"]


def test_page_and_api_log_the_same_read(client_for, api_as, world: World):
    """One selector decides and logs for both (TEN-3, SEC-1): same fields, the API
    marked as such."""
    from django.urls import reverse

    page = reverse(
        "rosters:pupil_detail", kwargs={"school_id": world.a.pk, "pupil_id": world.amy.pk}
    )
    for role in ("admin", "teacher"):
        client_for(role).get(page)
        api = api_as(role)
        api.get(api.school(f"/pupils/{world.amy.pk}"))
    page_admin, api_admin, page_teacher, api_teacher = actions(world.a, "rosters.pupil.viewed")
    assert api_admin.data == {**page_admin.data, "via": "api"}
    assert api_teacher.data == {**page_teacher.data, "via": "api"}
    assert page_teacher.data == {"fields": DEFAULT}
    assert "medical_notes" in page_admin.data["fields"]
