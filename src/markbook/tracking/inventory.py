"""Personal data held by the tracking app (DSR-1). See markbook.privacy.inventory.

Targets and the grades of data drops are part of the pupil's education record, held for
the school (public task). Scales, bands, subjects and drops hold no personal data but
for who locked a drop.
"""

from markbook.privacy.inventory import (
    Basis,
    Category,
    Erasure,
    Personal,
    Retention,
    Visible,
    declare,
)


def _record(purpose: str) -> Personal:
    return Personal(
        category=Category.EDUCATION,
        purpose=purpose,
        basis=Basis.PUBLIC_TASK,
        visible_to=Visible.PUPIL,
        retention=Retention.PUPIL,
        erasure=Erasure.DELETE_ROW,
    )


def _who(purpose: str) -> Personal:
    return Personal(
        category=Category.ACCOUNTABILITY,
        purpose=purpose,
        basis=Basis.PUBLIC_TASK,
        visible_to=Visible.ADMINS + " and the pupil's teachers",
        retention=Retention.LINK,
        erasure=Erasure.BLANK,
    )


declare(
    "tracking.DataDrop",
    subject="locked_by",
    description="An assessment point: date, year groups, deadline and lock (ASM-4).",
    personal={"locked_by": _who("who locked the drop against further entry")},
    not_personal=(
        "id",
        "school",
        "name",
        "date",
        "year_groups",
        "deadline",
        "locked_at",
        "created_at",
    ),
)

declare(
    "tracking.Target",
    subject="pupil",
    description="A pupil's target grade in a subject and how it was set (ASM-4).",
    personal={
        "pupil": Personal(
            category=Category.RELATIONSHIP,
            purpose="whose target this is",
            basis=Basis.PUBLIC_TASK,
            visible_to=Visible.PUPIL,
            retention=Retention.PUPIL,
            erasure=Erasure.DELETE_ROW,
        ),
        "grade": _record("the grade the pupil aims for in the subject (ASM-4)"),
        "source": _record("whether the target came from KS2, an import or a teacher (ASM-4)"),
        "path": _record("whether the expected grade is flat or a flight path (ASM-4)"),
        "starting_grade": _record("where the pupil's flight path starts (ASM-4)"),
        "updated_at": _record("when the target last changed"),
        "set_by": _who("who set or last overrode the target (ASM-4)"),
    },
    not_personal=("id", "school", "subject"),
)

declare(
    "tracking.TrackingEntry",
    subject="pupil",
    description="A pupil's working-at, predicted or other grade in a subject at a drop (ASM-4).",
    personal={
        "pupil": Personal(
            category=Category.RELATIONSHIP,
            purpose="whose grade this is",
            basis=Basis.PUBLIC_TASK,
            visible_to=Visible.PUPIL,
            retention=Retention.PUPIL,
            erasure=Erasure.DELETE_ROW,
        ),
        "grade": _record("the grade recorded at the drop (ASM-4)"),
        "value": _record("the number recorded at the drop on a numeric scale (ASM-4)"),
        "version": _record("how many times the entry changed, to refuse a stale write"),
        "updated_at": _record("when the entry last changed (DSR-3)"),
        "updated_by": _who("who last changed the entry (DSR-3)"),
    },
    not_personal=("id", "school", "drop", "field", "subject"),
)

declare(
    "tracking.DropField",
    subject="drop",
    description="What a drop collects: working at, predicted, effort... (ASM-4); no personal data.",
    personal={},
    not_personal=("id", "school", "drop", "key", "label", "scale", "position"),
)
