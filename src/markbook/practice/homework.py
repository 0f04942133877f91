"""Practice set as homework (ASM-1, ASM-2): an assignment that is a practice set shows
each pupil's completion in the markbook, and its score can count as the mark.

The answering service calls `attempt_finished(attempt=...)` inside the transaction
that finishes an attempt made for an assignment.

Completion (`completion`, read by the markbook grid) comes from the attempts
themselves: done on time (an attempt finished on or before the due date, in the
school's time zone), done late (finished after it), started (an attempt in progress),
not started. Nothing is stored for it.

The mark, when the assignment's score counts as the mark: correct answers out of the
set's questions (the assignment's maximum mark; an attempt of another length is scaled
to it), recorded through `assessment.services.mark_record` (audited, the old and new
value) as a mark `from_practice`. The pupil's best attempt counts: a later attempt
replaces a practice mark only when it scores more. A teacher's mark (any mark entered
or changed by a teacher, Absent and Not required included) is never replaced; the
teacher clears it to let the practice score count again. An archived class's marks
are read-only, so nothing is recorded there.
"""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from markbook.assessment.models import Assignment, Mark
from markbook.practice.models import Attempt

ON_TIME = "on_time"
LATE = "late"
STARTED = "started"
NOT_STARTED = "not_started"
LABELS = {ON_TIME: "Done", LATE: "Done late", STARTED: "Started", NOT_STARTED: "Not started"}
_RANK = {NOT_STARTED: 0, STARTED: 1, LATE: 2, ON_TIME: 3}


def practice_score(attempt: Attempt, assignment: Assignment) -> Decimal:
    """The attempt's correct answers as a mark out of the assignment's maximum."""
    correct = Decimal(attempt.correct_count)
    total = attempt.total or 0
    if not total or Decimal(total) == assignment.max_mark:
        score = correct
    else:
        score = correct * assignment.max_mark / Decimal(total)
    score = min(score, assignment.max_mark)
    return score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def attempt_finished(*, attempt: Attempt) -> None:
    """Record the finished attempt against its assignment (completion, and the mark)."""
    from markbook.assessment.services import mark_record

    if attempt.assignment_id is None:
        return
    assignment = (
        Assignment.objects.select_related("teaching_class__academic_year")
        .filter(pk=attempt.assignment_id)
        .first()
    )
    if assignment is None or not assignment.score_is_mark or attempt.finished_at is None:
        return  # completion is read from the attempts themselves
    score = practice_score(attempt, assignment)
    mark = Mark.objects.filter(assignment=assignment, pupil_id=attempt.pupil_id).first()
    if mark is not None and mark.status != Mark.Status.CLEARED:
        if not mark.from_practice:
            return  # a teacher's mark stands
        if mark.score is not None and mark.score >= score:
            return  # the best attempt counts
    try:
        mark_record(
            actor=None,
            assignment=assignment,
            pupil=attempt.pupil,
            score=score,
            from_practice=True,
        )
    except ValidationError:
        return  # an archived class: its marks are read-only


def completion(assignments: Iterable[Assignment]) -> dict[int, dict[int, str]]:
    """Per practice assignment, per pupil who began it: on_time, late or started (absent:
    not started). One query for all of them."""
    due = {a.pk: a.due_date for a in assignments if a.question_set_id is not None}
    found: dict[int, dict[int, str]] = {pk: {} for pk in due}
    if not due:
        return found
    attempts = Attempt.objects.filter(assignment_id__in=list(due)).values_list(
        "assignment_id", "pupil_id", "state", "finished_at"
    )
    for assignment_id, pupil_id, state, finished_at in attempts:
        if state == Attempt.State.FINISHED and finished_at is not None:
            day = due[assignment_id]
            done_on = timezone.localtime(finished_at).date()
            status = ON_TIME if day is None or done_on <= day else LATE
        else:
            status = STARTED
        row = found[assignment_id]
        if _RANK[status] > _RANK.get(row.get(pupil_id, NOT_STARTED), 0):
            row[pupil_id] = status
    return found
