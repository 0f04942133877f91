"""Driving an attempt in tests: the expected answer read from the server's own row.

What the practice tests share (ASM-2): a teacher's set with questions, and pupils'
attempts and answers made directly (the answering service is another module's)."""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from markbook.core.tenancy import school_scope
from markbook.practice import answering, authoring
from markbook.practice.models import Attempt, Item, Question, QuestionSet
from markbook.rosters.models import Pupil


def expected(attempt: Attempt) -> str:
    with school_scope(attempt.school_id):
        current = Attempt.objects.get(pk=attempt.pk).current
        assert current is not None
        return current.expected


def current_position(attempt: Attempt) -> int:
    with school_scope(attempt.school_id):
        current = Attempt.objects.get(pk=attempt.pk).current
        assert current is not None
        return current.position


def answer(
    attempt: Attempt, *, at: datetime, right: bool = True, response: str | None = None
) -> answering.Outcome:
    """Answer the attempt's current question at `at`, rightly or not."""
    with school_scope(attempt.school_id):
        item = Attempt.objects.select_related("current").get(pk=attempt.pk).current
        assert item is not None
        text = response if response is not None else (item.expected if right else "-1")
        return answering.item_answer(attempt=attempt, position=item.position, response=text, now=at)


def start(pupil: Pupil, question_set: QuestionSet, at: datetime) -> Attempt:
    with school_scope(pupil.school_id):
        return answering.attempt_start(pupil=pupil, question_set=question_set, now=at)


def run(
    pupil: Pupil,
    question_set: QuestionSet,
    times_ms: list[int],
    start_at: datetime,
    *,
    wrong_every: int = 0,
) -> tuple[list[answering.Outcome], answering.Refused | None]:
    """Answer with these response times (a new attempt as each finishes; every
    `wrong_every`-th answer wrong) until done or refused."""
    outcomes: list[answering.Outcome] = []
    at = start_at
    attempt = start(pupil, question_set, at)
    for n, ms in enumerate(times_ms, 1):
        at += timedelta(milliseconds=ms)
        try:
            if attempt.state == Attempt.State.FINISHED:
                attempt = start(pupil, question_set, at)
                at += timedelta(milliseconds=ms)
            outcome = answer(attempt, at=at, right=not (wrong_every and n % wrong_every == 0))
        except answering.Refused as refused:
            return outcomes, refused
        outcomes.append(outcome)
        attempt = outcome.attempt
    return outcomes, None


def items(attempt: Attempt) -> list[Item]:
    with school_scope(attempt.school_id):
        return list(Item.objects.filter(attempt=attempt).order_by("position"))


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 40


WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40


def teacher_set(world: Any, title: str = "Fractions", questions: bool = True) -> QuestionSet:
    """A set by the teacher of 7A: a numeric question (1/2 as a decimal, 0.05 either
    side) and a multiple-choice one (two of four right)."""
    with school_scope(world.a):
        made = authoring.question_set_create(
            actor=world.teacher, school=world.a, title=title, question_count=5
        )
        if questions:
            authoring.question_create(
                actor=world.teacher,
                question_set=made,
                kind="numeric",
                prompt="What is 1/2 as a decimal?",
                answer="0.5",
                tolerance="0.05",
            )
            authoring.question_create(
                actor=world.teacher,
                question_set=made,
                kind="choice",
                prompt="Which are equal to 1/2?",
                choices=["2/4", "3/4", "4/8", "1/3"],
                correct=[0, 2],
            )
        made.refresh_from_db()
    return made


def answers(
    pupil: Pupil,
    question_set: QuestionSet,
    facts: list[tuple[str, bool, int]],
    *,
    questions: list[Question | None] | None = None,
    days_ago: int = 0,
) -> Attempt:
    """A finished attempt of `pupil` with one answered item per (fact, correct, ms)."""
    with school_scope(pupil.school_id):
        at = timezone.now() - timedelta(days=days_ago)
        attempt = Attempt.objects.create(
            school_id=pupil.school_id,
            pupil=pupil,
            question_set=question_set,
            mode=question_set.mode,
            total=len(facts),
            answered=len(facts),
            correct_count=sum(1 for _, ok, _ in facts if ok),
            points=10 * sum(1 for _, ok, _ in facts if ok),
            state=Attempt.State.FINISHED,
            started_at=at,
            last_active_at=at,
            finished_at=at,
        )
        Item.objects.bulk_create(
            Item(
                school_id=pupil.school_id,
                attempt=attempt,
                pupil=pupil,
                position=i + 1,
                question=(questions[i] if questions else None),
                fact=fact,
                style=fact.split("x")[0] if "x" in fact else "q",
                prompt=fact.replace("x", " × "),
                expected="0",
                asked_at=at,
                answered_at=at,
                response="1",
                correct=ok,
                response_ms=ms,
            )
            for i, (fact, ok, ms) in enumerate(facts)
        )
    return attempt


def times_tables(world: Any) -> QuestionSet:
    with school_scope(world.a):
        found, _ = QuestionSet.objects.get_or_create(
            school=world.a,
            title="Times tables to 12",
            defaults={
                "kind": QuestionSet.Kind.TIMES_TABLES,
                "generator": {"tables": list(range(1, 13))},
            },
        )
    return found
