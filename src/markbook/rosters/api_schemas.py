"""Request and response schemas of the roster API (markbook.rosters.api).

Field rules: every viewer gets PupilOut (email per TEN-5); administrators also get
PupilDetailsOut; only the school's own administrators PupilSensitiveOut (SEC-2).
"""

from datetime import date
from typing import Literal

from ninja import Schema
from pydantic import Field

from markbook.core.api import InputSchema, PageIn

YearGroup = Literal["N1", "N2", "R", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"]  # fmt: skip


class PupilOut(Schema):
    """What every role that may see a pupil sees (TEN-3). For staff, `email` is null and
    `email_hidden` true when the address is not in one of the school's domains (TEN-5)."""

    id: int
    display_name: str
    username: str
    year_group: str
    email: str | None
    email_hidden: bool
    # For a pupil's own teachers (and school administrators on a class): the fields the
    # school shows teachers (TEN-3), field name -> value; null for everyone else.
    planning: dict[str, bool | int | str | None] | None = None


class PupilDetailsOut(Schema):
    """School information, for administrators (school and trust)."""

    first_name: str
    last_name: str
    pseudonym: str
    upn: str | None
    mis_id: str
    registration_group: str
    sex: str
    date_of_birth: date | None
    uln: str
    eal: bool | None
    gifted_talented: bool | None
    ks2_reading: int | None
    ks2_maths: int | None
    status: str
    left_on: date | None


class PupilSensitiveOut(Schema):
    """Encrypted fields (SEC-2), for the school's own administrators only."""

    fsm: bool | None
    disadvantaged: bool | None
    sen_provision: str | None
    sen_need: str | None
    ethnicity: str | None
    medical_notes: str | None


class ClassRef(Schema):
    id: int
    name: str
    subject: str


class PupilDetailOut(PupilOut):
    classes: list[ClassRef]
    details: PupilDetailsOut | None = None
    sensitive: PupilSensitiveOut | None = None


class PupilListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[PupilOut]


class PupilFilter(PageIn):
    """Every word of `q` in a name or username, or, for administrators, the start of a
    UPN (a whole UPN when the school keeps only its keyed hash)."""

    q: str = ""
    year_group: YearGroup | None = None


class ClassFilter(InputSchema):
    """Every word of `q` in the class name; `teacher` a member of staff's id."""

    q: str = ""
    subject: str = ""
    year_group: YearGroup | None = None
    teacher: int | None = None
    academic_year: str = Field("", description="2026/27, or all; the current year if empty")


class _PupilFields(InputSchema):
    # Fields that cannot be null default to None only so that a PATCH can leave them
    # out; only the fields sent reach the service (exclude_unset). The type stays
    # non-nullable so that the API refuses null and its OpenAPI says so; the None
    # default therefore needs `type: ignore[assignment]` (here, in PupilPatch, ClassPatch
    # and api_people.StaffPatch).
    pseudonym: str = None  # type: ignore[assignment]
    upn: str | None = None
    email: str = None  # type: ignore[assignment]
    mis_id: str = None  # type: ignore[assignment]
    registration_group: str = None  # type: ignore[assignment]
    sex: Literal["M", "F", ""] = None  # type: ignore[assignment]
    date_of_birth: date | None = None
    uln: str = None  # type: ignore[assignment]
    eal: bool | None = None
    gifted_talented: bool | None = None
    ks2_reading: int | None = None
    ks2_maths: int | None = None
    status: Literal["on_roll", "left"] = None  # type: ignore[assignment]
    left_on: date | None = None
    fsm: bool | None = None
    disadvantaged: bool | None = None
    sen_provision: str | None = None
    sen_need: str | None = None
    ethnicity: str | None = None
    medical_notes: str | None = None


class PupilIn(_PupilFields):
    """A new pupil; the username is generated when left out (ACC-3). Sensitive fields
    may be given by school administrators only."""

    first_name: str = ""
    last_name: str = ""
    year_group: YearGroup
    username: str | None = None


class PupilPatch(_PupilFields):
    """Only the fields sent are changed."""

    first_name: str = None  # type: ignore[assignment]
    last_name: str = None  # type: ignore[assignment]
    year_group: YearGroup = None  # type: ignore[assignment]
    username: str = None  # type: ignore[assignment]


class StaffRef(Schema):
    id: int
    name: str


class ClassOut(Schema):
    id: int
    name: str
    subject: str
    year_group: str
    academic_year: str
    archived: bool
    pupil_count: int
    teachers: list[StaffRef]


class ClassDetailOut(ClassOut):
    pupils: list[PupilOut]


class ClassIn(InputSchema):
    name: str
    subject: str = ""
    year_group: YearGroup | Literal[""] = ""
    academic_year: str | None = None


class ClassPatch(InputSchema):
    """Only the fields sent are changed."""

    name: str = None  # type: ignore[assignment]
    subject: str = None  # type: ignore[assignment]
    year_group: YearGroup | Literal[""] = None  # type: ignore[assignment]
    academic_year: str = None  # type: ignore[assignment]


class MoveIn(InputSchema):
    to_class: int = Field(ge=1, le=2**63 - 1, description="The class to move the pupil to.")


class StaffOut(Schema):
    id: int
    name: str
    first_name: str
    last_name: str
    email: str
    roles: list[str]
