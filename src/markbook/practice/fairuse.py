"""Fair use of practice (ASM-7): answers that look automated are warned, then stopped.

`looks_automated` is the one test, on the server-measured response times of a pupil's
latest `WINDOW` consecutive answers of one type (one question set):

- machine-regular timing: the spread of the times (their standard deviation over
  their mean) is under `MIN_SPREAD`. People vary by a third or more from answer to
  answer; a script waiting a fixed time, even with a little jitter, does not.
- sustained superhuman speed: the median time is under `FAST_MEDIAN_MS`, faster than
  anyone reads a question and types an answer, answer after answer.

The answering service keeps the window on the pupil's `Standing` row (no history is
read). Each time the test says yes the window starts again: the first
`WARNINGS_BEFORE_SUSPENSION` times the pupil is warned (the answer's response carries
the warning), the next time their practice is suspended and every answer is refused
saying why. Only a teacher of one of the pupil's classes, or an administrator of the
school, can reinstate it, with a reason (`pupil_reinstate`). Each warning, suspension
and reinstatement is a `FairUseEvent` and an access-log event.
"""

import statistics
from collections.abc import Sequence

from django.db import transaction

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.practice.models import Attempt, FairUseEvent, Standing
from markbook.rosters.models import Pupil

WINDOW = 20
MIN_SPREAD = 0.05
FAST_MEDIAN_MS = 400
WARNINGS_BEFORE_SUSPENSION = 2

WARNING_MESSAGE = (
    "Your answers are coming very fast and very evenly, the way a computer program "
    "answers. Please answer the questions yourself: if this carries on, your practice "
    "will be paused until a teacher restarts it."
)
SUSPENDED_MESSAGE = (
    "Your practice is paused because your answers looked as if a computer program was "
    "giving them, even after warnings. Ask your teacher: they can restart it."
)


def looks_automated(times_ms: Sequence[int]) -> str | None:
    """Why `WINDOW` consecutive response times look automated, or None (ASM-7)."""
    if len(times_ms) < WINDOW:
        return None
    window = list(times_ms)[-WINDOW:]
    median = statistics.median(window)
    if median < FAST_MEDIAN_MS:
        return (
            f"{WINDOW} answers in a row with a median time of {median:.0f} ms, faster "
            "than a person reads and types"
        )
    mean = statistics.fmean(window)
    spread = statistics.pstdev(window) / mean if mean else 0.0
    if spread < MIN_SPREAD:
        return (
            f"{WINDOW} answers in a row {mean:.0f} ms apart on average, varying by only "
            f"{spread:.1%}, as regular as a machine"
        )
    return None


def observe(
    run_type: str, run_ms: list[int], *, answer_type: str, ms: int
) -> tuple[str, list[int], str | None]:
    """The window after one more answer, and the reason if it now looks automated
    (the window then starts again)."""
    window = [*run_ms[-(WINDOW - 1) :], ms] if run_type == answer_type else [ms]
    reason = looks_automated(window)
    return answer_type, ([] if reason else window), reason


def decide(*, standing: Standing, attempt: Attempt, reason: str) -> FairUseEvent:
    """Warn or suspend the pupil for a pattern seen (inside the answer's transaction)."""
    standing.warnings += 1
    suspend = standing.warnings > WARNINGS_BEFORE_SUSPENSION
    standing.suspended = suspend
    kind = FairUseEvent.Kind.SUSPENSION if suspend else FairUseEvent.Kind.WARNING
    event = FairUseEvent.objects.create(
        school_id=standing.school_id,
        pupil_id=standing.pupil_id,
        kind=kind,
        reason=reason,
        attempt=attempt,
    )
    audit.record(
        actor=None,
        school=standing.school_id,
        action="practice.fair_use.suspended" if suspend else "practice.fair_use.warned",
        target=Pupil(pk=standing.pupil_id),
        data={"reason": reason, "warnings": standing.warnings, "attempt": attempt.pk},
    )
    return event


@transaction.atomic
def pupil_reinstate(*, actor: User, pupil: Pupil, reason: str) -> FairUseEvent:
    """Restart a suspended pupil's practice, with the teacher's reason (ASM-7).

    The caller has checked the actor may (practice.access.access_pupil_for_fair_use).
    Warnings start again from none."""
    from django.core.exceptions import ValidationError

    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the pupil may practise again."]})
    standing = Standing.objects.select_for_update().filter(pupil=pupil).first()
    if standing is None or not standing.suspended:
        raise ValidationError({"pupil": ["This pupil's practice is not suspended."]})
    standing.suspended = False
    standing.warnings = 0
    standing.run_ms = []
    standing.save(update_fields=["suspended", "warnings", "run_ms", "updated_at"])
    event = FairUseEvent.objects.create(
        school_id=pupil.school_id,
        pupil=pupil,
        kind=FairUseEvent.Kind.REINSTATEMENT,
        reason=reason,
        by=actor,
    )
    audit.record(
        actor=actor,
        school=pupil.school_id,
        action="practice.fair_use.reinstated",
        target=pupil,
        data={"reason": reason},
    )
    return event
