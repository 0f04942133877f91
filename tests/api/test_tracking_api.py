"""The tracking API's edits, deletes and target tables (ASM-4): the same services as the
pages, deletes that would take data asking first (409 with the counts), other schools
404. Who may call what is in tests/test_permission_matrix.py."""

import datetime

import pytest

from markbook.core.tenancy import school_scope
from markbook.tracking import targets
from markbook.tracking.models import (
    Band,
    DataDrop,
    Grade,
    GradeScale,
    Subject,
    Target,
    TrackingEntry,
)
from tests.conftest import World
from tests.factories import tracking_world
from tests.rosters.conftest import actions

pytestmark = pytest.mark.django_db
T = "/tracking"


def _entry(world: World, drop: DataDrop, subject: Subject, label: str = "5") -> None:
    """A working-at grade for Amy at `drop` in `subject`."""
    with school_scope(world.a):
        TrackingEntry.objects.create(
            school=world.a,
            drop=drop,
            field=drop.fields.get(key="working_at"),
            pupil=world.amy,
            subject=subject,
            grade=Grade.objects.get(scale=subject.scale, label=label),
        )


def _target(world: World, subject: Subject) -> None:
    with school_scope(world.a):
        targets.target_set(
            actor=world.admin,
            pupil=world.ben,
            subject=subject,
            grade=Grade.objects.get(scale=subject.scale, label="6"),
        )


def test_subject_is_renamed_and_moved_to_another_scale_while_empty(api_as, world: World):
    """ASM-4: the subject edit page's change through the API, audited."""
    subject = tracking_world(world)["subject"]
    api = api_as("admin")
    url = api.school(f"{T}/subjects/{subject.pk}")
    response = api.patch(url, {"name": "Mathematics", "scale": "a level a*-e"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["code"], body["scale"]) == ("Mathematics", "Ma", "A level A*-E")
    assert [e.data["new"]["name"] for e in actions(world.a, "tracking.subject.changed")] == [
        "Mathematics"
    ]
    assert api.patch(url, {"scale": "No such"}).json()["errors"] == {
        "scale": ["The school has no scale called No such."]
    }


def test_subject_with_grades_keeps_its_scale(api_as, world: World):
    """ASM-4: grades on its scale would not be on another one: 422 naming the field."""
    made = tracking_world(world)
    _entry(world, made["drop"], made["subject"])
    api = api_as("admin")
    response = api.patch(api.school(f"{T}/subjects/{made['subject'].pk}"), {"scale": "BTEC"})
    assert response.status_code == 422
    assert "scale" in response.json()["errors"]


def test_subject_holding_data_is_deleted_only_when_confirmed(api_as, world: World):
    """ASM-4: a 409 says how many targets and drop grades would go; with confirm=true the
    subject goes with them, audited with the counts; the classes stay."""
    made = tracking_world(world)
    subject = made["subject"]
    _entry(world, made["drop"], subject)
    _target(world, subject)
    api = api_as("admin")
    url = api.school(f"{T}/subjects/{subject.pk}")
    refused = api.delete(url)
    assert refused.status_code == 409
    body = refused.json()
    assert (body["targets"], body["entries"], body["classes"]) == (1, 1, 2)
    assert "1 target and 1 drop grade" in body["detail"]
    with school_scope(world.a):
        assert Subject.objects.filter(pk=subject.pk).exists()
    assert api.delete(url + "?confirm=true").status_code == 204
    with school_scope(world.a):
        assert not Subject.objects.filter(pk=subject.pk).exists()
        assert not TrackingEntry.objects.exists() and not Target.objects.exists()
        assert world.class_7a.__class__.objects.filter(pk=world.class_7a.pk).exists()
    (event,) = actions(world.a, "tracking.subject.deleted")
    assert (event.data["targets"], event.data["entries"]) == (1, 1)


def test_subject_used_by_assignments_is_not_deleted(api_as, world: World):
    """ASM-4: an assignment's grade boundaries are on the subject's scale: 422, not a
    server error, even with confirm."""
    from markbook.assessment.services import assignment_create

    subject = tracking_world(world)["subject"]
    with school_scope(world.a):
        made = assignment_create(actor=None, teaching_class=world.class_7a, title="Q", max_mark=9)
        assert made.subject_id == subject.pk  # the class's subject
    api = api_as("admin")
    response = api.delete(api.school(f"{T}/subjects/{subject.pk}") + "?confirm=true")
    assert response.status_code == 422
    assert "assignment" in response.json()["detail"] + str(response.json()["errors"])


def test_class_is_unlinked_from_a_subject(api_as, world: World):
    """ASM-4: the subject's classes page unlinks a class; so does the API."""
    subject = tracking_world(world)["subject"]
    api = api_as("admin")
    classes = api.school(f"{T}/subjects/{subject.pk}/classes")
    assert [c["name"] for c in api.get(classes).json()] == ["7A Maths", "7B Maths"]
    assert api.delete(f"{classes}/{world.class_7b.pk}").status_code == 204
    assert [c["name"] for c in api.get(classes).json()] == ["7A Maths"]
    assert len(actions(world.a, "tracking.subject.class_unlinked")) == 1


def test_school_scale_is_edited_and_a_built_in_one_refused(api_as, world: World):
    """ASM-4: a school-defined scale's name and grades change (lowest first, grades kept
    by label); a built-in scale's grades are fixed (422)."""
    scale = tracking_world(world)["scale"]
    api = api_as("admin")
    url = api.school(f"{T}/scales/{scale.pk}")
    grades = [{"label": g} for g in ("Emerging", "Developing", "Secure", "Mastery")]
    response = api.patch(url, {"name": "Emerging to Mastery", "grades": grades})
    assert response.status_code == 200, response.content
    assert [g["label"] for g in response.json()["grades"]] == [g["label"] for g in grades]
    assert api.get(url).json()["name"] == "Emerging to Mastery"
    with school_scope(world.a):
        gcse = GradeScale.objects.get(name="GCSE 9-1")
    refused = api.patch(api.school(f"{T}/scales/{gcse.pk}"), {"name": "GCSE"})
    assert refused.status_code == 422
    assert "built-in" in str(refused.json())


def test_grade_is_mapped_onto_a_band_of_its_scale_only(api_as, world: World):
    """ASM-4: the band mapping of one grade, audited; a grade of another scale is 404."""
    scale = tracking_world(world)["scale"]
    with school_scope(world.a):
        grade = scale.grades.order_by("rank").first()
        top = Band.objects.order_by("-rank").first()
        gcse = GradeScale.objects.get(name="GCSE 9-1")
    api = api_as("admin")
    response = api.patch(
        api.school(f"{T}/scales/{scale.pk}/grades/{grade.pk}"), {"band_id": top.pk}
    )
    assert response.status_code == 200
    assert response.json()["band_id"] == top.pk
    assert len(actions(world.a, "tracking.bands.mapped")) == 1
    wrong = api.patch(api.school(f"{T}/scales/{gcse.pk}/grades/{grade.pk}"), {"band_id": None})
    assert wrong.status_code == 404


def test_band_is_renamed(api_as, world: World):
    """ASM-4: the bands page renames the school's common bands; so does the API."""
    tracking_world(world)
    with school_scope(world.a):
        band = Band.objects.order_by("rank").first()
    api = api_as("admin")
    response = api.patch(api.school(f"{T}/bands/{band.pk}"), {"name": "Starting"})
    assert response.json()["name"] == "Starting"
    assert api.patch(api.school(f"{T}/bands/{band.pk}"), {"name": " "}).status_code == 422


def test_ks2_target_table_is_read_and_replaced(api_as, world: World):
    """ASM-4: the whole table at once, lowest KS2 average first; a grade not of the
    scale, or a score outside KS2's range, is a 422 and nothing changes."""
    scale = tracking_world(world)["scale"]
    api = api_as("admin")
    url = api.school(f"{T}/scales/{scale.pk}/target-rules")
    rules = [{"ks2_minimum": 110, "grade": "Greater depth"}, {"ks2_minimum": 95, "grade": "secure"}]
    response = api.call("put", url, {"rules": rules})
    assert response.status_code == 200, response.content
    expected = [
        {"ks2_minimum": 95, "grade": "Secure"},
        {"ks2_minimum": 110, "grade": "Greater depth"},
    ]
    assert response.json() == expected
    assert api.get(url).json() == expected
    for bad in ([{"ks2_minimum": 100, "grade": "9"}], [{"ks2_minimum": 10, "grade": "Secure"}]):
        refused = api.call("put", url, {"rules": bad})
        assert refused.status_code == 422
        assert "rules" in refused.json()["errors"]
    assert api.get(url).json() == expected


def test_targets_are_set_from_ks2_through_the_api(api_as, world: World):
    """ASM-4: the tracking page's "targets from KS2" action: Amy's KS2 results give her
    Maths target by the GCSE table; a teacher's target is kept unless overwrite."""
    made = tracking_world(world)
    with school_scope(world.a):
        for pupil in (world.amy, world.ben):
            pupil.ks2_reading, pupil.ks2_maths = 110, 112
            pupil.save(update_fields=["ks2_reading", "ks2_maths"])
    _target(world, made["subject"])  # Ben's, set by the administrator
    api = api_as("admin")
    url = api.school(f"{T}/targets/from-ks2")
    first = api.post(url, {})
    assert first.status_code == 200, first.content
    assert first.json()["created"] >= 1
    with school_scope(world.a):
        assert Target.objects.get(pupil=world.amy).source == "ks2"
        assert Target.objects.get(pupil=world.ben).source == "teacher"
    api.post(url, {"overwrite": True})
    with school_scope(world.a):
        assert Target.objects.get(pupil=world.ben).source == "ks2"
    assert len(actions(world.a, "tracking.targets.from_ks2")) == 2


def test_drop_is_changed_and_a_field_holding_entries_kept(api_as, world: World):
    """ASM-4: the drop edit page's change; removing a field that holds entries is 422."""
    made = tracking_world(world)
    drop = made["drop"]
    api = api_as("admin")
    url = api.school(f"{T}/drops/{drop.pk}")
    response = api.patch(url, {"name": "Autumn 1", "deadline": "2026-12-01"})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["deadline"]) == ("Autumn 1", "2026-12-01")
    assert [f["key"] for f in api.get(url).json()["fields"]] == ["working_at", "predicted"]
    _entry(world, drop, made["subject"])
    refused = api.patch(url, {"fields": [{"label": "Predicted"}]})
    assert refused.status_code == 422
    assert "Working at" in refused.json()["errors"]["fields"][0]
    assert api.patch(url, {"deadline": "2026-01-01"}).status_code == 422


def test_drop_holding_entries_is_deleted_only_when_confirmed(api_as, world: World):
    """ASM-4: 409 with how many entries for how many pupils; confirm=true deletes them."""
    made = tracking_world(world)
    drop = made["drop"]
    _entry(world, drop, made["subject"])
    api = api_as("admin")
    url = api.school(f"{T}/drops/{drop.pk}")
    refused = api.delete(url)
    assert refused.status_code == 409
    assert {k: refused.json()[k] for k in ("entries", "pupils", "subjects")} == {
        "entries": 1,
        "pupils": 1,
        "subjects": 1,
    }
    assert api.delete(url + "?confirm=true").status_code == 204
    with school_scope(world.a):
        assert not DataDrop.objects.filter(pk=drop.pk).exists()
        assert not TrackingEntry.objects.exists()
    (event,) = actions(world.a, "tracking.drop.deleted")
    assert event.data["entries"] == 1


def test_an_empty_drop_is_deleted_at_once(api_as, world: World):
    """ASM-4: nothing entered, nothing to confirm."""
    with school_scope(world.a):
        from markbook.tracking import drops

        drop = drops.drop_create(
            actor=None, school=world.a, name="Spare", date=datetime.date(2027, 1, 1)
        )
    api = api_as("admin")
    assert api.delete(api.school(f"{T}/drops/{drop.pk}")).status_code == 204


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/subjects/{subject}", {"name": "X"}),
        ("delete", "/subjects/{subject}?confirm=true", None),
        ("patch", "/scales/{scale}", {"name": "X"}),
        ("put", "/scales/{scale}/target-rules", {"rules": []}),
        ("patch", "/drops/{drop}", {"name": "X"}),
        ("delete", "/drops/{drop}?confirm=true", None),
    ],
)
def test_another_schools_administrator_gets_404_and_nothing_changes(
    api_as, world: World, method, path, body
):
    """TEN-3, TEN-4: School A's tracking objects do not exist for School B's
    administrator, at School B's address too."""
    made = tracking_world(world)
    ids = {"subject": made["subject"].pk, "scale": made["scale"].pk, "drop": made["drop"].pk}
    api = api_as("other_admin")
    for school in (world.a, world.b):
        response = api.call(method, api.school(f"{T}{path.format(**ids)}", school), body)
        assert response.status_code == 404
    with school_scope(world.a):
        assert Subject.objects.get(pk=made["subject"].pk).name == "Maths"
        assert DataDrop.objects.filter(pk=made["drop"].pk).exists()
        assert GradeScale.objects.get(pk=made["scale"].pk).name == "Emerging to Greater depth"
