"""Personal data held by the assessment app (DSR-1). See markbook.privacy.inventory.

Marks are part of the pupil's education record, held for the school (public task).
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

declare(
    "assessment.Assignment",
    subject="created_by",
    description="A piece of work set to a class: title, due date, maximum mark (ASM-1).",
    personal={
        "created_by": Personal(
            category=Category.RELATIONSHIP,
            purpose="who set the assignment",
            basis=Basis.PUBLIC_TASK,
            visible_to=Visible.ADMINS + " and the class's teachers",
            retention=Retention.LINK,
            erasure=Erasure.BLANK,
        ),
    },
    not_personal=(
        "id",
        "school",
        "teaching_class",
        "title",
        "kind",
        "subject",
        "due_date",
        "max_mark",
        "oneroster_id",
        "trust_origin",
        "question_set",
        "score_is_mark",
        "created_at",
    ),
)

declare(
    "assessment.TrustAssignment",
    subject="created_by",
    description="A trust's original of work set to classes across its schools (ASM-1).",
    personal={
        "created_by": Personal(
            category=Category.RELATIONSHIP,
            purpose="who set the trust's assignment",
            basis=Basis.PUBLIC_TASK,
            visible_to="the trust's administrators",
            retention=Retention.LINK,
            erasure=Erasure.BLANK,
        ),
    },
    not_personal=("id", "trust", "title", "kind", "due_date", "max_mark", "created_at"),
)


declare(
    "assessment.Mark",
    subject="pupil",
    description="A pupil's mark for an assignment, or Absent, or Not required (ASM-3).",
    personal={
        "pupil": Personal(
            category=Category.RELATIONSHIP,
            purpose="whose mark this is",
            basis=Basis.PUBLIC_TASK,
            visible_to=Visible.PUPIL,
            retention=Retention.PUPIL,
            erasure=Erasure.DELETE_ROW,
        ),
        "score": education_record(
            "the pupil's result, shown to them, their parents and teachers (ASM-3)"
        ),
        "status": education_record("whether the pupil was marked, absent or not required (ASM-3)"),
        "feedback": education_record(
            "the teacher's comment on the work, shown to the pupil (ASM-3)"
        ),
        "version": education_record(
            "how many times the mark changed, to refuse a stale write (ASM-3)"
        ),
        "updated_at": education_record("when the mark last changed (DSR-3)"),
        "from_practice": education_record(
            "whether the mark is the pupil's practice score rather than a teacher's (ASM-2)"
        ),
        "updated_by": changed_by(
            "who last changed the mark (DSR-3)", teachers="the class's teachers"
        ),
    },
    not_personal=("id", "school", "assignment"),
)

declare(
    "assessment.AssignmentBoundary",
    subject="assignment",
    description="The lowest mark for each grade of an assignment (ASM-1); no personal data.",
    personal={},
    not_personal=("id", "school", "assignment", "grade", "minimum_mark"),
)
