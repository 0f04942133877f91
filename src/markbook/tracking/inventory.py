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
    changed_by,
    declare,
    education_record,
)

declare(
    "tracking.DataDrop",
    subject="locked_by",
    description="An assessment point: date, year groups, deadline and lock (ASM-4).",
    personal={"locked_by": changed_by("who locked the drop against further entry")},
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
        "grade": education_record("the grade the pupil aims for in the subject (ASM-4)"),
        "source": education_record(
            "whether the target came from KS2, an import or a teacher (ASM-4)"
        ),
        "path": education_record("whether the expected grade is flat or a flight path (ASM-4)"),
        "starting_grade": education_record("where the pupil's flight path starts (ASM-4)"),
        "updated_at": education_record("when the target last changed"),
        "set_by": changed_by("who set or last overrode the target (ASM-4)"),
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
        "grade": education_record("the grade recorded at the drop (ASM-4)"),
        "value": education_record("the number recorded at the drop on a numeric scale (ASM-4)"),
        "version": education_record("how many times the entry changed, to refuse a stale write"),
        "updated_at": education_record("when the entry last changed (DSR-3)"),
        "updated_by": changed_by("who last changed the entry (DSR-3)"),
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
