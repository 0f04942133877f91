"""API: the platform's list of schools, for Markbook's platform staff (TEN-1, RET-5;
404 for everyone else), as on its pages: each school's subscription, changing it for a
recorded reason, and deleting an ended school's data and key. See schools.platform."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.admission import AccessRequest, require_platform_staff
from markbook.core.api import ErrorOut, InputSchema, responses
from markbook.schools import deletion, lifecycle, platform
from markbook.schools.api import SubscriptionOut

router = Router(tags=["platform"])
ONE = "/platform/schools/{platform_school_id}"


class PlatformSchoolOut(SubscriptionOut):
    id: int
    name: str
    urn: str
    trust: str | None
    emergency_suspended: bool = Field(
        description="Suspended by its administrators in an emergency."
    )
    deleted_at: datetime | None = Field(description="When its data was deleted.")


class StatusChangeOut(Schema):
    at: datetime
    by: str
    old: str
    new: str
    reason: str


class PlatformSchoolDetailOut(PlatformSchoolOut):
    next_states: list[str] = Field(description="The states it can be moved to now.")
    history: list[StatusChangeOut]


class StatusIn(InputSchema):
    """The state, and the dates to change with it: a date left out stays as it is,
    null clears it. The same state and dates again change nothing."""

    status: str = Field(max_length=10, description="trial, active, suspended or ended.")
    reason: str = Field("", max_length=lifecycle.REASON_MAX, description="Recorded; required.")
    trial_ends: date | None = None
    subscription_ends: date | None = None
    ended_on: date | None = Field(None, description="When ending it; today if left out.")


class TableOut(Schema):
    table: str
    name: str
    rows: int


class DeletionPlanOut(Schema):
    plan: str = Field(description="The plan's code: send it back to delete exactly this.")
    rows: int = Field(description="Rows of the school's own tables (accounts not included).")
    tables: list[TableOut]
    accounts: int = Field(description="Accounts of nobody else, deleted with it.")
    accounts_kept: int = Field(description="Accounts of other schools, kept without it.")
    log_events: int
    kept: dict[str, int] = Field(description="Rows that outlive it, by table.")
    refusals: list[str] = Field(description="Why it cannot be deleted now; empty if it can.")


class DeletionIn(InputSchema):
    plan: str = Field(max_length=64, description="The code of the plan read.")
    reason: str = Field(max_length=deletion.REASON_MAX)


class DeletionOut(Schema):
    rows: int = Field(
        description="Rows deleted in all, the accounts and what went with them included."
    )
    tables: dict[str, int] = Field(description="Rows deleted, by table.")
    accounts: int = Field(description="Accounts of nobody else deleted (counted in rows too).")
    log_events: int = Field(description="Entries of the school's access log deleted.")


def _detail(school: Any) -> dict[str, Any]:
    return {
        **platform.summary(school),
        "next_states": list(platform.next_states(school)),
        "history": [vars(c) for c in platform.status_history(school)],
    }


def _plan(plan: deletion.DeletionPlan) -> dict[str, Any]:
    return {
        "plan": plan.fingerprint,
        "rows": plan.rows,
        "tables": [{"table": t.label, "name": t.name, "rows": t.rows} for t in plan.tables],
        "accounts": plan.accounts,
        "accounts_kept": plan.accounts_kept,
        "log_events": plan.log_events,
        "kept": plan.kept,
        "refusals": plan.refusals,
    }


@router.get(
    "/platform/schools",
    response=responses(list[PlatformSchoolOut]),
    summary="List the schools and their subscriptions",
)
def schools_list(request: AccessRequest, state: str = "") -> list[dict[str, Any]]:
    """Every school by name, the deleted ones too; `state` (trial, active, suspended,
    ended or deleted) narrows the list."""
    require_platform_staff(request)
    if state and state not in platform.FILTERS:
        raise ValidationError(
            {"state": [f"{state!r} is not one of {', '.join(platform.FILTERS)}."]}
        )
    return [platform.summary(s) for s in platform.platform_schools(state)]


@router.get(
    ONE, response=responses(PlatformSchoolDetailOut), summary="Read a school's subscription"
)
def school_read(request: AccessRequest, platform_school_id: int) -> dict[str, Any]:
    require_platform_staff(request)
    return _detail(platform.platform_school(platform_school_id))


@router.post(
    f"{ONE}/status",
    response=responses(PlatformSchoolDetailOut),
    summary="Change a school's subscription",
)
def school_status(
    request: AccessRequest, platform_school_id: int, payload: StatusIn
) -> dict[str, Any]:
    """Move it to another state, or change its dates, for a reason recorded in the
    school's own access log. A deleted school cannot be changed (422)."""
    require_platform_staff(request)
    school = platform.platform_school(platform_school_id)
    if school.deleted_at is not None:
        raise ValidationError({"status": ["The school's data is deleted: it cannot change."]})
    dates = payload.model_dump(include={"trial_ends", "subscription_ends"}, exclude_unset=True)
    changed = lifecycle.school_status_change(
        actor=request.user,
        school=school,
        status=payload.status,
        reason=payload.reason,
        ended_on=payload.ended_on,
        **dates,
    )
    return _detail(changed)


@router.get(
    f"{ONE}/deletion",
    response=responses(DeletionPlanOut),
    summary="What deleting a school's data would delete",
)
def deletion_plan(request: AccessRequest, platform_school_id: int) -> dict[str, Any]:
    """Nothing is changed. `refusals` says why it cannot go ahead now (not ended, a
    legal hold, deleted already); `plan` is the code the deletion needs."""
    require_platform_staff(request)
    return _plan(deletion.school_deletion_plan(platform.platform_school(platform_school_id)))


@router.post(
    f"{ONE}/deletion",
    response={**responses(DeletionOut), 409: ErrorOut},
    summary="Delete an ended school's data and key",
)
def deletion_run(request: AccessRequest, platform_school_id: int, payload: DeletionIn) -> Any:
    """Delete exactly the plan read (its `plan` code): every row of the school, the
    accounts of nobody else, its access log and its key. 409, deleting nothing, when
    it cannot be deleted now or its data changed since the plan was read."""
    require_platform_staff(request)
    school = platform.platform_school(platform_school_id)
    try:
        outcome = deletion.school_delete(
            school=school, fingerprint=payload.plan, actor=request.user, reason=payload.reason
        )
    except deletion.DeletionRefused as error:
        return Status(409, {"detail": f"Nothing was deleted. {error}"})
    return {
        "rows": outcome.rows,
        "tables": outcome.tables,
        "accounts": outcome.accounts,
        "log_events": outcome.log_events,
    }
