"""Personal data held by the practice app (DSR-1). See markbook.privacy.inventory.

A pupil's practice (attempts, answers, points, fair-use decisions) is part of their
education record, held for the school's public task and erased with the pupil. Who
set a question set or uploaded a prompt names a member of staff and is blanked when
they go.
"""

from markbook.privacy.inventory import (
    Basis,
    Category,
    Erasure,
    Personal,
    Retention,
    Visible,
    changed_by,
    declare,
    education_record,
)


def _staff(purpose: str) -> Personal:
    return Personal(
        category=Category.RELATIONSHIP,
        purpose=purpose,
        basis=Basis.PUBLIC_TASK,
        visible_to=Visible.ADMINS + " and the school's teachers",
        retention=Retention.LINK,
        erasure=Erasure.BLANK,
    )


declare(
    "practice.QuestionSet",
    subject="created_by",
    description="A practice set: a generated bank or a teacher's own questions (ASM-2).",
    personal={"created_by": _staff("who wrote the practice set")},
    not_personal=(
        "id",
        "school",
        "title",
        "kind",
        "mode",
        "question_count",
        "seconds_per_question",
        "generator",
        "description",
        "published",
        "archived",
        "version",
        "created_at",
        "updated_at",
    ),
)

declare(
    "practice.PromptMedia",
    subject="uploaded_by",
    description="An image or audio prompt a teacher uploaded for a question (ASM-2).",
    personal={
        "uploaded_by": _staff("who uploaded the prompt"),
        "original_name": _staff("the uploaded file's name, which may name its author"),
    },
    not_personal=(
        "id",
        "school",
        "token",
        "kind",
        "content_type",
        "size",
        "file",
        "created_at",
    ),
)

declare(
    "practice.Question",
    subject="question_set",
    description="A teacher's question (numeric or multiple choice) in a practice set (ASM-2); no personal data.",
    personal={},
    not_personal=(
        "id",
        "school",
        "question_set",
        "position",
        "kind",
        "prompt",
        "media",
        "answer",
        "tolerance",
        "units",
        "choices",
        "correct",
    ),
)

declare(
    "practice.Attempt",
    subject="pupil",
    description="A pupil's attempt at a practice set, resumable on any device (ASM-2, ASM-8).",
    personal={
        "pupil": education_record("whose attempt it is"),
        "question_set": education_record("what was practised"),
        "assignment": education_record("the homework the attempt answers"),
        "state": education_record("whether the attempt is finished"),
        "mode": education_record("practice or a timed trial"),
        "total": education_record("how many questions the attempt has"),
        "seconds_per_question": education_record("the time allowed per question"),
        "answered": education_record("how many questions were answered"),
        "correct_count": education_record("how many answers were correct"),
        "points": education_record("the points the attempt earned"),
        "seed": education_record("how the questions were chosen, so a resume is honest"),
        "started_at": education_record("when the attempt started"),
        "last_active_at": education_record("when the pupil last answered"),
        "finished_at": education_record("when the attempt finished"),
        "current": education_record("the question on the pupil's screen now"),
        "standing": education_record("the pupil's running points and fair-use state"),
    },
    not_personal=("id", "school"),
)

declare(
    "practice.Item",
    subject="pupil",
    description="One question put to a pupil in an attempt and their answer (ASM-2).",
    personal={
        "pupil": education_record("whose answer it is"),
        "attempt": education_record("the attempt the question belongs to"),
        "position": education_record("the question's place in the attempt"),
        "question": education_record("the teacher's question asked"),
        "fact": education_record("the fact asked, for the heat map of what the pupil finds hard"),
        "style": education_record("the question style, for diminishing points"),
        "prompt": education_record("the question as shown"),
        "expected": education_record("the right answer, kept on the server"),
        "asked_at": education_record("when the question was shown"),
        "deadline": education_record("the time limit of a timed question"),
        "answered_at": education_record("when the pupil answered"),
        "response": education_record("the pupil's answer"),
        "correct": education_record("whether the answer was right"),
        "timed_out": education_record("whether the time ran out"),
        "response_ms": education_record("how long the pupil took, measured by the server"),
        "points": education_record("the points the answer earned"),
    },
    not_personal=("id", "school"),
)

declare(
    "practice.FairUseEvent",
    subject="pupil",
    description=(
        "A fair-use warning, an automatic suspension of a pupil's practice, or a "
        "teacher's reinstatement with the reason (ASM-7)."
    ),
    personal={
        "pupil": education_record("whose practice the decision is about"),
        "kind": education_record("warning, suspension or reinstatement"),
        "reason": education_record("why: the pattern seen, or the teacher's reason"),
        "attempt": education_record("the attempt in which the pattern was seen"),
        "created_at": education_record("when"),
        "by": changed_by("the teacher who reinstated the pupil's practice"),
    },
    not_personal=("id", "school"),
)

declare(
    "practice.Standing",
    subject="pupil",
    description=(
        "A pupil's running practice state: points today and this week, the recent "
        "response times fair use looks at, warnings and suspension, and the facts "
        "they find hard (ASM-2, ASM-7)."
    ),
    personal={
        "pupil": education_record("whose practice it is"),
        "day": education_record("the day the daily points count"),
        "day_points": education_record("points earned today, for the daily cap"),
        "week": education_record("the week the weekly points count"),
        "week_points": education_record("points earned this week, for the weekly cap"),
        "styles": education_record("today's correct answers per style, for diminishing points"),
        "run_type": education_record("the type of the latest run of answers"),
        "run_ms": education_record("the response times fair use looks at"),
        "warnings": education_record("fair-use warnings since the last reinstatement"),
        "suspended": education_record("whether practice is suspended for fair use"),
        "weak": education_record("the facts the pupil finds hard, to ask again"),
        "updated_at": education_record("when the pupil last answered"),
    },
    not_personal=("id", "school"),
)


def _board(purpose: str) -> Personal:
    return Personal(
        category=Category.EDUCATION,
        purpose=purpose,
        basis=Basis.PUBLIC_TASK,
        visible_to=(
            "the pupil's class and school on their boards; where the school joined the trust "
            "or global board and the parents consented, pupils and staff of other schools "
            "(first name and surname initial, or the pseudonym, with the school's name)"
        ),
        retention="rebuilt from the pupil's practice; the current week, month and school year",
        erasure=Erasure.DELETE_ROW,
    )


declare(
    "practice.BoardEntry",
    subject="pupil",
    description=(
        "A pupil's standing on the leaderboards for a week, month or school year: the "
        "declared projection the trust and global boards read (ASM-6). Never holds a "
        "restricted pupil (DSR-5); shown outside the school only with consent (CON-2)."
    ),
    personal={
        "pupil": _board("whose standing it is"),
        "name": _board("the name the boards show: first name and surname initial"),
        "school_name": _board("the pupil's school, shown with the name"),
        "period": _board("the week, month or school year counted"),
        "starts": _board("the first day of the period"),
        "points": _board("the points earned in the period"),
        "trial_correct": _board("correct times-table facts in timed trials, for speed"),
        "trial_ms": _board("time spent on timed times-table trials, for speed"),
        "on_trust": _board("whether the pupil appears on the trust board"),
        "on_global": _board("whether the pupil appears on the global board"),
    },
    not_personal=("id", "school", "trust"),
)
