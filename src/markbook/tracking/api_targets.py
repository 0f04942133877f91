"""API: a school's KS2 target tables and its pupils' targets (ASM-4): set one, import a
CSV, or derive them from KS2 results, through the same services as the target pages
(tracking/targets.py).

Conventions as in tracking/api.py: wrong role or invisible object 404; bad input 422
naming the field.
"""

from typing import Any

from django.core.exceptions import ValidationError
from ninja import Router

from markbook.admission import ADMINS, STAFF, AccessRequest, require_role, school_of
from markbook.core.api import responses
from markbook.tracking import selectors
from markbook.tracking import targets as target_services
from markbook.tracking.access import access_scale, access_subject, access_target_pupil
from markbook.tracking.api_schemas import (
    TargetIn,
    TargetOut,
    TargetRuleOut,
    TargetRulesIn,
    TargetsFromKs2In,
    TargetsFromKs2Out,
    TargetsImportIn,
    TargetsImportOut,
)
from markbook.tracking.models import Grade, GradeScale

router = Router(tags=["tracking"])

TRACKING = "/schools/{school_id}/tracking"


def _grade_named(scale: GradeScale, label: str, field: str) -> Grade:
    grade = Grade.objects.filter(scale=scale, label__iexact=label.strip()).first()
    if grade is None:
        raise ValidationError({field: [f"{label} is not a grade of {scale.name}."]})
    return grade


def _rules(scale: GradeScale) -> list[dict[str, Any]]:
    return [
        {"ks2_minimum": r.ks2_minimum, "grade": r.grade.label}
        for r in selectors.target_rules(scale)
    ]


@router.get(
    f"{TRACKING}/scales/{{scale_id}}/target-rules",
    response=responses(list[TargetRuleOut]),
    summary="Read a scale's KS2 target table",
)
def target_rules(request: AccessRequest, school_id: int, scale_id: int) -> list:
    """The school's table from KS2 average to a target on this scale, lowest first."""
    require_role(request, *ADMINS)
    return _rules(access_scale(request, scale_id))


@router.put(
    f"{TRACKING}/scales/{{scale_id}}/target-rules",
    response=responses(list[TargetRuleOut]),
    summary="Replace a scale's KS2 target table",
)
def target_rules_set(
    request: AccessRequest, school_id: int, scale_id: int, payload: TargetRulesIn
) -> list:
    """The whole table, as its page saves it: each row the lowest KS2 average for a
    grade of the scale (ASM-4); audited with old and new."""
    require_role(request, *ADMINS)
    scale = access_scale(request, scale_id)
    rows = [(r.ks2_minimum, _grade_named(scale, r.grade, "rules")) for r in payload.rules]
    target_services.target_rules_set(actor=request.user, scale=scale, rows=rows)
    return _rules(scale)


# --- Targets ---------------------------------------------------------------------


@router.put(
    f"{TRACKING}/subjects/{{subject_id}}/targets/{{pupil_id}}",
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
    f"{TRACKING}/targets/import",
    response=responses(TargetsImportOut),
    summary="Import targets from CSV",
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


@router.post(
    f"{TRACKING}/targets/from-ks2",
    response=responses(TargetsFromKs2Out),
    summary="Set targets from KS2 results",
)
def targets_from_ks2(request: AccessRequest, school_id: int, payload: TargetsFromKs2In) -> dict:
    """Targets from KS2 prior attainment by the school's target tables, for the pupils
    of every tracked class, as the tracking page does (ASM-4); targets imported or set
    by a teacher are kept unless `overwrite`."""
    require_role(request, *ADMINS)
    return target_services.targets_from_ks2(
        actor=request.user, school=school_of(request), overwrite=payload.overwrite
    )
