"""API: a school administrator reads the school's own access log (SEC-1)."""

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema

from markbook.admission import AccessRequest, require_role
from markbook.audit import selectors
from markbook.core.api import PageIn, responses

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    seq: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    ip: str | None
    data: dict[str, Any]
    hash: str
    prev_hash: str
    redacted: bool


class AuditPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[AuditEventOut]


@router.get(
    "/schools/{school_id}/audit", response=responses(AuditPageOut), summary="Read the access log"
)
def audit_log(request: AccessRequest, school_id: int, page: Query[PageIn]) -> dict:
    """The school's access log, newest first; school administrators only (SEC-1)."""
    require_role(request, "school_admin")
    events = selectors.events_for_log()
    items = events[page.offset : page.offset + page.limit]
    return {
        "count": events.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [
            {
                **{
                    name: getattr(e, name)
                    for name in AuditEventOut.model_fields
                    if name != "redacted"
                },
                "redacted": e.redacted_at is not None,
            }
            for e in items
        ],
    }
