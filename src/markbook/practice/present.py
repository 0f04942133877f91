"""What a pupil is shown of an attempt (ASM-2): the current question, never its
expected answer; the verdict of a question once answered, with the right answer."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from markbook.practice.models import Attempt, Item, Question


def question_out(item: Item, now: datetime) -> dict[str, Any]:
    """The question as the pupil sees it: never its expected answer."""
    question = item.question
    ms_left = None
    if item.deadline is not None:
        ms_left = max(0, int((item.deadline - now).total_seconds() * 1000))
    return {
        "position": item.position,
        "prompt": question.prompt if question is not None else item.prompt,
        "kind": question.kind if question is not None else Question.Kind.NUMERIC,
        "choices": list(question.choices) if question is not None else [],
        "units": question.units if question is not None else "",
        "media_id": question.media_id if question is not None else None,
        **_media(question),
        "asked_at": item.asked_at,
        "deadline": item.deadline,
        "ms_left": ms_left,
    }


def _media(question: Question | None) -> dict[str, str]:
    """A teacher's image or audio prompt: where the pupil's page fetches it, and which
    it is (one query, only for a question that has one)."""
    if question is None or question.media_id is None or question.media is None:
        return {"media_url": "", "media_kind": ""}
    from markbook.practice.media import url_for

    return {"media_url": url_for(question.media), "media_kind": question.media.kind}


def expected_shown(item: Item) -> str:
    """The right answer in words, shown once the pupil has answered."""
    question = item.question
    if question is not None and question.kind == Question.Kind.CHOICE:
        return "; ".join(
            str(question.choices[int(i)])
            for i in item.expected.split(",")
            if i and int(i) < len(question.choices)
        )
    units = f" {question.units}" if question is not None and question.units else ""
    return f"{_plain(item.expected)}{units}"


def _plain(number: str) -> str:
    try:
        value = Decimal(number)
    except InvalidOperation:
        return number
    text = format(value.normalize(), "f")
    return text


def verdict_out(item: Item) -> dict[str, Any]:
    return {
        "position": item.position,
        "correct": bool(item.correct),
        "timed_out": item.timed_out,
        "response": item.response,
        "expected": expected_shown(item),
        "response_ms": item.response_ms or 0,
        "points": item.points,
    }


def attempt_out(attempt: Attempt, now: datetime) -> dict[str, Any]:
    qs = attempt.question_set
    current = attempt.current if attempt.state == Attempt.State.IN_PROGRESS else None
    return {
        "id": attempt.pk,
        "set_id": attempt.question_set_id,
        "title": qs.title,
        "mode": attempt.mode,
        "state": attempt.state,
        "total": attempt.total,
        "answered": attempt.answered,
        "correct_count": attempt.correct_count,
        "points": attempt.points,
        "seconds_per_question": attempt.seconds_per_question,
        "assignment_id": attempt.assignment_id,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "question": question_out(current, now) if current is not None else None,
    }
