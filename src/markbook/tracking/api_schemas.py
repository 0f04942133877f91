"""Request and response schemas of the tracking API (markbook.tracking.api and
api_drops): grade scales, bands, subjects, target rules, targets and data drops (ASM-4).

Ids carried in a body are bounded to the database's integer, so a wild one is a 422
naming the field rather than a server error. In a PATCH only the fields sent change.
"""

import datetime
from decimal import Decimal

from ninja import Field, Schema

from markbook.core.api import InputSchema

# An id that fits the database's integer.
MAX_ID = 2**63 - 1


def _id(description: str = "") -> int | None:
    value: int | None = Field(None, ge=1, le=MAX_ID, description=description)
    return value


# --- Scales, grades and bands --------------------------------------------------


class GradeOut(Schema):
    id: int
    label: str
    rank: int
    minimum: Decimal | None
    band_id: int | None


class ScaleOut(Schema):
    id: int
    name: str
    kind: str
    numeric: bool
    minimum: Decimal | None
    maximum: Decimal | None
    grades: list[GradeOut]


class GradeIn(InputSchema):
    label: str = Field(max_length=200)
    minimum: Decimal | None = None
    band_id: int | None = _id("The band it maps onto; empty: spread across the bands.")


class ScaleIn(InputSchema):
    name: str = Field(max_length=200)
    numeric: bool = False
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    grades: list[GradeIn] = Field(description="Lowest grade first.", max_length=200)


class ScalePatch(InputSchema):
    """A school-defined scale only. `grades`, when sent, is the whole list, lowest first:
    grades keep their entries and targets by label; one in use cannot be removed."""

    name: str = Field(None, max_length=200)  # type: ignore[assignment]
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    grades: list[GradeIn] = Field(None, max_length=200)  # type: ignore[arg-type]


class GradePatch(InputSchema):
    band_id: int | None = _id("The band the grade maps onto; null: none.")


class BandOut(Schema):
    id: int
    name: str
    rank: int


class BandPatch(InputSchema):
    name: str = Field(max_length=200)


class TargetRuleIn(InputSchema):
    ks2_minimum: int = Field(ge=0, le=32767, description="The lowest KS2 average, e.g. 105.")
    grade: str = Field(max_length=50, description="A grade of the scale, e.g. 6.")


class TargetRulesIn(InputSchema):
    rules: list[TargetRuleIn] = Field(max_length=200, description="The whole table.")


class TargetRuleOut(Schema):
    ks2_minimum: int
    grade: str


# --- Subjects and targets ------------------------------------------------------


class SubjectOut(Schema):
    id: int
    name: str
    code: str
    scale_id: int
    scale: str


class SubjectIn(InputSchema):
    name: str = Field(max_length=200)
    code: str = Field("", max_length=50)
    scale: str = Field(max_length=200, description="The scale's name, for example GCSE 9-1.")


class SubjectPatch(InputSchema):
    """Moving to another scale is refused once the subject holds targets or grades."""

    name: str = Field(None, max_length=200)  # type: ignore[assignment]
    code: str = Field(None, max_length=50)  # type: ignore[assignment]
    scale: str = Field(None, max_length=200, description="The scale's name.")  # type: ignore[assignment]


class ClassRef(Schema):
    id: int
    name: str


class DeleteQuery(InputSchema):
    confirm: bool = Field(
        False, description="Required when it holds data: the data listed by the 409 goes too."
    )


class SubjectHeldOut(Schema):
    """What deleting the subject would delete with it (send confirm=true to go ahead)."""

    detail: str
    targets: int
    entries: int = Field(description="Grades entered at drops.")
    classes: int = Field(description="Links to classes (the classes stay).")


class TargetIn(InputSchema):
    grade: str = Field(max_length=50, description="A grade of the subject's scale, e.g. 6.")
    path: str = Field("flat", description="flat or stepped")
    starting_grade: str | None = Field(None, max_length=50, description="For a stepped path.")


class TargetOut(Schema):
    pupil_id: int
    subject_id: int
    grade: str
    source: str
    path: str
    starting_grade: str | None


class TargetsImportIn(InputSchema):
    csv: str = Field(max_length=5_000_000, description="The CSV text: UPN, Subject, Target.")
    confirm: bool = Field(False, description="False: check only. True: import, all or nothing.")


class TargetsImportOut(Schema):
    rows: int
    errors: list[str]
    created: int = 0
    changed: int = 0


class TargetsFromKs2In(InputSchema):
    overwrite: bool = Field(
        False, description="Also replace targets that were imported or set by a teacher."
    )


class TargetsFromKs2Out(Schema):
    created: int
    changed: int
    skipped: int = Field(description="Kept (not from KS2), or without KS2 results or rules.")


# --- Data drops ----------------------------------------------------------------


class DropFieldIn(InputSchema):
    label: str = Field(max_length=100)
    key: str = Field(default="", max_length=30)
    scale_id: int | None = _id("Empty: each subject's own scale.")


class DropFieldOut(Schema):
    key: str
    label: str
    scale_id: int | None


class DropOut(Schema):
    id: int
    name: str
    date: datetime.date
    deadline: datetime.date | None
    year_groups: list[str]
    locked: bool
    fields: list[DropFieldOut]


class DropIn(InputSchema):
    name: str = Field(max_length=200)
    date: datetime.date
    deadline: datetime.date | None = None
    year_groups: list[str] = Field(default_factory=list, max_length=20)
    fields: list[DropFieldIn] = Field(
        default_factory=lambda: [DropFieldIn(label="Working at"), DropFieldIn(label="Predicted")],
        max_length=20,
    )


class DropPatch(InputSchema):
    """`fields`, when sent, is the whole list, matched by key: a field holding entries
    cannot be removed or moved to another scale."""

    name: str = Field(None, max_length=200)  # type: ignore[assignment]
    date: datetime.date = None  # type: ignore[assignment]
    deadline: datetime.date | None = None
    year_groups: list[str] = Field(None, max_length=20)  # type: ignore[arg-type]
    fields: list[DropFieldIn] = Field(None, max_length=20)  # type: ignore[arg-type]


class DropHeldOut(Schema):
    """What deleting the drop would delete with it (send confirm=true to go ahead)."""

    detail: str
    entries: int
    pupils: int
    subjects: int


class CompletionOut(Schema):
    class_id: int
    class_name: str
    subject: str
    teachers: list[str]
    pupils: int
    expected: int
    entered: int
