"""A practice set as homework (ASM-1, ASM-2): set from the assignment form and the API,
its completion per pupil in the markbook grid (done, done late, started, not started),
and its score as the mark, never over a teacher's mark."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from markbook.assessment import grid
from markbook.assessment.models import Assignment, Mark
from markbook.assessment.services import assignment_create, mark_record
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.practice import homework
from markbook.practice.models import Attempt, QuestionSet
from markbook.rosters.models import Pupil
from tests.conftest import World

pytestmark = pytest.mark.django_db


def practice_set(world: World, **kw) -> QuestionSet:
    with school_scope(world.a):
        return QuestionSet.objects.create(
            school=world.a,
            title=kw.pop("title", "Tables 2 to 5"),
            kind=QuestionSet.Kind.TIMES_TABLES,
            question_count=kw.pop("question_count", 20),
            published=True,
            **kw,
        )


def set_homework(world: World, *, counts: bool = True, due_in: int = 2) -> Assignment:
    qset = practice_set(world)
    with school_scope(world.a):
        return assignment_create(
            actor=world.teacher,
            teaching_class=world.class_7a,
            title="Tables homework",
            max_mark=None,  # type: ignore[arg-type]
            due_date=timezone.localdate() + timedelta(days=due_in),
            question_set=qset,
            score_is_mark=counts,
        )


def attempt(
    assignment: Assignment, pupil: Pupil, *, correct: int, finished_days_ago=None, total=20
):
    now = timezone.now()
    with school_scope(assignment.school_id):
        made = Attempt.objects.create(
            school_id=assignment.school_id,
            pupil=pupil,
            question_set=assignment.question_set,
            assignment=assignment,
            mode="practice",
            total=total,
            answered=total,
            correct_count=correct,
            started_at=now,
            last_active_at=now,
        )
        if finished_days_ago is not None:
            made.state = Attempt.State.FINISHED
            made.finished_at = now - timedelta(days=finished_days_ago)
            made.save()
            homework.attempt_finished(attempt=made)
    return made


def mark_of(assignment: Assignment, pupil: Pupil) -> Mark | None:
    with school_scope(assignment.school_id):
        return Mark.objects.filter(assignment=assignment, pupil=pupil).first()


def test_a_practice_assignment_has_the_sets_questions_as_its_maximum(world: World):
    """ASM-1, ASM-2: set to a class with a due date; the maximum mark is the questions."""
    assignment = set_homework(world)
    assert assignment.max_mark == 20 and assignment.score_is_mark
    assert assignment.question_set is not None


def test_the_score_counts_as_the_mark_and_the_best_attempt_counts(world: World):
    """ASM-2: the finished attempt's correct answers become the mark (audited, from
    practice); a worse attempt later leaves it, a better one replaces it."""
    assignment = set_homework(world)
    attempt(assignment, world.amy, correct=15, finished_days_ago=0)
    mark = mark_of(assignment, world.amy)
    assert mark is not None and mark.score == Decimal("15.00") and mark.from_practice
    with school_scope(world.a):
        event = AuditEvent.objects.filter(action="assessment.mark.changed").latest("seq")
    assert event.data["from_practice"] is True and event.data["new"]["score"] == "15.00"
    attempt(assignment, world.amy, correct=12, finished_days_ago=0)
    assert mark_of(assignment, world.amy).score == Decimal("15.00")
    attempt(assignment, world.amy, correct=18, finished_days_ago=0)
    assert mark_of(assignment, world.amy).score == Decimal("18.00")


def test_a_teachers_mark_is_never_overwritten(world: World):
    """ASM-2: a mark the teacher entered (Absent too) stands whatever the pupil scores."""
    assignment = set_homework(world)
    with school_scope(world.a):
        mark_record(actor=world.teacher, assignment=assignment, pupil=world.amy, score=7)
        mark_record(actor=world.teacher, assignment=assignment, pupil=world.ben, status="absent")
    attempt(assignment, world.amy, correct=19, finished_days_ago=0)
    attempt(assignment, world.ben, correct=19, finished_days_ago=0)
    assert mark_of(assignment, world.amy).score == Decimal("7.00")
    assert mark_of(assignment, world.ben).status == "absent"


def test_without_counts_as_the_mark_no_mark_is_recorded(world: World):
    """ASM-2: the option off, the attempt only shows as done."""
    assignment = set_homework(world, counts=False)
    attempt(assignment, world.amy, correct=19, finished_days_ago=0)
    assert mark_of(assignment, world.amy) is None


def test_an_attempt_of_another_length_is_scaled_to_the_maximum(world: World):
    assignment = set_homework(world)
    attempt(assignment, world.amy, correct=5, total=10, finished_days_ago=0)
    assert mark_of(assignment, world.amy).score == Decimal("10.00")


def test_the_grid_shows_done_late_started_and_not_started(world: World):
    """ASM-2: in the markbook, each pupil's completion of the practice homework: Amy done
    on time, Ben done late (finished after the due date), Cal not in 7A; in one more
    query than a grid without practice homework."""
    assignment = set_homework(world, due_in=-3)  # due three days ago
    attempt(assignment, world.amy, correct=10, finished_days_ago=5)  # before the due date
    attempt(assignment, world.ben, correct=10, finished_days_ago=1)  # after it
    with school_scope(world.a), CaptureQueriesContext(connection) as ctx:
        data = grid.markbook_grid(world.class_7a)
    column = next(c for c in data["columns"] if c["id"] == assignment.pk)
    assert column["practice"] is True
    assert data["progress"] == {
        world.amy.pk: {assignment.pk: "on_time"},
        world.ben.pk: {assignment.pk: "late"},
    }
    assert len(ctx.captured_queries) == 5
    second = set_homework_other(world)
    attempt(second, world.amy, correct=1)  # in progress
    with school_scope(world.a):
        data = grid.markbook_grid(world.class_7a)
    assert data["progress"][world.amy.pk][second.pk] == "started"
    assert second.pk not in data["progress"].get(world.ben.pk, {})  # not started


def set_homework_other(world: World) -> Assignment:
    qset = practice_set(world, title="Tables 6 to 9")
    with school_scope(world.a):
        return assignment_create(
            actor=world.teacher,
            teaching_class=world.class_7a,
            title="More tables",
            max_mark=None,  # type: ignore[arg-type]
            question_set=qset,
        )


def test_the_assignment_form_sets_a_practice_set(world: World, client_for):
    """ASM-1: the teacher chooses a practice set on the assignment form; no maximum mark
    needed; without a set, a maximum mark is asked for."""
    qset = practice_set(world)
    url = reverse(
        "assessment:assignment_new", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
    )
    client = client_for("teacher")
    page = client.get(url)
    assert "Tables 2 to 5" in page.content.decode()
    missing = client.post(url, {"title": "Nothing", "kind": "homework"})
    assert missing.status_code == 200 and "choose a practice set" in missing.content.decode()
    response = client.post(
        url,
        {
            "title": "Tables",
            "kind": "homework",
            "question_set": qset.pk,
            "score_is_mark": "on",
            "due_date": "2026-12-10",
        },
    )
    assert response.status_code == 302
    with school_scope(world.a):
        made = Assignment.objects.get(title="Tables")
    assert made.question_set_id == qset.pk and made.score_is_mark and made.max_mark == 20


def test_the_api_sets_and_reads_a_practice_assignment(world: World, client_for):
    """ASM-1: the assignment schema carries the practice set and the option."""
    qset = practice_set(world)
    client = client_for("teacher")
    url = f"/api/schools/{world.a.pk}/classes/{world.class_7a.pk}/assignments"
    made = client.post(
        url,
        {"title": "Tables", "question_set_id": qset.pk, "score_is_mark": True},
        content_type="application/json",
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["question_set_id"] == qset.pk and body["score_is_mark"] is True
    assert Decimal(body["max_mark"]) == 20
    bad = client.post(
        url, {"title": "X", "question_set_id": 999999}, content_type="application/json"
    )
    assert bad.status_code == 422 and "question_set_id" in bad.json()["errors"]
    none = client.post(url, {"title": "X"}, content_type="application/json")
    assert none.status_code == 422 and "max_mark" in none.json()["errors"]
    changed = client.patch(
        f"/api/schools/{world.a.pk}/assignments/{body['id']}",
        {"score_is_mark": False},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["score_is_mark"] is False


def test_the_assignment_page_names_the_practice_set(world: World, client_for):
    """ASM-1: the assignment's page says it is a practice set and whether it is marked."""
    assignment = set_homework(world)
    page = client_for("teacher").get(
        reverse(
            "assessment:assignment_detail",
            kwargs={"school_id": world.a.pk, "assignment_id": assignment.pk},
        )
    )
    text = page.content.decode()
    assert "Tables 2 to 5" in text and "The score counts as the mark" in text
