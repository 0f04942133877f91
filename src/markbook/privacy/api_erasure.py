"""API: the school's data protection lead places and lifts legal holds (RET-3), checks
what erasing a person will do and erases them (DSR-4); the same services as the pages."""

from datetime import datetime

from django.core.exceptions import ValidationError
from ninja import Router, Status
from ninja.errors import HttpError
from pydantic import Field

from markbook.accounts.models import User
from markbook.admission import AccessRequest, require_role, school_of
from markbook.core.api import ErrorOut, InputSchema, responses
from markbook.privacy import access, selectors, services
from markbook.privacy.erasure import ErasurePlan, ErasureRefused
from markbook.privacy.models import LegalHold
from markbook.privacy.selectors import hold_label
from markbook.rosters.models import Pupil

router = Router(tags=["privacy"])
S = "/schools/{school_id}/privacy"
DPO = "dpo"


class HoldIn(InputSchema):
    pupil_id: int | None = Field(None, description="The pupil to hold; or user_id.")
    user_id: int | None = Field(None, description="The member of staff or parent to hold.")
    reason: str = Field(max_length=1000, description="Why: a claim, an inquiry.")


class LiftIn(InputSchema):
    reason: str = Field(max_length=1000, description="Why the hold is lifted.")


class HoldOut(InputSchema):
    id: int
    pupil_id: int | None
    user_id: int | None
    class_id: int | None
    whole_school: bool
    person: str
    reason: str
    placed_at: datetime
    placed_by: str
    active: bool
    lifted_at: datetime | None
    lift_reason: str


class StepOut(InputSchema):
    model: str
    what: str
    action: str = Field(description='"delete", or "update" (fields removed)')
    count: int
    fields: list[str]
    about: bool = Field(description="The rows are about the person, not others' naming them.")


class KeptOut(InputSchema):
    what: str
    count: int
    reason: str


class PlanOut(InputSchema):
    subject_kind: str
    pseudonym: str = Field(description="How others' records will refer to them.")
    goes: list[StepOut]
    stays: list[KeptOut]
    refusals: list[str] = Field(description="Why it may not run now; empty when it may.")
    eligible: bool
    log_events: int
    fingerprint: str = Field(description="Send it back to erase: refused if the data changed.")


class EraseIn(InputSchema):
    fingerprint: str = Field(max_length=64, description="The impact check's fingerprint.")


class OutcomeOut(InputSchema):
    pseudonym: str
    rows_deleted: int
    rows_changed: int
    log_events_redacted: int


def _hold(hold: LegalHold) -> dict:
    person = hold_label(hold)
    return {
        "id": hold.pk,
        "pupil_id": hold.pupil_id,
        "user_id": hold.user_id,
        "class_id": hold.teaching_class_id,
        "whole_school": hold.whole_school,
        "person": person,
        "reason": hold.reason,
        "placed_at": hold.placed_at,
        "placed_by": hold.placed_by.display_name if hold.placed_by else "",
        "active": hold.active,
        "lifted_at": hold.lifted_at,
        "lift_reason": hold.lift_reason,
    }


def _plan(plan: ErasurePlan) -> dict:
    return {**plan.as_dict(), "eligible": plan.eligible}


@router.get(f"{S}/holds", response=responses(list[HoldOut]), summary="List legal holds")
def holds(request: AccessRequest, school_id: int) -> list:
    """The school's legal holds, in place first (RET-3); its data protection lead only."""
    require_role(request, DPO)
    return [_hold(h) for h in selectors.legal_holds()]


@router.post(f"{S}/holds", response=responses(HoldOut, status=201), summary="Place a legal hold")
def hold_place(request: AccessRequest, school_id: int, payload: HoldIn) -> Status:
    """Hold a pupil's (pupil_id) or a person's (user_id) data: no erasure while in place."""
    require_role(request, DPO)
    subject: Pupil | User
    if payload.pupil_id is not None:
        subject = access.access_pupil(request, payload.pupil_id)
    elif payload.user_id is not None:
        subject = access.access_person(request, payload.user_id)
    else:
        raise ValidationError({"pupil_id": ["Say whose data to hold: pupil_id or user_id."]})
    hold = services.legal_hold_place(
        actor=request.user, school=school_of(request), subject=subject, reason=payload.reason
    )
    return Status(201, _hold(hold))


@router.post(
    f"{S}/holds/{{hold_id}}/lift", response=responses(HoldOut), summary="Lift a legal hold"
)
def hold_lift(request: AccessRequest, school_id: int, hold_id: int, payload: LiftIn) -> dict:
    require_role(request, DPO)
    hold = services.legal_hold_lift(
        actor=request.user, hold=access.access_hold(request, hold_id), reason=payload.reason
    )
    return _hold(hold)


def _impact(request: AccessRequest, subject: Pupil | User) -> dict:
    plan = services.erasure_impact_read(
        actor=request.user, school=school_of(request), subject=subject
    )
    return _plan(plan)


def _erase(request: AccessRequest, subject: Pupil | User, payload: EraseIn) -> dict:
    try:
        outcome = services.person_erase(
            actor=request.user,
            school=school_of(request),
            subject=subject,
            fingerprint=payload.fingerprint,
        )
    except ErasureRefused as error:
        raise HttpError(409, str(error)) from None
    return {
        "pseudonym": outcome.pseudonym,
        "rows_deleted": outcome.rows_deleted,
        "rows_changed": outcome.rows_changed,
        "log_events_redacted": outcome.log_events_redacted,
    }


ERASE = {**responses(OutcomeOut), 409: ErrorOut}


@router.get(
    f"{S}/erasure/pupils/{{pupil_id}}",
    response=responses(PlanOut),
    summary="Check what erasing a pupil will do",
)
def pupil_impact(request: AccessRequest, school_id: int, pupil_id: int) -> dict:
    """What goes, what stays and why, and whether it may run now (DSR-4)."""
    require_role(request, DPO)
    return _impact(request, access.access_pupil(request, pupil_id))


@router.post(f"{S}/erasure/pupils/{{pupil_id}}", response=ERASE, summary="Erase a pupil")
def pupil_erase(request: AccessRequest, school_id: int, pupil_id: int, payload: EraseIn) -> dict:
    """Erase as the impact check said; 409 with the reason when a legal hold or new data
    stops it (nothing is changed then)."""
    require_role(request, DPO)
    return _erase(request, access.access_pupil(request, pupil_id), payload)


@router.get(
    f"{S}/erasure/people/{{user_id}}",
    response=responses(PlanOut),
    summary="Check what erasing a member of staff or parent will do",
)
def person_impact(request: AccessRequest, school_id: int, user_id: int) -> dict:
    require_role(request, DPO)
    return _impact(request, access.access_person(request, user_id))


@router.post(
    f"{S}/erasure/people/{{user_id}}", response=ERASE, summary="Erase a member of staff or parent"
)
def person_erase(request: AccessRequest, school_id: int, user_id: int, payload: EraseIn) -> dict:
    require_role(request, DPO)
    return _erase(request, access.access_person(request, user_id), payload)
