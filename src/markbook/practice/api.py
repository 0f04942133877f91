"""API: a pupil's practice (ASM-2, ASM-8) and fair use (ASM-7), through the same
services as the pages (practice/answering.py, practice/fairuse.py).

One request per answer: `POST .../attempts/{id}/answers` with the position of the
current question and the response answers the verdict and the next question. The
expected answer of a question is never sent before it is answered. Other people's
attempts, another school's sets and pupils: 404. Too many answers: 429 with
Retry-After (SEC-4).
"""

from datetime import datetime

from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.admission import AccessRequest, require_role
from markbook.core.api import ErrorOut, InputSchema, responses
from markbook.practice import (
    access,
    answering,
    banks,
    checking,
    fairuse,
    present,
    selectors,
    throttle,
)
from markbook.practice.checking import Refused

router = Router(tags=["practice"])

SCHOOL = "/schools/{school_id}/practice"
MAX_ID = 2**63 - 1


class QuestionOut(Schema):
    """The current question. No expected answer: the server checks."""

    position: int
    prompt: str
    kind: str = Field(description="numeric, or choice (answer with option indexes from 0)")
    choices: list[str]
    units: str
    media_id: int | None
    asked_at: datetime
    deadline: datetime | None = Field(description="A timed question's deadline (server time).")
    ms_left: int | None = Field(description="Milliseconds left when this was sent.")


class AttemptOut(Schema):
    id: int
    set_id: int
    title: str
    mode: str
    state: str
    total: int
    answered: int
    correct_count: int
    points: int
    seconds_per_question: int | None
    assignment_id: int | None
    started_at: datetime
    finished_at: datetime | None
    question: QuestionOut | None = Field(description="The current question; null when finished.")


class VerdictOut(Schema):
    position: int
    correct: bool
    timed_out: bool
    response: str
    expected: str = Field(description="The right answer, now that it is answered.")
    response_ms: int
    points: int


class AnswerOut(Schema):
    verdict: VerdictOut
    warning: str = Field(description="A fair-use warning or suspension, else empty.")
    attempt: AttemptOut


class LateOut(Schema):
    """A trial's answer that came after its time: stored as timed out; the attempt
    has moved on to its next question."""

    detail: str
    verdict: VerdictOut
    attempt: AttemptOut


class SetOut(Schema):
    id: int
    title: str
    kind: str
    mode: str
    question_count: int
    seconds_per_question: int | None
    description: str
    assignment_id: int | None
    due_date: str | None
    attempt_id: int | None = Field(description="The pupil's attempt in progress, to resume.")


class StartIn(InputSchema):
    assignment_id: int | None = Field(None, ge=1, le=MAX_ID)


class AnswerIn(InputSchema):
    position: int = Field(ge=1, le=10_000)
    response: str = Field(max_length=checking.RESPONSE_MAX)


class ReinstateIn(InputSchema):
    reason: str = Field(min_length=1, max_length=2000)


class FairUseEventOut(Schema):
    id: int
    pupil_id: int
    pupil: str
    kind: str
    reason: str
    attempt_id: int | None
    by: str | None
    created_at: datetime


def _refused(exc: Refused) -> Status:
    errors = {exc.field: [exc.message]} if exc.field else None
    return Status(exc.status, {"detail": exc.message, "errors": errors})


def _event_out(event: object) -> dict:
    from markbook.practice.models import FairUseEvent

    assert isinstance(event, FairUseEvent)
    return {
        "id": event.pk,
        "pupil_id": event.pupil_id,
        "pupil": event.pupil.display_name,
        "kind": event.kind,
        "reason": event.reason,
        "attempt_id": event.attempt_id,
        "by": event.by.get_full_name() or event.by.email if event.by is not None else None,
        "created_at": event.created_at,
    }


# The pupil's own list; `GET .../practice/sets` is the staff's list of the school's sets.
@router.get(f"{SCHOOL}/my-sets", response=responses(list[SetOut]), summary="Sets to practise")
def sets_list(request: AccessRequest, school_id: int) -> list[dict]:
    """The sets the signed-in pupil can practise: homework first, each with the attempt
    they have in progress."""
    pupil = access.my_pupil(request)
    banks.builtin_sets_ensure(school=pupil.school)
    return [
        {
            "id": row.question_set.pk,
            "title": row.question_set.title,
            "kind": row.question_set.kind,
            "mode": row.question_set.mode,
            "question_count": row.question_set.question_count,
            "seconds_per_question": row.question_set.seconds_per_question,
            "description": row.question_set.description,
            "assignment_id": row.assignment.pk if row.assignment else None,
            "due_date": row.due_date.isoformat() if row.due_date else None,
            "attempt_id": row.attempt.pk if row.attempt else None,
        }
        for row in selectors.pupil_sets(pupil)
    ]


@router.post(
    f"{SCHOOL}/sets/{{set_id}}/attempts",
    response={**responses(AttemptOut, status=201), 200: AttemptOut, 409: ErrorOut},
    summary="Start or resume a practice",
)
def attempt_start(request: AccessRequest, school_id: int, set_id: int, payload: StartIn) -> Status:
    """Start the set (201), or resume the attempt at it in progress (200, on any device).
    Refused (403) while the pupil's practice is suspended for fair use."""
    pupil = access.my_pupil(request)
    question_set = access.access_set_for_pupil(request, set_id)
    assignment = (
        access.access_assignment_for_pupil(pupil, payload.assignment_id)
        if payload.assignment_id
        else None
    )
    started = timezone.now()
    try:
        attempt = answering.attempt_start(
            pupil=pupil, question_set=question_set, assignment=assignment, now=started
        )
    except Refused as exc:
        return _refused(exc)
    status = 201 if attempt.started_at == started else 200
    return Status(status, present.attempt_out(attempt, timezone.now()))


@router.get(
    f"{SCHOOL}/attempts/{{attempt_id}}",
    response=responses(AttemptOut),
    summary="A practice attempt and its current question",
)
def attempt_get(request: AccessRequest, school_id: int, attempt_id: int) -> dict:
    """The attempt's state and its current question (a trial's question whose time ran
    out is timed out first, and the next asked)."""
    attempt = access.access_attempt(request, attempt_id)
    attempt = answering.attempt_current(attempt=attempt)
    return present.attempt_out(attempt, timezone.now())


@router.post(
    f"{SCHOOL}/attempts/{{attempt_id}}/answers",
    response={**responses(AnswerOut), 409: LateOut | ErrorOut, 429: ErrorOut},
    summary="Answer the current question",
)
def answer_post(
    request: AccessRequest, school_id: int, attempt_id: int, payload: AnswerIn
) -> Status:
    """Answer the current question (`position`): the verdict, the points and the next
    question. 409 for a question already answered or not yet asked, and for a trial's
    answer after its time (stored as timed out: the body has the next question); 422
    for a response that is not an answer (nothing is stored); 403 while practice is
    suspended; 429 past the rate limit."""
    require_role(request, "pupil")
    wait = throttle.answer_throttled(request)
    if wait is not None:
        return Status(429, {"detail": throttle.message(wait), "errors": None})
    try:
        outcome = answering.item_answer(
            attempt=attempt_id,
            user=request.user,
            position=payload.position,
            response=payload.response,
        )
    except Refused as exc:
        return _refused(exc)
    now = timezone.now()
    body = {
        "verdict": present.verdict_out(outcome.item),
        "attempt": present.attempt_out(outcome.attempt, now),
    }
    if outcome.late:
        return Status(
            409,
            {"detail": "The time for this question was up; it counts as not answered.", **body},
        )
    return Status(200, {**body, "warning": outcome.warning})


@router.get(
    f"{SCHOOL}/fair-use",
    response=responses(list[FairUseEventOut]),
    summary="Fair-use decisions",
)
def fair_use_list(request: AccessRequest, school_id: int) -> list[dict]:
    """Warnings, suspensions and reinstatements of practice: a teacher's pupils, every
    pupil for administrators, a pupil their own."""
    if request.access.has("pupil") and not request.access.has(
        "teacher", "school_admin", "trust_admin"
    ):
        pupil = access.my_pupil(request)
        events = selectors.fair_use_events(request.user, request.access, pupil=pupil)
    else:
        events = selectors.fair_use_events(request.user, access.staff_access(request))
    return [_event_out(e) for e in events]


@router.post(
    f"{SCHOOL}/pupils/{{pupil_id}}/reinstate",
    response=responses(FairUseEventOut),
    summary="Reinstate a pupil's practice",
)
def reinstate(request: AccessRequest, school_id: int, pupil_id: int, payload: ReinstateIn) -> dict:
    """Restart the practice of a pupil suspended for fair use, with the reason: a teacher
    of one of the pupil's classes, or an administrator. 422 if it is not suspended."""
    pupil = access.access_pupil_for_fair_use(request, pupil_id)
    event = fairuse.pupil_reinstate(actor=request.user, pupil=pupil, reason=payload.reason)
    return _event_out(event)
