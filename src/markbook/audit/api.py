"""API: a school administrator reads the school's own access log (SEC-1), with the
same filters and the same words as the log page."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema
from pydantic import Field

from markbook.admission import AccessRequest, require_role, school_of
from markbook.audit import describe, selectors
from markbook.core.api import PageIn, responses

router = Router(tags=["audit"])


class AuditFilterIn(PageIn):
    person: str = Field("", max_length=100, description="A pupil or person the event is about.")
    actor: str = Field("", max_length=100, description="Who did it: name or email.")
    action: str = Field("", max_length=100, description="An action name, or its start.")
    since: date | None = Field(None, description="From this day (inclusive).")
    until: date | None = Field(None, description="To this day (inclusive).")
    changes_only: bool = Field(False, description="Leave out reads of pupil data.")


class AuditEventOut(Schema):
    seq: int
    at: datetime
    actor_id: int | None
    actor_label: str
    actor: str = Field(description="Who, in words, with their roles in the school.")
    action: str
    description: str = Field(description="What they did, in words.")
    target_type: str
    target_id: str
    target: str = Field(description='What it was about: "Pupil Amy Adams (Year 7)".')
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


RAW = ("seq", "at", "actor_id", "actor_label", "action", "target_type", "target_id", "ip")


@router.get(
    "/schools/{school_id}/audit", response=responses(AuditPageOut), summary="Read the access log"
)
def audit_log(request: AccessRequest, school_id: int, filters: Query[AuditFilterIn]) -> dict:
    """The school's access log, newest first, filtered as on the log page; school
    administrators only (SEC-1)."""
    require_role(request, "school_admin")
    if filters.since and filters.until and filters.since > filters.until:
        raise ValidationError({"until": ["The end date is before the start date."]})
    events = selectors.events_for_log(
        selectors.LogFilter(
            person=filters.person.strip(),
            actor=filters.actor.strip(),
            action=filters.action.strip(),
            since=filters.since,
            until=filters.until,
            changes_only=filters.changes_only,
        )
    )
    items = list(events[filters.offset : filters.offset + filters.limit])
    rows = describe.describe(items, school_of(request))
    return {
        "count": events.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            {
                **{name: getattr(row.event, name) for name in RAW},
                "actor": row.actor,
                "description": row.what,
                "target": row.target,
                "data": row.event.data,
                "hash": row.event.hash,
                "prev_hash": row.event.prev_hash,
                "redacted": row.event.redacted_at is not None,
            }
            for row in rows
        ],
    }
