"""Teachers write their own question sets (ASM-2): numeric and multiple-choice
questions, checked with clear messages, reordered and deleted, published, practice or
timed trial; a form saved unchanged changes nothing; deleting answered sets asks first."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.practice import authoring
from markbook.practice.models import Item, Question, QuestionSet
from tests.practice.helpers import answers, teacher_set

pytestmark = pytest.mark.django_db


def _events(action: str) -> int:
    with all_schools():
        return AuditEvent.objects.filter(action=action).count()


def _message(error: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(error.value.message_dict[field])


def test_a_teacher_writes_a_set_and_its_questions_are_in_order(world):
    made = teacher_set(world)
    with school_scope(world.a):
        questions = list(Question.objects.filter(question_set=made).order_by("position"))
    assert [q.kind for q in questions] == ["numeric", "choice"]
    assert [q.position for q in questions] == [1, 2]
    assert str(questions[0].answer) == "0.500000" and str(questions[0].tolerance) == "0.050000"
    assert questions[1].correct == [0, 2]
    assert made.kind == "custom" and made.published is False and made.version == 3
    assert _events("practice.set.created") == 1 and _events("practice.question.created") == 2


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        (
            {"kind": "choice", "prompt": "Pick", "choices": ["Only one"], "correct": [0]},
            "choices",
            "2 to 6 options",
        ),
        (
            {"kind": "choice", "prompt": "Pick", "choices": list("abcdefg"), "correct": [0]},
            "choices",
            "it has 7",
        ),
        (
            {"kind": "choice", "prompt": "Pick", "choices": ["a", "b"], "correct": []},
            "correct",
            "at least one correct",
        ),
        (
            {"kind": "choice", "prompt": "Pick", "choices": ["a", "A"], "correct": [0]},
            "choices",
            "same",
        ),
        (
            {"kind": "choice", "prompt": "Pick", "choices": ["a", "b"], "correct": [5]},
            "correct",
            "not one of the 2",
        ),
        (
            {"kind": "numeric", "prompt": "How many?", "answer": "twelve"},
            "answer",
            "must be a number",
        ),
        ({"kind": "numeric", "prompt": "How many?", "answer": ""}, "answer", "Give the answer"),
        ({"kind": "numeric", "prompt": "How many?", "answer": "NaN"}, "answer", "must be a number"),
        (
            {"kind": "numeric", "prompt": "How many?", "answer": "3", "tolerance": "-1"},
            "tolerance",
            "0 or more",
        ),
        (
            {"kind": "numeric", "prompt": "How many?", "answer": "0.1234567"},
            "answer",
            "6 decimal places",
        ),
        ({"kind": "numeric", "prompt": "", "answer": "3"}, "prompt", "Give the question"),
        ({"kind": "essay", "prompt": "Why?"}, "kind", "numeric or choice"),
    ],
)
def test_a_bad_question_is_refused_with_a_clear_message(world, values, field, says):
    made = teacher_set(world, questions=False)
    with school_scope(world.a), pytest.raises(ValidationError) as error:
        authoring.question_create(actor=world.teacher, question_set=made, **values)
    assert says in _message(error, field)
    with school_scope(world.a):
        assert not Question.objects.filter(question_set=made).exists()


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"title": ""}, "title", "Give the set a title"),
        ({"title": "Fractions"}, "title", "already has a practice set"),
        ({"title": "Trial", "mode": "trial"}, "seconds_per_question", "needs the seconds"),
        (
            {"title": "Trial", "mode": "trial", "seconds_per_question": 0},
            "seconds_per_question",
            "from 1 to 600",
        ),
        ({"title": "Many", "question_count": 0}, "question_count", "from 1 to 200"),
        ({"title": "Many", "question_count": "lots"}, "question_count", "whole number"),
        ({"title": "Odd", "mode": "exam"}, "mode", "practice or trial"),
    ],
)
def test_a_bad_set_is_refused_with_a_clear_message(world, values, field, says):
    teacher_set(world, questions=False)
    with school_scope(world.a), pytest.raises(ValidationError) as error:
        authoring.question_set_create(actor=world.teacher, school=world.a, **values)
    assert says in _message(error, field)


def test_a_timed_trial_keeps_its_count_and_seconds_and_practice_drops_the_time(world):
    with school_scope(world.a):
        trial = authoring.question_set_create(
            actor=world.teacher,
            school=world.a,
            title="Check",
            mode="trial",
            question_count=25,
            seconds_per_question=6,
        )
        practice = authoring.question_set_create(
            actor=world.teacher, school=world.a, title="Warm up", seconds_per_question=6
        )
    assert (trial.mode, trial.question_count, trial.seconds_per_question) == ("trial", 25, 6)
    assert practice.seconds_per_question is None


def test_saving_unchanged_changes_nothing(world):
    made = teacher_set(world)
    with school_scope(world.a):
        q = Question.objects.filter(question_set=made).order_by("position").first()
        before = _events("practice.question.changed"), _events("practice.set.changed")
        assert not authoring.question_update(
            actor=world.teacher,
            question=q,
            media=None,
            kind="numeric",
            prompt="What is 1/2 as a decimal?",
            answer="0.50",
            tolerance="0.05",
            units="",
        )
        assert not authoring.question_set_update(
            actor=world.teacher, question_set=made, title="Fractions", question_count=5
        )
        made.refresh_from_db()
    assert made.version == 3
    assert (_events("practice.question.changed"), _events("practice.set.changed")) == before


def test_a_change_bumps_the_version_and_is_audited(world):
    made = teacher_set(world)
    with school_scope(world.a):
        q = Question.objects.filter(question_set=made).order_by("position").first()
        assert authoring.question_update(
            actor=world.teacher,
            question=q,
            media=None,
            kind="numeric",
            prompt="What is 1/2 as a decimal?",
            answer="0.5",
            tolerance="0",
        )
        made.refresh_from_db()
    assert made.version == 4
    assert _events("practice.question.changed") == 1


def test_questions_are_reordered_and_renumbered_after_a_delete(world):
    made = teacher_set(world)
    with school_scope(world.a):
        first, second = Question.objects.filter(question_set=made).order_by("position")
        third = authoring.question_create(
            actor=world.teacher, question_set=made, kind="numeric", prompt="2 + 2", answer="4"
        )
        assert authoring.question_move(actor=world.teacher, question=third, step=-1)
        order = list(
            Question.objects.filter(question_set=made)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        assert order == [first.pk, third.pk, second.pk]
        assert not authoring.question_move(actor=world.teacher, question=first, step=-1)
        with pytest.raises(ValidationError):
            authoring.questions_reorder(actor=world.teacher, question_set=made, order=[first.pk])
        authoring.question_delete(actor=world.teacher, question=first)
        positions = list(
            Question.objects.filter(question_set=made)
            .order_by("position")
            .values_list("pk", "position")
        )
    assert positions == [(third.pk, 1), (second.pk, 2)]


def test_publishing_needs_a_question_and_archiving_unpublishes(world):
    empty = teacher_set(world, title="Empty", questions=False)
    full = teacher_set(world)
    with school_scope(world.a):
        with pytest.raises(ValidationError) as error:
            authoring.question_set_publish(actor=world.teacher, question_set=empty, published=True)
        assert "Add a question" in _message(error, "published")
        assert authoring.question_set_publish(
            actor=world.teacher, question_set=full, published=True
        )
        assert not authoring.question_set_publish(
            actor=world.teacher, question_set=full, published=True
        )
        assert authoring.question_set_archive(actor=world.teacher, question_set=full, archived=True)
        full.refresh_from_db()
    assert full.archived and not full.published


def test_the_delete_page_says_how_many_answers_go_and_offers_the_archive(world, client_for):
    made = teacher_set(world)
    answers(world.amy, made, [("q:1", True, 1500), ("q:2", False, 3000)])
    client = client_for("teacher")
    url = reverse(
        "practice_teachers:set_delete", kwargs={"school_id": world.a.pk, "set_id": made.pk}
    )
    page = client.get(url).content.decode()
    assert "2 answers by 1 pupil" in page and "Archive instead" in page
    assert client.post(url).status_code == 302
    with school_scope(world.a):
        assert not QuestionSet.objects.filter(pk=made.pk).exists()
        assert not Item.objects.filter(attempt__question_set_id=made.pk).exists()
    with all_schools():
        event = AuditEvent.objects.get(action="practice.set.deleted")
    assert event.data["answers"] == 2


def test_the_api_asks_before_deleting_an_answered_set(world, client_for):
    made = teacher_set(world)
    answers(world.amy, made, [("q:1", True, 1500)])
    client = client_for("teacher")
    url = f"/api/schools/{world.a.pk}/practice/sets/{made.pk}"
    refused = client.delete(url)
    assert refused.status_code == 409
    assert refused.json()["answers"] == 1 and "confirm=true" in refused.json()["detail"]
    assert client.delete(url + "?confirm=true").status_code == 204


def test_the_question_page_saves_a_multiple_choice_question(world, client_for):
    made = teacher_set(world, questions=False)
    client = client_for("teacher")
    url = reverse(
        "practice_teachers:question_new", kwargs={"school_id": world.a.pk, "set_id": made.pk}
    )
    posted = {
        "kind": "choice",
        "prompt": "Which is a prime?",
        "choice_0": "4",
        "choice_1": "",
        "choice_2": "7",
        "choice_3": "9",
        "correct": ["2"],
    }
    assert client.post(url, posted).status_code == 302
    with school_scope(world.a):
        q = Question.objects.get(question_set=made)
    # The blank option is dropped and the ticked one renumbered.
    assert q.choices == ["4", "7", "9"] and q.correct == [1]


def test_the_question_page_shows_the_rules_messages(world, client_for):
    made = teacher_set(world, questions=False)
    client = client_for("teacher")
    url = reverse(
        "practice_teachers:question_new", kwargs={"school_id": world.a.pk, "set_id": made.pk}
    )
    page = client.post(url, {"kind": "choice", "prompt": "Pick", "choice_0": "a"}).content.decode()
    assert "needs 2 to 6 options" in page
    page = client.post(
        url, {"kind": "numeric", "prompt": "How far?", "answer": "far"}
    ).content.decode()
    assert "must be a number" in page


def test_the_preview_shows_the_question_as_the_pupil_sees_it_without_the_answer(world, client_for):
    made = teacher_set(world, questions=False)
    client = client_for("teacher")
    url = reverse(
        "practice_teachers:question_preview", kwargs={"school_id": world.a.pk, "set_id": made.pk}
    )
    shown = client.post(
        url,
        {"kind": "numeric", "prompt": "How long is the line?", "answer": "12.5", "units": "cm"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "How long is the line?" in shown and "cm" in shown and "Your answer" in shown
    several = client.post(
        url,
        {
            "kind": "choice",
            "prompt": "Pick",
            "choice_0": "a",
            "choice_1": "b",
            "correct": ["0", "1"],
        },
    ).content.decode()
    assert 'type="checkbox"' in several and "Choose every right answer" in several
    incomplete = client.post(
        url, {"kind": "choice", "prompt": "Pick", "choice_0": "a"}
    ).content.decode()
    assert "needs 2 to 6 options" in incomplete
    with school_scope(world.a):
        assert not Question.objects.filter(question_set=made).exists()


def test_a_colleague_cannot_edit_the_teachers_set_but_an_administrator_can(world, client_for):
    made = teacher_set(world)
    url = reverse("practice_teachers:set_edit", kwargs={"school_id": world.a.pk, "set_id": made.pk})
    assert client_for("colleague").get(url).status_code == 404
    assert client_for("admin").get(url).status_code == 200
    listed = (
        client_for("colleague")
        .get(reverse("practice_teachers:sets", kwargs={"school_id": world.a.pk}))
        .content.decode()
    )
    assert "Fractions" in listed and url not in listed


def test_api_questions_crud_and_another_sets_question_is_404(world, client_for):
    made = teacher_set(world)
    other = teacher_set(world, title="Other")
    client = client_for("teacher")
    base = f"/api/schools/{world.a.pk}/practice/sets/{made.pk}/questions"
    created = client.post(
        base,
        json.dumps({"kind": "numeric", "prompt": "3 x 4", "answer": "12"}),
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["position"] == 3
    qid = created.json()["id"]
    bad = client.post(
        base,
        json.dumps({"kind": "choice", "prompt": "x", "choices": ["a"], "correct": [0]}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "choices" in bad.json()["errors"]
    changed = client.patch(
        f"{base}/{qid}", json.dumps({"units": "cm"}), content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["units"] == "cm"
    assert (
        client.get(
            f"/api/schools/{world.a.pk}/practice/sets/{other.pk}/questions/{qid}"
        ).status_code
        == 404
    )
    assert client_for("other_teacher").get(f"{base}/{qid}").status_code == 404
    ids = [q["id"] for q in client.get(base).json()]
    reordered = client.put(
        f"{base}/order", json.dumps({"order": list(reversed(ids))}), content_type="application/json"
    )
    assert [q["id"] for q in reordered.json()] == list(reversed(ids))
    assert client.delete(f"{base}/{qid}").status_code == 204
    published = client.patch(
        f"/api/schools/{world.a.pk}/practice/sets/{made.pk}",
        json.dumps({"published": True}),
        content_type="application/json",
    )
    assert published.json()["published"] is True
