"""Assessment services (ASM-1, ASM-3, DSR-3): validated, atomic, audited, scoped."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes.exceptions import ScopeError

from markbook.assessment import services
from markbook.assessment.models import Assignment, Mark
from markbook.core.tenancy import school_scope
from tests.conftest import World
from tests.rosters.conftest import actions


def _quiz(w: World, max_mark: str = "20") -> Assignment:
    return services.assignment_create(
        actor=w.teacher, teaching_class=w.class_7a, title="Fractions quiz", max_mark=max_mark
    )


def test_assignment_create_keeps_title_max_and_author_and_is_audited(in_a: World):
    quiz = _quiz(in_a)
    assert (quiz.title, quiz.max_mark, quiz.created_by, quiz.school_id) == (
        "Fractions quiz",
        Decimal("20.00"),
        in_a.teacher,
        in_a.a.pk,
    )
    assert actions(in_a.a, "assessment.assignment.created")[-1].target_id == str(quiz.pk)


@pytest.mark.parametrize("max_mark", ["0", "-5", "ten", "1.234"])
def test_assignment_create_refuses_a_bad_max_mark(in_a: World, max_mark: str):
    with pytest.raises(ValidationError) as error:
        _quiz(in_a, max_mark)
    assert set(error.value.message_dict) == {"max_mark"}
    assert not Assignment.objects.exists()


def test_mark_record_stores_a_score_and_audits_old_and_new(in_a: World):
    quiz = _quiz(in_a)
    services.mark_record(actor=in_a.teacher, assignment=quiz, pupil=in_a.amy, score="15.5")
    services.mark_record(actor=in_a.teacher, assignment=quiz, pupil=in_a.amy, score="17")
    mark = Mark.objects.get(assignment=quiz, pupil=in_a.amy)
    assert (mark.score, mark.status) == (Decimal("17.00"), Mark.Status.MARKED)
    events = actions(in_a.a, "assessment.mark.changed")
    assert [e.data for e in events] == [
        {"pupil": in_a.amy.pk, "old": None, "new": {"score": "15.50", "status": "marked"}},
        {
            "pupil": in_a.amy.pk,
            "old": {"score": "15.50", "status": "marked"},
            "new": {"score": "17.00", "status": "marked"},
        },
    ]


def test_recording_the_same_mark_again_writes_no_event(in_a: World):
    quiz = _quiz(in_a)
    services.mark_record(actor=in_a.teacher, assignment=quiz, pupil=in_a.amy, score="15")
    services.mark_record(actor=in_a.teacher, assignment=quiz, pupil=in_a.amy, score="15.00")
    assert len(actions(in_a.a, "assessment.mark.changed")) == 1


@pytest.mark.parametrize("score", ["-1", "20.01", "abc"])
def test_mark_record_refuses_a_score_outside_0_to_max(in_a: World, score: str):
    quiz = _quiz(in_a)
    with pytest.raises(ValidationError) as error:
        services.mark_record(actor=in_a.teacher, assignment=quiz, pupil=in_a.amy, score=score)
    assert set(error.value.message_dict) == {"score"}
    assert not Mark.objects.exists()


def test_absent_and_not_required_have_no_score(in_a: World):
    quiz = _quiz(in_a)
    services.mark_record(
        actor=in_a.teacher, assignment=quiz, pupil=in_a.amy, status=Mark.Status.ABSENT
    )
    services.mark_record(
        actor=in_a.teacher, assignment=quiz, pupil=in_a.ben, status=Mark.Status.NOT_REQUIRED
    )
    assert sorted(Mark.objects.values_list("status", "score")) == [
        ("absent", None),
        ("not_required", None),
    ]
    with pytest.raises(ValidationError) as error:
        services.mark_record(
            actor=in_a.teacher, assignment=quiz, pupil=in_a.amy, score="3", status="absent"
        )
    assert set(error.value.message_dict) == {"score"}


def test_a_marked_pupil_needs_a_score(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.mark_record(actor=in_a.teacher, assignment=_quiz(in_a), pupil=in_a.amy)
    assert set(error.value.message_dict) == {"score"}


def test_mark_record_refuses_a_pupil_of_another_school(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.mark_record(actor=in_a.teacher, assignment=_quiz(in_a), pupil=in_a.dee, score="1")
    assert set(error.value.message_dict) == {"pupil"}


def test_mark_delete_records_the_old_value(in_a: World):
    quiz = _quiz(in_a)
    mark = services.mark_record(actor=in_a.teacher, assignment=quiz, pupil=in_a.amy, score="4")
    services.mark_delete(actor=in_a.admin, mark=mark)
    assert not Mark.objects.exists()
    assert actions(in_a.a, "assessment.mark.changed")[-1].data == {
        "pupil": in_a.amy.pk,
        "old": {"score": "4.00", "status": "marked"},
        "new": None,
    }


def test_assignment_update_refuses_a_max_below_a_given_mark(in_a: World):
    quiz = _quiz(in_a)
    services.mark_record(actor=in_a.teacher, assignment=quiz, pupil=in_a.amy, score="18")
    with pytest.raises(ValidationError) as error:
        services.assignment_update(
            actor=in_a.teacher, assignment=quiz, title="Quiz", max_mark="10", due_date=None
        )
    assert set(error.value.message_dict) == {"max_mark"}
    quiz.refresh_from_db()
    assert quiz.max_mark == Decimal("20.00")


def test_another_schools_scope_sees_no_marks_and_no_scope_raises(world: World):
    with school_scope(world.a):
        quiz = _quiz(world)
        services.mark_record(actor=world.teacher, assignment=quiz, pupil=world.amy, score="9")
    with school_scope(world.b):
        assert not Mark.objects.exists()
        assert not Assignment.objects.exists()
    with pytest.raises(ScopeError):
        list(Mark.objects.all())
