"""API: a school's data drops, what they collect, their lock, deletion and completion
(ASM-4), through the same services as the drop pages (tracking/drops.py).

Conventions as in tracking/api.py: wrong role or invisible object 404; bad input 422
naming the field; deleting a drop that holds entries a 409 saying how many, until it
is sent again with `confirm=true`.
"""

from typing import Any

from ninja import Query, Router, Status

from markbook.admission import ADMINS, STAFF, AccessRequest, require_role, school_of
from markbook.core.api import responses
from markbook.tracking import drops as drop_services
from markbook.tracking import selectors
from markbook.tracking.access import access_drop, access_scale
from markbook.tracking.api_schemas import (
    CompletionOut,
    DeleteQuery,
    DropFieldIn,
    DropHeldOut,
    DropIn,
    DropOut,
    DropPatch,
)
from markbook.tracking.models import DataDrop

router = Router(tags=["tracking"])

TRACKING = "/schools/{school_id}/tracking"


def _drop(drop: DataDrop) -> dict[str, Any]:
    return {
        "id": drop.pk,
        "name": drop.name,
        "date": drop.date,
        "deadline": drop.deadline,
        "year_groups": drop.year_groups,
        "locked": drop.locked_at is not None,
        "fields": [
            {"key": f.key, "label": f.label, "scale_id": f.scale_id} for f in drop.fields.all()
        ],
    }


def _drop_of(drop_id: int) -> dict[str, Any]:
    return _drop(selectors.drops().get(pk=drop_id))


def _fields(request: AccessRequest, fields: list[DropFieldIn]) -> list[drop_services.FieldSpec]:
    return [
        drop_services.FieldSpec(
            f.label, f.key, access_scale(request, f.scale_id) if f.scale_id else None
        )
        for f in fields
    ]


@router.get(f"{TRACKING}/drops", response=responses(list[DropOut]), summary="List data drops")
def drops(request: AccessRequest, school_id: int) -> list:
    require_role(request, *STAFF)
    return [_drop(d) for d in selectors.drops()]


@router.post(
    f"{TRACKING}/drops", response=responses(DropOut, status=201), summary="Add a data drop"
)
def drop_create(request: AccessRequest, school_id: int, payload: DropIn) -> Status:
    require_role(request, *ADMINS)
    drop = drop_services.drop_create(
        actor=request.user,
        school=school_of(request),
        name=payload.name,
        date=payload.date,
        deadline=payload.deadline,
        year_groups=payload.year_groups,
        fields=_fields(request, payload.fields),
    )
    return Status(201, _drop_of(drop.pk))


@router.get(f"{TRACKING}/drops/{{drop_id}}", response=responses(DropOut), summary="Get a data drop")
def drop_detail(request: AccessRequest, school_id: int, drop_id: int) -> dict:
    require_role(request, *STAFF)
    return _drop_of(access_drop(request, drop_id).pk)


@router.patch(
    f"{TRACKING}/drops/{{drop_id}}", response=responses(DropOut), summary="Change a data drop"
)
def drop_update(request: AccessRequest, school_id: int, drop_id: int, payload: DropPatch) -> dict:
    """Change a drop as its edit page does; its fields are matched by key, so their
    entries stay, and one holding entries cannot be removed or moved to another scale."""
    require_role(request, *ADMINS)
    drop = access_drop(request, drop_id)
    sent = payload.model_fields_set
    fields = (
        _fields(request, payload.fields)
        if payload.fields is not None
        else [
            drop_services.FieldSpec(f.label, f.key, f.scale)
            for f in drop.fields.select_related("scale")
        ]
    )
    drop_services.drop_update(
        actor=request.user,
        drop=drop,
        name=payload.name if payload.name is not None else drop.name,
        date=payload.date if payload.date is not None else drop.date,
        deadline=payload.deadline if "deadline" in sent else drop.deadline,
        year_groups=payload.year_groups if payload.year_groups is not None else drop.year_groups,
        fields=fields,
    )
    return _drop_of(drop.pk)


@router.delete(
    f"{TRACKING}/drops/{{drop_id}}",
    response={**responses(None, status=204), 409: DropHeldOut},
    summary="Delete a data drop",
)
def drop_delete(
    request: AccessRequest, school_id: int, drop_id: int, query: Query[DeleteQuery]
) -> Status:
    """Delete a drop and what it collects; one holding entries only with `confirm=true`
    (otherwise 409 says how many entries, for how many pupils, would go)."""
    require_role(request, *ADMINS)
    drop = access_drop(request, drop_id)
    held = drop_services.drop_holdings(drop)
    if held["entries"] and not query.confirm:
        detail = (
            f"{held['entries']} entries for {held['pupils']} pupils would be deleted with it; "
            "send confirm=true to delete them."
        )
        return Status(409, {"detail": detail, **held})
    drop_services.drop_delete(actor=request.user, drop=drop, confirm=query.confirm)
    return Status(204, None)


@router.post(
    f"{TRACKING}/drops/{{drop_id}}/lock", response=responses(DropOut), summary="Lock a drop"
)
def drop_lock(request: AccessRequest, school_id: int, drop_id: int) -> dict:
    """Lock the drop against entry (audited); locking a locked drop changes nothing."""
    require_role(request, *ADMINS)
    drop = drop_services.drop_lock(actor=request.user, drop=access_drop(request, drop_id))
    return _drop_of(drop.pk)


@router.post(
    f"{TRACKING}/drops/{{drop_id}}/unlock", response=responses(DropOut), summary="Unlock a drop"
)
def drop_unlock(request: AccessRequest, school_id: int, drop_id: int) -> dict:
    require_role(request, *ADMINS)
    drop = drop_services.drop_unlock(actor=request.user, drop=access_drop(request, drop_id))
    return _drop_of(drop.pk)


@router.get(
    f"{TRACKING}/drops/{{drop_id}}/completion",
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
