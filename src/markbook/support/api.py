"""API: support grants (TEN-6): the school's administrators grant, list and revoke
platform staff access and read what was done under each grant. The same services as
the page."""

from datetime import datetime
from typing import Any

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.admission import AccessRequest, require_role, school_of
from markbook.core.api import InputSchema, responses
from markbook.support import selectors, services
from markbook.support.models import SupportGrant

router = Router(tags=["support access"])
SCHOOL = "/schools/{school_id}"


class GrantOut(Schema):
    id: int
    staff_email: str
    granted_by_id: int | None
    reason: str
    scope: str = Field(description="read or change")
    areas: list[str]
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    live: bool


class GrantIn(InputSchema):
    staff_email: str = Field(max_length=254)
    reason: str = Field(max_length=2000)
    scope: str = Field("read", max_length=6, description="read or change")
    areas: list[str] = Field(max_length=10, description="roster, assessment, settings, privacy")
    expires_at: datetime


class LogOut(Schema):
    at: datetime
    change: bool
    method: str
    path: str
    status: int | None
    ip: str | None


def _grant(g: SupportGrant) -> dict[str, Any]:
    return {
        "id": g.pk,
        "staff_email": g.staff.email,
        "granted_by_id": g.granted_by_id,
        "reason": g.reason,
        "scope": g.scope,
        "areas": g.areas,
        "granted_at": g.granted_at,
        "expires_at": g.expires_at,
        "revoked_at": g.revoked_at,
        "live": g.live(),
    }


def _find(request: AccessRequest, grant_id: int) -> SupportGrant:
    require_role(request, "school_admin")
    found = selectors.grants().filter(pk=grant_id).first()
    if found is None:
        raise Http404
    return found


@router.get(
    f"{SCHOOL}/support-grants", response=responses(list[GrantOut]), summary="List support grants"
)
def grants_list(request: AccessRequest, school_id: int) -> list[dict[str, Any]]:
    require_role(request, "school_admin")
    return [_grant(g) for g in selectors.grants()]


@router.post(
    f"{SCHOOL}/support-grants",
    response=responses(GrantOut, status=201),
    summary="Grant support access",
)
def grant_create(request: AccessRequest, school_id: int, payload: GrantIn) -> Status:
    """Grant a named member of Markbook's platform staff time-limited access (TEN-6)."""
    require_role(request, "school_admin")
    grant = services.support_grant_create(
        actor=request.user, school=school_of(request), **payload.model_dump()
    )
    return Status(201, _grant(grant))


@router.post(
    f"{SCHOOL}/support-grants/{{grant_id}}/revoke",
    response=responses(GrantOut),
    summary="End support access now",
)
def grant_revoke(request: AccessRequest, school_id: int, grant_id: int) -> dict[str, Any]:
    grant = services.support_grant_revoke(actor=request.user, grant=_find(request, grant_id))
    return _grant(grant)


@router.get(
    f"{SCHOOL}/support-grants/{{grant_id}}/log",
    response=responses(list[LogOut]),
    summary="What was read and changed under a grant",
)
def grant_log(request: AccessRequest, school_id: int, grant_id: int) -> list[dict[str, Any]]:
    return [
        {
            "at": e.at,
            "change": e.action == "support.request.changed",
            "method": e.data.get("method", ""),
            "path": e.data.get("path", ""),
            "status": e.data.get("status"),
            "ip": e.ip,
        }
        for e in selectors.grant_log(_find(request, grant_id))
    ]
