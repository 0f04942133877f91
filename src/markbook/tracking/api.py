"""API: grade scales and their grades, common bands and subjects of one school (ASM-4);
KS2 target tables and targets are in api_targets.py, data drops in api_drops.py.

Thin, like the pages, and through the same services: check the role, fetch through
access, call one service or selector, shape the answer. SchoolScopeMiddleware has
already answered 401/404 for anonymous users and other schools and runs the request in
the school's scope. Wrong role or invisible object: 404, as on the pages; bad input a
422 naming the field; a delete that would take data with it a 409 saying what, until
it is sent again with `confirm=true`, as the pages ask before deleting.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router, Status

from markbook.admission import ADMINS, STAFF, AccessRequest, require_role, school_of
from markbook.core.api import responses
from markbook.rosters.access import access_class
from markbook.tracking import scales as scale_services
from markbook.tracking import selectors
from markbook.tracking.access import (
    access_band,
    access_grade,
    access_scale,
    access_subject,
)
from markbook.tracking.api_schemas import (
    BandOut,
    BandPatch,
    ClassRef,
    DeleteQuery,
    GradeIn,
    GradeOut,
    GradePatch,
    ScaleIn,
    ScaleOut,
    ScalePatch,
    SubjectHeldOut,
    SubjectIn,
    SubjectOut,
    SubjectPatch,
)
from markbook.tracking.models import Band, Grade, GradeScale, Subject
from markbook.tracking.services import tracking_setup

router = Router(tags=["tracking"])

TRACKING = "/schools/{school_id}/tracking"


def _set_up(request: AccessRequest) -> None:
    """First use: the school's bands, built-in scales and target rules, as the pages do."""
    if not Band.objects.exists():
        tracking_setup(school=school_of(request), actor=request.user)


def _scale_named(name: str, field: str = "scale") -> GradeScale:
    scale = GradeScale.objects.filter(name__iexact=name.strip()).first()
    if scale is None:
        raise ValidationError({field: [f"The school has no scale called {name}."]})
    return scale


def _specs(grades: list[GradeIn]) -> list[scale_services.GradeSpec]:
    return [scale_services.GradeSpec(g.label, g.minimum, g.band_id) for g in grades]


# --- Shaping answers ----------------------------------------------------------


def _grade(grade: Grade) -> dict[str, Any]:
    return {
        "id": grade.pk,
        "label": grade.label,
        "rank": grade.rank,
        "minimum": grade.minimum,
        "band_id": grade.band_id,
    }


def _scale(scale: GradeScale) -> dict[str, Any]:
    return {
        "id": scale.pk,
        "name": scale.name,
        "kind": scale.kind,
        "numeric": scale.numeric,
        "minimum": scale.minimum,
        "maximum": scale.maximum,
        "grades": [_grade(g) for g in scale.grades.all()],
    }


def _scale_of(request: AccessRequest, scale_id: int) -> dict[str, Any]:
    access_scale(request, scale_id)
    return _scale(selectors.scales().get(pk=scale_id))


def _band(band: Band) -> dict[str, Any]:
    return {"id": band.pk, "name": band.name, "rank": band.rank}


def _subject(subject: Subject) -> dict[str, Any]:
    return {
        "id": subject.pk,
        "name": subject.name,
        "code": subject.code,
        "scale_id": subject.scale_id,
        "scale": subject.scale.name,
    }


# --- Scales and their grades ---------------------------------------------------


@router.get(f"{TRACKING}/scales", response=responses(list[ScaleOut]), summary="List grade scales")
def scales(request: AccessRequest, school_id: int) -> list:
    """The school's scales, built-in and its own, each with its grades lowest first."""
    require_role(request, *STAFF)
    _set_up(request)
    return [_scale(s) for s in selectors.scales()]


@router.post(
    f"{TRACKING}/scales", response=responses(ScaleOut, status=201), summary="Add a grade scale"
)
def scale_create(request: AccessRequest, school_id: int, payload: ScaleIn) -> Status:
    """A school-defined scale; its grades lowest first (ASM-4)."""
    require_role(request, *ADMINS)
    _set_up(request)
    scale = scale_services.scale_create(
        actor=request.user,
        school=school_of(request),
        name=payload.name,
        grades=_specs(payload.grades),
        numeric=payload.numeric,
        minimum=payload.minimum,
        maximum=payload.maximum,
    )
    return Status(201, _scale_of(request, scale.pk))


@router.get(
    f"{TRACKING}/scales/{{scale_id}}", response=responses(ScaleOut), summary="Get a grade scale"
)
def scale_detail(request: AccessRequest, school_id: int, scale_id: int) -> dict:
    require_role(request, *STAFF)
    return _scale_of(request, scale_id)


@router.patch(
    f"{TRACKING}/scales/{{scale_id}}", response=responses(ScaleOut), summary="Change a scale"
)
def scale_update(
    request: AccessRequest, school_id: int, scale_id: int, payload: ScalePatch
) -> dict:
    """Rename a school-defined scale or set its grades, as its edit page does (ASM-4);
    a built-in scale's grades are fixed (422), only their bands change."""
    require_role(request, *ADMINS)
    scale = access_scale(request, scale_id)
    sent = payload.model_fields_set
    grades = (
        _specs(payload.grades)
        if payload.grades is not None
        else [scale_services.GradeSpec(g.label, g.minimum) for g in scale.grades.order_by("rank")]
    )
    scale_services.scale_update(
        actor=request.user,
        scale=scale,
        name=payload.name if payload.name is not None else scale.name,
        grades=grades,
        minimum=payload.minimum if "minimum" in sent else scale.minimum,
        maximum=payload.maximum if "maximum" in sent else scale.maximum,
    )
    return _scale_of(request, scale_id)


@router.delete(
    f"{TRACKING}/scales/{{scale_id}}",
    response=responses(None, status=204),
    summary="Delete a scale",
)
def scale_delete(request: AccessRequest, school_id: int, scale_id: int) -> Status:
    """A school-defined scale no subject or drop uses; otherwise 422 naming them."""
    require_role(request, *ADMINS)
    scale_services.scale_delete(actor=request.user, scale=access_scale(request, scale_id))
    return Status(204, None)


@router.patch(
    f"{TRACKING}/scales/{{scale_id}}/grades/{{grade_id}}",
    response=responses(GradeOut),
    summary="Map a grade onto a band",
)
def grade_update(
    request: AccessRequest, school_id: int, scale_id: int, grade_id: int, payload: GradePatch
) -> dict:
    """Map one grade of any scale, built-in too, onto one of the school's common bands
    (or none), as the bands page does; the change is audited with old and new."""
    require_role(request, *ADMINS)
    scale = access_scale(request, scale_id)
    grade = access_grade(scale.pk, grade_id)
    if grade is None:  # grade_id 0
        raise Http404
    if "band_id" in payload.model_fields_set:
        if payload.band_id:
            access_band(request, payload.band_id)
        scale_services.band_mapping_update(
            actor=request.user, school=school_of(request), mapping={grade.pk: payload.band_id}
        )
        grade.refresh_from_db()
    return _grade(grade)


# --- Bands ---------------------------------------------------------------------


@router.get(f"{TRACKING}/bands", response=responses(list[BandOut]), summary="List the common bands")
def bands(request: AccessRequest, school_id: int) -> list:
    require_role(request, *STAFF)
    _set_up(request)
    return [_band(b) for b in selectors.bands()]


@router.patch(f"{TRACKING}/bands/{{band_id}}", response=responses(BandOut), summary="Rename a band")
def band_update(request: AccessRequest, school_id: int, band_id: int, payload: BandPatch) -> dict:
    require_role(request, *ADMINS)
    band = scale_services.band_rename(
        actor=request.user, band=access_band(request, band_id), name=payload.name
    )
    return _band(band)


# --- Subjects --------------------------------------------------------------------


@router.get(f"{TRACKING}/subjects", response=responses(list[SubjectOut]), summary="List subjects")
def subjects(request: AccessRequest, school_id: int) -> list:
    require_role(request, *STAFF)
    return [_subject(s) for s in selectors.subjects()]


@router.post(
    f"{TRACKING}/subjects", response=responses(SubjectOut, status=201), summary="Add a subject"
)
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
    return Status(201, _subject(subject))


@router.patch(
    f"{TRACKING}/subjects/{{subject_id}}",
    response=responses(SubjectOut),
    summary="Change a subject",
)
def subject_update(
    request: AccessRequest, school_id: int, subject_id: int, payload: SubjectPatch
) -> dict:
    """Rename a subject, change its code, or move it to another scale (refused, 422, once
    it holds targets or grades on its scale)."""
    require_role(request, *ADMINS)
    subject = access_subject(request, subject_id)
    scale_services.subject_update(
        actor=request.user,
        subject=subject,
        name=payload.name,
        code=payload.code,
        scale=_scale_named(payload.scale) if payload.scale is not None else None,
    )
    return _subject(access_subject(request, subject_id))


@router.delete(
    f"{TRACKING}/subjects/{{subject_id}}",
    response={**responses(None, status=204), 409: SubjectHeldOut},
    summary="Delete a subject",
)
def subject_delete(
    request: AccessRequest, school_id: int, subject_id: int, query: Query[DeleteQuery]
) -> Status:
    """Delete a subject and its links to classes (the classes stay). One holding pupils'
    targets or drop grades only with `confirm=true`: otherwise 409 says how many would
    go. Refused (422) while assignments use it for their grades."""
    require_role(request, *ADMINS)
    subject = access_subject(request, subject_id)
    held = scale_services.subject_holdings(subject)
    if (
        (held["targets"] or held["entries"])
        and not query.confirm
        and not subject.assignments.exists()
    ):
        detail = (
            f"{scale_services.holdings_text(held)} would be deleted with it; "
            "send confirm=true to delete them."
        )
        return Status(409, {"detail": detail, **held})
    scale_services.subject_delete(actor=request.user, subject=subject, confirm=query.confirm)
    return Status(204, None)


@router.get(
    f"{TRACKING}/subjects/{{subject_id}}/classes",
    response=responses(list[ClassRef]),
    summary="List the classes tracked in a subject",
)
def subject_classes(request: AccessRequest, school_id: int, subject_id: int) -> list:
    require_role(request, *ADMINS)
    subject = access_subject(request, subject_id)
    return [{"id": c.pk, "name": c.name} for c in selectors.subject_classes(subject)]


@router.put(
    f"{TRACKING}/subjects/{{subject_id}}/classes/{{class_id}}",
    response=responses(None, status=204),
    summary="Track a class in a subject",
)
def subject_class_link(
    request: AccessRequest, school_id: int, subject_id: int, class_id: int
) -> Status:
    """A class is tracked in one subject: linking it moves it from any other."""
    require_role(request, *ADMINS)
    scale_services.subject_class_link(
        actor=request.user,
        subject=access_subject(request, subject_id),
        teaching_class=access_class(request, class_id),
    )
    return Status(204, None)


@router.delete(
    f"{TRACKING}/subjects/{{subject_id}}/classes/{{class_id}}",
    response=responses(None, status=204),
    summary="Stop tracking a class in a subject",
)
def subject_class_unlink(
    request: AccessRequest, school_id: int, subject_id: int, class_id: int
) -> Status:
    require_role(request, *ADMINS)
    scale_services.subject_class_unlink(
        actor=request.user,
        subject=access_subject(request, subject_id),
        teaching_class=access_class(request, class_id),
    )
    return Status(204, None)
