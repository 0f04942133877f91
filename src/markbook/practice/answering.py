"""Answering practice questions (ASM-2, ASM-7, ASM-8): the server chooses, times and
checks every question.

- `attempt_start` starts a pupil's attempt at a set, or resumes the one they have in
  progress (on any device, ASM-8). `attempt_current` gives its current question,
  creating it when needed: an `Item` stamped `asked_at` and, in a timed trial, its
  `deadline`. The expected answer stays on the server: nothing here ever puts it in
  a response before the pupil has answered (`question_out` has no such field).
- `item_answer` takes the answer to the current question, checks it and stores it,
  with the points (practice/points.py), and the next question, in one transaction:
  the response saying "correct" is sent only after the commit. The response time is
  the server's: from `asked_at` to the answer's arrival. A trial's answer arriving
  after the deadline plus `settings.MARKBOOK_PRACTICE_NETWORK_TOLERANCE_MS` is
  stored as timed out and the attempt moves on. A question answered twice, one not
  asked yet, or an attempt finished are refused (`Refused`, with a message).
- A trial keeps its clock across devices: the deadline is stored, so time away
  counts; a question whose time ran out while the pupil was away is timed out when
  the attempt is next opened, and the next one is asked then.
- Adaptive choice: in a practice (not a trial, whose questions are fixed by its seed
  so every pupil's check is alike) a question is, `WEAK_SHARE` of the time, one of
  the facts the pupil got wrong or answered slowly (`Standing.weak`, weighted), and
  otherwise a random one of the set.

The hot path, one answer, is a fixed handful of queries whatever the pupil's
history: one SELECT ... FOR UPDATE of the attempt with its pupil's `Standing`, the
current item and its set; the UPDATE of the item; the INSERT of the next item (a
teacher's set first reads that question); the UPDATE of the attempt; the UPDATE of
the standing. The points and fair-use state are on the standing row, never counted
from past answers.

Restriction of processing (DSR-5): a restricted pupil may still practise. Practising
is the pupil's own use of the school's teaching, and their answers are kept as their
education record; what the restriction stops is the further processing of them
(leaderboards, practice/boards.py; analysis), which the consumers decide through
privacy.restriction. Practice itself needs no parental consent (CON-2): it is part of
the school's public task; only features that say so (the global leaderboards) do.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from markbook.assessment.models import Assignment
from markbook.practice import banks, boards, fairuse, homework, hot, live
from markbook.practice.checking import RESPONSE_MAX, Refused, check
from markbook.practice.models import Attempt, Item, Question, QuestionSet, Standing
from markbook.practice.points import Tally, award
from markbook.rosters.models import Pupil

WEAK_SHARE = 0.4
logger = logging.getLogger(__name__)
WEAK_FACTS = 30
# Slower than this on a generated fact counts as finding it hard.
SLOW_MS = 6000


@dataclass
class Outcome:
    """What an answer did: the answered item, the attempt after it (its `current` the
    next question, None when finished), a fair-use warning or suspension message."""

    attempt: Attempt
    item: Item
    late: bool = False
    warning: str = ""


# --- Choosing questions ---------------------------------------------------------


def _generated_next(attempt: Attempt, standing: Standing, previous: str) -> banks.Generated:
    qs = attempt.question_set
    if attempt.mode == QuestionSet.Mode.TRIAL:
        facts = banks.sequence(qs.kind, qs.generator, attempt.seed, attempt.total)
        return banks.question(facts[attempt.answered])
    rng = random.Random(attempt.seed * 1_000 + attempt.answered)
    weak = {
        fact: weight
        for fact, weight in (standing.weak or {}).items()
        if fact != previous and banks.contains(qs.kind, qs.generator, fact)
    }
    if weak and rng.random() < WEAK_SHARE:
        fact = rng.choices(list(weak), weights=list(weak.values()))[0]
        return banks.question(fact)
    return banks.draw(qs.kind, qs.generator, rng, avoid=(previous,))


def _new_item(attempt: Attempt, standing: Standing, now: datetime, previous: str = "") -> Item:
    """The next question, asked now (one INSERT; a teacher's set reads it first)."""
    position = attempt.answered + 1
    deadline = (
        now + timedelta(seconds=attempt.seconds_per_question)
        if attempt.mode == QuestionSet.Mode.TRIAL and attempt.seconds_per_question
        else None
    )
    item = Item(
        school_id=attempt.school_id,
        attempt=attempt,
        pupil_id=attempt.pupil_id,
        position=position,
        asked_at=now,
        deadline=deadline,
    )
    if attempt.question_set.kind == QuestionSet.Kind.CUSTOM:
        question = (
            Question.objects.filter(question_set_id=attempt.question_set_id)
            .select_related("media")
            .order_by("position", "pk")[attempt.answered : attempt.answered + 1]
            .first()
        )
        if question is None:
            raise Refused("This set has no more questions.")
        item.question = question
        item.fact = f"q:{question.pk}"
        item.style = f"set:{attempt.question_set_id}"
        item.prompt = question.prompt[:200]
        if question.kind == Question.Kind.CHOICE:
            item.expected = ",".join(str(i) for i in sorted(question.correct))
        else:
            item.expected = str(question.answer if question.answer is not None else "")
    else:
        asked = _generated_next(attempt, standing, previous)
        item.fact, item.style, item.prompt, item.expected = (
            asked.fact,
            asked.style,
            asked.prompt,
            asked.expected,
        )
    hot.insert(item)
    return item


# --- Starting and resuming ------------------------------------------------------


def _standing_locked(pupil: Pupil) -> Standing:
    standing = Standing.objects.select_for_update().filter(pupil=pupil).first()
    if standing is None:
        Standing.objects.get_or_create(school_id=pupil.school_id, pupil=pupil)
        standing = Standing.objects.select_for_update().get(pupil=pupil)
    return standing


def _total(question_set: QuestionSet) -> int:
    if question_set.kind == QuestionSet.Kind.CUSTOM:
        return Question.objects.filter(question_set=question_set).count()
    return max(1, question_set.question_count)


def attempt_start(
    *,
    pupil: Pupil,
    question_set: QuestionSet,
    assignment: Assignment | None = None,
    now: datetime | None = None,
) -> Attempt:
    """The pupil's attempt at the set: the one in progress, resumed (ASM-8), or a new one
    with its first question asked. Refused while their practice is suspended (ASM-7)."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _start(pupil, question_set, assignment, now)
    _tell_live(attempt)
    return attempt


def _start(
    pupil: Pupil, question_set: QuestionSet, assignment: Assignment | None, now: datetime
) -> Attempt:
    standing = _standing_locked(pupil)
    if standing.suspended:
        raise Refused(fairuse.SUSPENDED_MESSAGE, status=403)
    if question_set.archived or not question_set.published:
        raise Refused("This set is not open for practice.", status=404)
    attempt = (
        Attempt.objects.select_related("current", "current__question", "question_set")
        .filter(pupil=pupil, question_set=question_set, state=Attempt.State.IN_PROGRESS)
        .order_by("-started_at", "-pk")
        .first()
    )
    if attempt is not None:
        if attempt.standing_id is None or (assignment and attempt.assignment_id is None):
            # An attempt made elsewhere (the demo's seed) learns its standing here.
            attempt.standing = standing
            attempt.assignment = attempt.assignment or assignment
            attempt.save(update_fields=["standing", "assignment"])
        if attempt.current is None:
            attempt.current = _new_item(attempt, standing, now)
            attempt.save(update_fields=["current"])
        return _advance_if_expired(attempt, standing, now)
    total = _total(question_set)
    if total < 1:
        raise Refused("This set has no questions yet.", status=422)
    trial = question_set.mode == QuestionSet.Mode.TRIAL
    attempt = Attempt.objects.create(
        school_id=pupil.school_id,
        pupil=pupil,
        question_set=question_set,
        assignment=assignment,
        mode=question_set.mode,
        total=total,
        seconds_per_question=(question_set.seconds_per_question or 6) if trial else None,
        seed=random.getrandbits(48),
        started_at=now,
        last_active_at=now,
        standing=standing,
    )
    attempt.current = _new_item(attempt, standing, now)
    attempt.save(update_fields=["current"])
    return attempt


def _expired(item: Item | None, now: datetime) -> bool:
    tolerance = timedelta(milliseconds=settings.MARKBOOK_PRACTICE_NETWORK_TOLERANCE_MS)
    return item is not None and item.deadline is not None and now > item.deadline + tolerance


def _advance_if_expired(attempt: Attempt, standing: Standing, now: datetime) -> Attempt:
    """Time out the current question of a trial whose time ran out (the pupil was
    away), and ask the next one; the attempt locked by the caller."""
    if attempt.state != Attempt.State.IN_PROGRESS or not _expired(attempt.current, now):
        return attempt
    item = attempt.current
    assert item is not None
    _record(attempt, standing, item, response="", correct=False, timed_out=True, now=now)
    _move_on(attempt, standing, item, now)
    hot.update(standing, _STANDING_FIELDS)
    return attempt


def attempt_current(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """The attempt with its current question (`attempt.current`), asked if it was not,
    and the one whose time ran out timed out first; None when finished."""
    now = now or timezone.now()
    if attempt.state == Attempt.State.IN_PROGRESS and (
        attempt.current is None or _expired(attempt.current, now)
    ):
        with transaction.atomic():
            locked = _locked(attempt.pk, None)
            if locked.current is None and locked.state == Attempt.State.IN_PROGRESS:
                assert locked.standing is not None
                locked.current = _new_item(locked, locked.standing, now)
                locked.save(update_fields=["current"])
            else:
                assert locked.standing is not None
                _advance_if_expired(locked, locked.standing, now)
        return locked
    return attempt


# --- Answering ------------------------------------------------------------------


def _tell_live(attempt: Attempt) -> None:
    """Tell the live class view, after the commit. It is best effort: the answer is
    stored already, so a failure there (the cache down) is logged, not the pupil's."""
    try:
        live.seen(attempt=attempt, item=attempt.current)
    except Exception:
        logger.exception("The live class view was not told of attempt %s", attempt.pk)


_STANDING_FIELDS = [
    "day",
    "day_points",
    "week",
    "week_points",
    "styles",
    "run_type",
    "run_ms",
    "warnings",
    "suspended",
    "weak",
    "updated_at",
]


def _locked(attempt_id: int, user_id: int | None) -> Attempt:
    """The attempt, locked with its pupil's standing, with its current item and set, in
    one query (practice/hot.py); 404 if it is not this user's (None: the caller
    checked). An attempt made without a standing (the demo's seed) is given one."""
    attempt = hot.lock(attempt_id, user_id)
    if attempt is None:
        orphan = Attempt.objects.filter(pk=attempt_id, standing__isnull=True)
        if user_id is not None:
            orphan = orphan.filter(pupil__user_id=user_id)
        found = orphan.select_related("pupil").first()
        if found is None:
            raise Http404
        found.standing = _standing_locked(found.pupil)
        found.save(update_fields=["standing"])
        attempt = hot.lock(attempt_id, user_id)
        assert attempt is not None
    return attempt


def _weaken(weak: dict[str, int], fact: str, *, hard: bool) -> dict[str, int]:
    """The hard facts after one answer: a wrong or slow answer raises the fact's weight,
    a quick right one lowers it; only the `WEAK_FACTS` heaviest are kept."""
    weight = weak.get(fact, 0) + (3 if hard else -1)
    weak = {k: v for k, v in weak.items() if k != fact}
    if weight > 0:
        weak[fact] = min(weight, 12)
    if len(weak) > WEAK_FACTS:
        weak = dict(sorted(weak.items(), key=lambda kv: -kv[1])[:WEAK_FACTS])
    return weak


def _record(
    attempt: Attempt,
    standing: Standing,
    item: Item,
    *,
    response: str,
    correct: bool,
    timed_out: bool,
    now: datetime,
) -> str:
    """Store the answer on the item, count its points; the fair-use reason if any."""
    ms = max(0, int((now - item.asked_at).total_seconds() * 1000))
    tally = Tally(
        day=standing.day,
        day_points=standing.day_points,
        week=standing.week,
        week_points=standing.week_points,
        styles=dict(standing.styles or {}),
    )
    points, tally = award(tally, style=item.style, correct=correct, today=timezone.localdate(now))
    standing.day, standing.day_points = tally.day, tally.day_points
    standing.week, standing.week_points = tally.week, tally.week_points
    standing.styles = tally.styles
    if item.question_id is None:
        standing.weak = _weaken(
            dict(standing.weak or {}), item.fact, hard=not correct or ms > SLOW_MS
        )
    reason = None
    if settings.MARKBOOK_PRACTICE_FAIR_USE:
        standing.run_type, standing.run_ms, reason = fairuse.observe(
            standing.run_type,
            list(standing.run_ms or []),
            answer_type=f"set:{attempt.question_set_id}",
            ms=ms,
        )
    item.answered_at = now
    item.response = response[:RESPONSE_MAX]
    item.correct = correct
    item.timed_out = timed_out
    item.response_ms = ms
    item.points = points
    hot.update(item, ["answered_at", "response", "correct", "timed_out", "response_ms", "points"])
    attempt.answered += 1
    attempt.correct_count += int(correct)
    attempt.points += points
    attempt.last_active_at = now
    item.attempt = attempt  # the boards read its mode; held here, not fetched again
    boards.answered(item=item)
    return reason or ""


def _move_on(attempt: Attempt, standing: Standing, item: Item, now: datetime) -> None:
    """Ask the next question, or finish the attempt (and tell its homework)."""
    if attempt.answered >= attempt.total:
        attempt.state = Attempt.State.FINISHED
        attempt.finished_at = now
        attempt.current = None
    else:
        attempt.current = _new_item(attempt, standing, now, previous=item.fact)
    hot.update(
        attempt,
        [
            "answered",
            "correct_count",
            "points",
            "last_active_at",
            "state",
            "finished_at",
            "current",
        ],
    )
    if attempt.state == Attempt.State.FINISHED and attempt.assignment_id is not None:
        homework.attempt_finished(attempt=attempt)


def item_answer(
    *,
    attempt: Attempt | int,
    position: int,
    response: str,
    user: Any = None,
    now: datetime | None = None,
) -> Outcome:
    """Answer the attempt's current question (ASM-2); durable before it returns.

    `attempt` is an Attempt the caller may answer, or its id with the `user` whose
    pupil's it must be (404 otherwise: the API's one locking query checks it)."""
    now = now or timezone.now()
    attempt_id = attempt if isinstance(attempt, int) else attempt.pk
    with transaction.atomic():
        locked = _locked(
            attempt_id, getattr(user, "pk", None) if isinstance(attempt, int) else None
        )
        standing = locked.standing
        assert standing is not None
        item = locked.current
        if locked.state == Attempt.State.FINISHED or item is None:
            raise Refused("This attempt is finished: start the set again to practise more.")
        if standing.suspended:
            raise Refused(fairuse.SUSPENDED_MESSAGE, status=403)
        if position != item.position:
            if position < item.position:
                raise Refused(
                    f"Question {position} is already answered; the current question is "
                    f"question {item.position}."
                )
            raise Refused(
                f"Question {position} has not been asked yet; the current question is "
                f"question {item.position}."
            )
        late = _expired(item, now)
        correct = False if late else check(item, response)
        reason = _record(
            locked, standing, item, response=response, correct=correct, timed_out=late, now=now
        )
        warning = ""
        if reason:
            event = fairuse.decide(standing=standing, attempt=locked, reason=reason)
            warning = (
                fairuse.SUSPENDED_MESSAGE
                if event.kind == event.Kind.SUSPENSION
                else fairuse.WARNING_MESSAGE
            )
        _move_on(locked, standing, item, now)
        hot.update(standing, _STANDING_FIELDS)
    _tell_live(locked)
    return Outcome(attempt=locked, item=item, late=late, warning=warning)
