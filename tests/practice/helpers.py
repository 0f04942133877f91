"""Driving an attempt in tests: the expected answer read from the server's own row."""

from datetime import datetime, timedelta

from markbook.core.tenancy import school_scope
from markbook.practice import answering
from markbook.practice.models import Attempt, Item, QuestionSet
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
