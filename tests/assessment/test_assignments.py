"""Assignments from the pages and the API (ASM-1): kinds, subjects, boundaries,
completion, overdue, deleting with marks, a trust's assignments (TEN-3, TEN-4)."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from markbook.assessment import selectors, services
from markbook.assessment.grading import grade_for_mark
from markbook.assessment.models import Assignment, Mark
from markbook.core.tenancy import all_schools, school_scope
from markbook.tracking.models import Grade
from tests import factories as f
from tests.conftest import World
from tests.rosters.conftest import actions


def _grade(subject, label: str) -> Grade:  # type: ignore[no-untyped-def]
    return Grade.objects.get(scale_id=subject.scale_id, label=label)


def test_the_class_subject_is_the_default_and_boundaries_give_grades(in_a: World):
    """ASM-1: no subject given -> the class's (SubjectClass); boundaries on its scale."""
    maths = f.gcse_subject(in_a.a, classes=[in_a.class_7a])
    g4, g7 = _grade(maths, "4"), _grade(maths, "7")
    quiz = services.assignment_create(
        actor=in_a.teacher,
        teaching_class=in_a.class_7a,
        title="Algebra test",
        kind="test",
        max_mark="40",
        boundaries={g4.pk: "16", g7.pk: "30"},
    )
    quiz = Assignment.objects.prefetch_related("boundaries__grade").get(pk=quiz.pk)
    assert (quiz.subject, quiz.kind) == (maths, "test")
    assert [grade_for_mark(quiz, Decimal(s)) for s in ("15", "16", "29.5", "40")] == [
        None,
        g4,
        g4,
        g7,
    ]
    assert actions(in_a.a, "assessment.assignment.created")[-1].data["boundaries"] == {
        str(g4.pk): "16.00",
        str(g7.pk): "30.00",
    }


@pytest.mark.parametrize(
    ("boundaries", "words"),
    [
        ({"4": "30", "7": "16"}, "needs more marks"),
        ({"4": "41"}, "from 0 to 40"),
        ({"4": "-1"}, "from 0 to 40"),
    ],
)
def test_bad_boundaries_are_refused_and_nothing_is_written(in_a: World, boundaries, words):
    maths = f.gcse_subject(in_a.a, classes=[in_a.class_7a])
    ids = {_grade(maths, label).pk: mark for label, mark in boundaries.items()}
    with pytest.raises(ValidationError, match=words):
        services.assignment_create(
            actor=in_a.teacher,
            teaching_class=in_a.class_7a,
            title="Test",
            max_mark="40",
            boundaries=ids,
        )
    assert not Assignment.objects.exists()


def test_a_grade_of_another_scale_is_refused(in_a: World):
    maths = f.gcse_subject(in_a.a, classes=[in_a.class_7a])
    a_star = Grade.objects.get(scale__name="A level A*-E", label="A*")
    with pytest.raises(ValidationError, match="not on the subject's scale"):
        services.assignment_create(
            actor=None,
            teaching_class=in_a.class_7a,
            title="Test",
            max_mark="40",
            subject=maths,
            boundaries={a_star.pk: "30"},
        )


def test_lowering_the_maximum_below_a_boundary_is_refused(in_a: World):
    maths = f.gcse_subject(in_a.a, classes=[in_a.class_7a])
    quiz = services.assignment_create(
        actor=None,
        teaching_class=in_a.class_7a,
        title="Test",
        max_mark="40",
        boundaries={_grade(maths, "9").pk: "38"},
    )
    with pytest.raises(ValidationError, match="from 0 to 30"):
        services.assignment_update(
            actor=None, assignment=quiz, title="Test", max_mark="30", due_date=None
        )


def test_a_teacher_creates_an_assignment_with_boundaries_from_the_page(client_for, world):
    """ASM-1: the form saves kind, due date, maximum and boundaries."""
    maths = f.gcse_subject(world.a, classes=[world.class_7a])
    with school_scope(world.a):
        g5 = _grade(maths, "5")
    url = reverse(
        "assessment:assignment_new", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
    )
    client = client_for("teacher")
    page = client.get(url)
    assert f'name="boundary_{g5.pk}"' in page.content.decode()
    response = client.post(
        url,
        {
            "title": "Mock exam",
            "kind": "test",
            "due_date": "2026-12-10",
            "max_mark": "80",
            "subject": maths.pk,
            f"boundary_{g5.pk}": "44",
        },
    )
    assert response.status_code == 302
    with school_scope(world.a):
        made = Assignment.objects.get(title="Mock exam")
        assert (made.kind, made.due_date, made.max_mark) == ("test", date(2026, 12, 10), 80)
        assert [(b.grade, b.minimum_mark) for b in made.boundaries.all()] == [(g5, 44)]


def test_the_subject_change_returns_that_scales_boundary_inputs(client_for, world):
    maths = f.gcse_subject(world.a, classes=[world.class_7a])
    url = reverse(
        "assessment:assignment_new", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
    )
    response = client_for("teacher").get(url, {"subject": maths.pk}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<fieldset id="boundaries">')
    assert body.count('name="boundary_') == 10  # U and 1 to 9


@pytest.mark.parametrize("role", ["colleague", "other_teacher", "parent", "pupil"])
def test_only_the_class_teacher_and_admins_set_work_for_a_class(client_for, world, role):
    """ASM-1, TEN-3: a teacher of another class, or another school, gets 404."""
    url = reverse(
        "assessment:assignment_new", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
    )
    assert client_for(role).get(url).status_code == 404
    api = f"/api/schools/{world.a.pk}/classes/{world.class_7a.pk}/assignments"
    body = json.dumps({"title": "X", "max_mark": 10})
    assert client_for(role).post(api, body, content_type="application/json").status_code == 404


def _marked(w: World, due: date | None = None) -> Assignment:
    quiz = services.assignment_create(
        actor=w.teacher, teaching_class=w.class_7a, title="Quiz", max_mark=10, due_date=due
    )
    services.mark_record(actor=w.teacher, assignment=quiz, pupil=w.amy, score=7)
    return quiz


def test_deleting_an_assignment_with_marks_says_how_many_and_asks_first(client_for, world):
    with school_scope(world.a):
        quiz = _marked(world)
    url = reverse(
        "assessment:assignment_delete", kwargs={"school_id": world.a.pk, "assignment_id": quiz.pk}
    )
    client = client_for("teacher")
    assert "1 mark will be deleted" in client.get(url).content.decode()
    api = f"/api/schools/{world.a.pk}/assignments/{quiz.pk}"
    refused = client.delete(api)
    assert (refused.status_code, refused.json()["marks"]) == (409, 1)
    with school_scope(world.a):
        assert Assignment.objects.filter(pk=quiz.pk).exists()
    assert client.delete(api + "?confirm=true").status_code == 204
    with school_scope(world.a):
        assert not Mark.objects.exists()


def test_completion_counts_marked_absent_not_required_and_missing(in_a: World):
    """ASM-1: among the class's current pupils; a pupil who left is not counted."""
    eve = f.PupilFactory(school=in_a.a, first_name="Eve")
    gus = f.PupilFactory(school=in_a.a, first_name="Gus", status="left")
    for p in (eve, gus):
        in_a.class_7a.enrolments.create(school=in_a.a, pupil=p)
    quiz = _marked(in_a)
    services.mark_record(actor=None, assignment=quiz, pupil=in_a.ben, status="absent")
    services.mark_record(actor=None, assignment=quiz, pupil=gus, score=3)
    done = selectors.completion([quiz])[quiz.pk]
    assert (done.pupils, done.marked, done.absent, done.not_required, done.missing) == (
        3,
        1,
        1,
        0,
        1,
    )


def test_completion_and_overdue_cost_a_fixed_number_of_queries(in_a: World):
    """ASM-1: the overdue list's queries do not grow with assignments or classes."""
    past = date.today() - timedelta(days=3)

    access = _access(in_a, "teacher")

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            found = selectors.overdue(in_a.teacher, access, date.today())
        return len(queries), len(found)

    _marked(in_a, due=past)
    one = count()
    for n in range(5):
        services.assignment_create(
            actor=None, teaching_class=in_a.class_7a, title=f"Q{n}", max_mark=5, due_date=past
        )
    six = count()
    assert one[1] == 1 and six[1] == 6
    assert one[0] == six[0] <= 4


def _access(w: World, role: str):  # type: ignore[no-untyped-def]
    from markbook.admission import school_access

    return school_access(w.user(role), w.a)


def test_the_assignments_page_lists_overdue_work_of_the_teacher(client_for, world):
    with school_scope(world.a):
        _marked(world, due=date.today() - timedelta(days=1))
        services.assignment_create(
            actor=None, teaching_class=world.class_7b, title="Colleague's", max_mark=5
        )
    page = client_for("teacher").get(
        reverse("assessment:assignments", kwargs={"school_id": world.a.pk})
    )
    body = page.content.decode()
    assert "Overdue" in body and "1 missing" in body
    assert "Colleague&#x27;s" not in body and "Colleague's" not in body


# --- A trust's assignment across its schools ------------------------------------


@pytest.fixture
def trust_world(world):  # type: ignore[no-untyped-def]
    """A second school of the trust, with a class of its own."""
    with all_schools():
        c = f.SchoolFactory(name="Cedar High", trust=world.a.trust)
    c1 = f.teaching_class(c, "C1 Maths", pupils=[f.pupil_with_account(c, first_name="Cy")])
    return world, c, c1


def test_a_trust_admin_sets_one_assignment_to_classes_of_two_schools(client_for, trust_world):
    """ASM-1: one original, a copy in each school linked to it, each audited there."""
    world, cedar, c1 = trust_world
    client = client_for("trust_admin")
    api = f"/api/trusts/{world.a.trust_id}/assignments"
    body = {
        "title": "Trust mock",
        "kind": "test",
        "max_mark": 60,
        "class_ids": [world.class_7a.pk, c1.pk],
    }
    made = client.post(api, json.dumps(body), content_type="application/json")
    assert made.status_code == 201, made.content
    copies = made.json()["copies"]
    assert sorted(c["school_id"] for c in copies) == sorted([world.a.pk, cedar.pk])
    for school in (world.a, cedar):
        assert actions(school, "assessment.assignment.created")[-1].data["trust_assignment"]
        with school_scope(school):
            assert Assignment.objects.get().trust_origin_id == made.json()["id"]


def test_editing_the_original_updates_copies_without_marks_and_names_the_others(
    client_for, trust_world
):
    """ASM-1: a copy with marks is left alone, and the answer says which."""
    world, cedar, c1 = trust_world
    with all_schools():
        original = services.trust_assignment_create(
            actor=world.trust_admin,
            trust=world.a.trust,
            classes=[world.class_7a, c1],
            title="Trust mock",
            max_mark=60,
        )
    with school_scope(world.a):
        copy_a = Assignment.objects.get()
        services.mark_record(actor=None, assignment=copy_a, pupil=world.amy, score=30)
    url = f"/api/trusts/{world.a.trust_id}/assignments/{original.pk}"
    answer = client_for("trust_admin").patch(
        url, json.dumps({"title": "Trust mock (v2)"}), content_type="application/json"
    )
    assert answer.status_code == 200
    assert [c["assignment_id"] for c in answer.json()["kept_with_marks"]] == [copy_a.pk]
    with school_scope(world.a):
        assert Assignment.objects.get().title == "Trust mock"
    with school_scope(cedar):
        assert Assignment.objects.get().title == "Trust mock (v2)"
    kept = actions(world.a, "assessment.trust_assignment.changed")[-1].data
    assert kept["kept_with_marks"] == [copy_a.pk]


def test_the_trust_page_warns_of_copies_left_alone(client_for, trust_world):
    world, _cedar, _c1 = trust_world
    with all_schools():
        original = services.trust_assignment_create(
            actor=None, trust=world.a.trust, classes=[world.class_7a], title="T", max_mark=10
        )
    with school_scope(world.a):
        services.mark_record(
            actor=None, assignment=Assignment.objects.get(), pupil=world.amy, score=3
        )
    url = reverse(
        "trust_assessment:assignment_edit",
        kwargs={"trust_id": world.a.trust_id, "trust_assignment_id": original.pk},
    )
    response = client_for("trust_admin").post(
        url, {"title": "T2", "kind": "homework", "max_mark": "10"}, follow=True
    )
    assert "left as they were: 7A Maths" in response.content.decode()


def test_a_class_outside_the_trust_is_refused(client_for, world):
    """TEN-3: another school's class is not one of the trust's: 422, nothing written."""
    api = f"/api/trusts/{world.a.trust_id}/assignments"
    body = {"title": "X", "max_mark": 5, "class_ids": [world.class_b1.pk]}
    answer = client_for("trust_admin").post(api, json.dumps(body), content_type="application/json")
    assert answer.status_code == 422
    with all_schools():
        assert not Assignment.objects.exists()


def test_a_huge_maximum_is_refused_not_a_server_error(client_for, world):
    """ASM-1: 4e65 used to raise InvalidOperation (a 500); now a 422 naming the field."""
    api = f"/api/schools/{world.a.pk}/classes/{world.class_7a.pk}/assignments"
    body = json.dumps({"title": "X", "max_mark": -4.07e65})
    answer = client_for("teacher").post(api, body, content_type="application/json")
    assert answer.status_code == 422 and "max_mark" in answer.json()["errors"]
