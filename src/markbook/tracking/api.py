"""API: grade scales, bands, subjects, data drops and targets of one school (ASM-4).

Thin, like the pages, and through the same services: check the role, fetch through
access, call one service or selector. Wrong role or invisible object: 404.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Router, Schema, Status

from markbook.admission import ADMINS, STAFF, AccessRequest, require_role, school_of
from markbook.core.api import InputSchema, responses
from markbook.rosters.access import access_class
from markbook.tracking import drops as drop_services
from markbook.tracking import scales as scale_services
from markbook.tracking import selectors
from markbook.tracking import targets as target_services
from markbook.tracking.access import (
    access_band,
    access_drop,
    access_scale,
    access_subject,
    access_target_pupil,
)
from markbook.tracking.models import Band, DataDrop, Grade, GradeScale
from markbook.tracking.services import tracking_setup

router = Router(tags=["tracking"])

T = "/schools/{school_id}/tracking"


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
    band_id: int | None = None


class ScaleIn(InputSchema):
    name: str = Field(max_length=200)
    numeric: bool = False
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    grades: list[GradeIn] = Field(description="Lowest grade first.", max_length=200)


class BandOut(Schema):
    id: int
    name: str
    rank: int


class BandIn(InputSchema):
    band_id: int | None = None


class SubjectOut(Schema):
    id: int
    name: str
    code: str
    scale_id: int


class SubjectIn(InputSchema):
    name: str = Field(max_length=200)
    code: str = Field("", max_length=50)
    scale: str = Field(max_length=200, description="The scale's name, for example GCSE 9-1.")


class DropFieldIn(InputSchema):
    label: str = Field(max_length=100)
    key: str = Field(default="", max_length=30)
    scale_id: int | None = Field(default=None, description="Empty: each subject's own scale.")


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


class CompletionOut(Schema):
    class_id: int
    class_name: str
    subject: str
    teachers: list[str]
    pupils: int
    expected: int
    entered: int


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


def _set_up(request: AccessRequest) -> None:
    """First use: the school's bands, built-in scales and target rules, as the pages do."""
    if not Band.objects.exists():
        tracking_setup(school=school_of(request), actor=request.user)


def _scale_named(name: str) -> GradeScale:
    scale = GradeScale.objects.filter(name__iexact=name.strip()).first()
    if scale is None:
        raise ValidationError({"scale": [f"The school has no scale called {name}."]})
    return scale


def _grade_named(scale: GradeScale, label: str, field: str) -> Grade:
    grade = Grade.objects.filter(scale=scale, label=label.strip()).first()
    if grade is None:
        raise ValidationError({field: [f"{label} is not a grade of {scale.name}."]})
    return grade


def _scale(scale: GradeScale) -> dict[str, Any]:
    return {
        "id": scale.pk,
        "name": scale.name,
        "kind": scale.kind,
        "numeric": scale.numeric,
        "minimum": scale.minimum,
        "maximum": scale.maximum,
        "grades": list(scale.grades.all()),
    }


def _drop(drop: DataDrop) -> dict[str, Any]:
    return {
        "id": drop.pk,
        "name": drop.name,
        "date": drop.date,
        "deadline": drop.deadline,
        "year_groups": drop.year_groups,
        "locked": drop.locked_at is not None,
        "fields": list(drop.fields.all()),
    }


@router.get(f"{T}/scales", response=responses(list[ScaleOut]), summary="List grade scales")
def scales(request: AccessRequest, school_id: int) -> list:
    require_role(request, *STAFF)
    _set_up(request)
    return [_scale(s) for s in selectors.scales()]


@router.post(f"{T}/scales", response=responses(ScaleOut, status=201), summary="Add a grade scale")
def scale_create(request: AccessRequest, school_id: int, payload: ScaleIn) -> Status:
    """A school-defined scale; its grades lowest first (ASM-4)."""
    require_role(request, *ADMINS)
    scale = scale_services.scale_create(
        actor=request.user,
        school=school_of(request),
        name=payload.name,
        grades=[scale_services.GradeSpec(g.label, g.minimum, g.band_id) for g in payload.grades],
        numeric=payload.numeric,
        minimum=payload.minimum,
        maximum=payload.maximum,
    )
    return Status(201, _scale(selectors.scales().get(pk=scale.pk)))


@router.delete(
    f"{T}/scales/{{scale_id}}", response=responses(None, status=204), summary="Delete a scale"
)
def scale_delete(request: AccessRequest, school_id: int, scale_id: int) -> Status:
    """Refused (422, naming them) while a subject or drop uses the scale."""
    require_role(request, *ADMINS)
    scale_services.scale_delete(actor=request.user, scale=access_scale(request, scale_id))
    return Status(204, None)


@router.get(f"{T}/bands", response=responses(list[BandOut]), summary="List the common bands")
def bands(request: AccessRequest, school_id: int) -> list:
    require_role(request, *STAFF)
    _set_up(request)
    return list(selectors.bands())


@router.put(
    f"{T}/grades/{{grade_id}}/band", response=responses(GradeOut), summary="Map a grade onto a band"
)
def grade_band(request: AccessRequest, school_id: int, grade_id: int, payload: BandIn) -> Grade:
    require_role(request, *ADMINS)
    grade = Grade.objects.filter(pk=grade_id).first()
    if grade is None:
        raise Http404
    if payload.band_id:
        access_band(request, payload.band_id)
    scale_services.band_mapping_update(
        actor=request.user, school=school_of(request), mapping={grade.pk: payload.band_id}
    )
    grade.refresh_from_db()
    return grade


@router.get(f"{T}/subjects", response=responses(list[SubjectOut]), summary="List subjects")
def subjects(request: AccessRequest, school_id: int) -> list:
    require_role(request, *STAFF)
    return list(selectors.subjects())


@router.post(f"{T}/subjects", response=responses(SubjectOut, status=201), summary="Add a subject")
def subject_create(request: AccessRequest, school_id: int, payload: SubjectIn) -> Status:
    require_role(request, *ADMINS)
    _set_up(request)
    subject = scale_services.subject_create(
        actor=request.user,
        school=school_of(request),
        name=payload.name,
        code=payload.code,
        scale=_scale_named(payload.scale),
    )
    return Status(201, subject)


@router.put(
    f"{T}/subjects/{{subject_id}}/classes/{{class_id}}",
    response=responses(None, status=204),
    summary="Track a class in a subject",
)
def subject_class_link(
    request: AccessRequest, school_id: int, subject_id: int, class_id: int
) -> Status:
    require_role(request, *ADMINS)
    scale_services.subject_class_link(
        actor=request.user,
        subject=access_subject(request, subject_id),
        teaching_class=access_class(request, class_id),
    )
    return Status(204, None)


@router.put(
    f"{T}/subjects/{{subject_id}}/targets/{{pupil_id}}",
    response=responses(TargetOut),
    summary="Set a pupil's target",
)
def target_set(
    request: AccessRequest, school_id: int, subject_id: int, pupil_id: int, payload: TargetIn
) -> dict:
    """Administrators, or a teacher of the pupil in a class tracked in the subject; the
    override is audited with old and new (ASM-4)."""
    require_role(request, *STAFF)
    subject = access_subject(request, subject_id)
    pupil = access_target_pupil(request, subject, pupil_id)
    target = target_services.target_set(
        actor=request.user,
        pupil=pupil,
        subject=subject,
        grade=_grade_named(subject.scale, payload.grade, "grade"),
        path=payload.path,
        starting_grade=_grade_named(subject.scale, payload.starting_grade, "starting_grade")
        if payload.starting_grade
        else None,
    )
    return {
        "pupil_id": pupil.pk,
        "subject_id": subject.pk,
        "grade": target.grade.label,
        "source": target.source,
        "path": target.path,
        "starting_grade": target.starting_grade.label if target.starting_grade else None,
    }


@router.post(
    f"{T}/targets/import", response=responses(TargetsImportOut), summary="Import targets from CSV"
)
def targets_import(request: AccessRequest, school_id: int, payload: TargetsImportIn) -> dict:
    """Check a CSV (errors by row), or with confirm import it: all or nothing."""
    require_role(request, *ADMINS)
    school = school_of(request)
    preview = target_services.targets_import_preview(school=school, text=payload.csv)
    out: dict[str, Any] = {"rows": len(preview.rows), "errors": preview.errors}
    if payload.confirm:
        out.update(
            target_services.targets_import(actor=request.user, school=school, text=payload.csv)
        )
    return out


@router.get(f"{T}/drops", response=responses(list[DropOut]), summary="List data drops")
def drops(request: AccessRequest, school_id: int) -> list:
    require_role(request, *STAFF)
    return [_drop(d) for d in selectors.drops()]


@router.post(f"{T}/drops", response=responses(DropOut, status=201), summary="Add a data drop")
def drop_create(request: AccessRequest, school_id: int, payload: DropIn) -> Status:
    require_role(request, *ADMINS)
    fields = [
        drop_services.FieldSpec(
            f.label, f.key, access_scale(request, f.scale_id) if f.scale_id else None
        )
        for f in payload.fields
    ]
    drop = drop_services.drop_create(
        actor=request.user,
        school=school_of(request),
        name=payload.name,
        date=payload.date,
        deadline=payload.deadline,
        year_groups=payload.year_groups,
        fields=fields,
    )
    return Status(201, _drop(selectors.drops().get(pk=drop.pk)))


@router.post(f"{T}/drops/{{drop_id}}/lock", response=responses(DropOut), summary="Lock a drop")
def drop_lock(request: AccessRequest, school_id: int, drop_id: int) -> dict:
    require_role(request, *ADMINS)
    drop = drop_services.drop_lock(actor=request.user, drop=access_drop(request, drop_id))
    return _drop(drop)


@router.post(f"{T}/drops/{{drop_id}}/unlock", response=responses(DropOut), summary="Unlock a drop")
def drop_unlock(request: AccessRequest, school_id: int, drop_id: int) -> dict:
    require_role(request, *ADMINS)
    drop = drop_services.drop_unlock(actor=request.user, drop=access_drop(request, drop_id))
    return _drop(drop)


@router.get(
    f"{T}/drops/{{drop_id}}/completion",
    response=responses(list[CompletionOut]),
    summary="How much of a drop is entered",
)
def drop_completion(request: AccessRequest, school_id: int, drop_id: int) -> list:
    """Per class: entries expected (pupils x fields) and entered; administrators every
    class, a teacher their own."""
    require_role(request, *STAFF)
    drop = access_drop(request, drop_id)
    return [
        {
            "class_id": r.teaching_class.pk,
            "class_name": r.teaching_class.name,
            "subject": r.subject.name,
            "teachers": [t.display_name for t in r.teachers],
            "pupils": r.pupils,
            "expected": r.expected,
            "entered": r.entered,
        }
        for r in selectors.drop_completion(drop, request.user, request.access)
    ]
