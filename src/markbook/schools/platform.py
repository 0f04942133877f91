"""The platform's list of schools, for Markbook's platform staff (TEN-1, RET-5): each
school's subscription (state, dates, when its data is deleted), changing it for a
recorded reason, and deleting an ended school's data and key at the school's request.

What platform staff see here is about the subscription only: no pupil, no member of
staff, no mark. A school's own pages open to them only under its support grant (TEN-6).
The pages (`platform_views`) and the API (`platform_api`) read through these
functions and write through `lifecycle.school_status_change` and
`deletion.school_delete`, so a rule is written once.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.schools import lifecycle
from markbook.schools.models import School

# The list's filter: every state, and the schools whose data was deleted.
DELETED = "deleted"
FILTERS = (*School.Status.values, DELETED)


def platform_schools(state: str = "") -> QuerySet[School]:
    """Every school, the deleted ones too (`School.records`), by name; `state` one of
    FILTERS narrows it ("" for all). One query with their trusts."""
    schools = School.records.select_related("trust").order_by("name", "pk")
    if state == DELETED:
        return schools.filter(deleted_at__isnull=False)
    if state in School.Status.values:
        return schools.filter(status=state, deleted_at__isnull=True)
    return schools


def platform_school(school_id: int) -> School:
    """One school by id, a deleted one too; 404 when there is none."""
    school = School.records.select_related("trust").filter(pk=school_id).first()
    if school is None:
        raise Http404
    return school


def next_states(school: School) -> tuple[str, ...]:
    """The states a school can be moved to from its own (itself first: a renewal's new
    dates); none once its data is deleted."""
    if school.deleted_at is not None:
        return ()
    return (school.status, *lifecycle.TRANSITIONS[school.status])


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    by: str
    old: str
    new: str
    reason: str


def status_history(school: School, *, limit: int = 20) -> list[StatusChange]:
    """The school's subscription changes, newest first, from its own access log: who,
    when, from what to what and why (none once its log is deleted with it)."""
    if school.deleted_at is not None:
        return []
    with school_scope(school):
        events = AuditEvent.objects.filter(action="schools.status.changed").order_by("-seq")[:limit]
        return [
            StatusChange(
                at=e.at,
                by=e.actor_label,
                old=str(e.data.get("old", "")),
                new=str(e.data.get("new", "")),
                reason=str(e.data.get("reason", "")),
            )
            for e in events
        ]


def summary(school: School) -> dict[str, object]:
    """What the list and the API say of a school's subscription."""
    return {
        "id": school.pk,
        "name": school.name,
        "urn": school.urn,
        "trust": school.trust.name if school.trust else None,
        "status": school.status,
        "trial_ends": school.trial_ends,
        "subscription_ends": school.subscription_ends,
        "ended_on": school.ended_on,
        "deletion_due_on": lifecycle.deletion_due_on(school),
        "emergency_suspended": school.emergency_suspended_at is not None,
        "deleted_at": school.deleted_at,
    }
