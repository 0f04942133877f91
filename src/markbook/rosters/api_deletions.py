"""API twins of the deletion pages (DSR-7): a member of staff, a class and the whole
roster (administrators, school and trust); a pupil asking to have their account
deleted, and the teachers of their classes answering. The same services as the pages;
404 for other roles and for another school's objects; a refusal is a 422 naming why."""

from datetime import date

from django.http import Http404
from ninja import Router, Status
from pydantic import Field

from markbook.admission import ADMINS, AccessRequest, require_role, school_of
from markbook.core.api import InputSchema, responses
from markbook.privacy.api_erasure import PlanOut
from markbook.rights import selectors as rights_selectors
from markbook.rights.models import DataRequest
from markbook.rights.services import data_request_pass_to_lead
from markbook.rosters import services
from markbook.rosters.access import access_class, access_staff
from markbook.rosters.models import Pupil

router = Router(tags=["rosters"])

SCHOOL = "/schools/{school_id}"


class StaffImpactOut(InputSchema):
    plan: PlanOut
    refusals: list[str] = Field(description="Why it may not run: yourself, the only admin.")
    eligible: bool
    classes: int = Field(description="Classes they teach: they stay, without them.")


class FingerprintIn(InputSchema):
    fingerprint: str = Field(max_length=64, description="The impact check's fingerprint.")


class ClassImpactOut(InputSchema):
    enrolments: int
    teachers: int
    assignments: int
    marks: int


class RosterImpactOut(InputSchema):
    pupils: int
    classes: int
    enrolments: int
    assignments: int
    marks: int
    parent_links: int
    staff: int = Field(description="Staff accounts: not deleted by the roster deletion.")
    holds: list[str] = Field(description="Pupils under a legal hold, and why: it refuses.")
    eligible: bool
    in_progress: bool = Field(description="A background deletion is under way.")
    deleted_so_far: int = Field(description="Its pupils deleted so far.")


class RosterDeleteIn(InputSchema):
    confirm_name: str = Field(max_length=200, description="The school's name, exactly.")


class RosterOutcomeOut(InputSchema):
    pupils: int
    classes: int
    records: int
    background: bool = Field(
        description="Too many pupils to wait for: a background task deletes them in "
        "batches; GET .../roster/deletion shows how far it has got."
    )


class AskIn(InputSchema):
    details: str = Field("", max_length=2000, description="Why, if the pupil wants to say.")


class DeletionRequestOut(InputSchema):
    id: int
    pupil_id: int | None
    pupil: str
    received_on: date
    due_on: date


@router.get(
    f"{SCHOOL}/staff/{{user_id}}/deletion",
    response=responses(StaffImpactOut),
    summary="Check what deleting a member of staff will do",
)
def staff_delete_impact(request: AccessRequest, school_id: int, user_id: int) -> dict:
    require_role(request, *ADMINS)
    impact = services.staff_delete_impact(
        actor=request.user, school=school_of(request), user=access_staff(request, user_id)
    )
    plan = {**impact.plan.as_dict(), "eligible": impact.plan.eligible}
    return {
        "plan": plan,
        "refusals": impact.refusals,
        "eligible": impact.eligible,
        "classes": impact.classes,
    }


@router.post(
    f"{SCHOOL}/staff/{{user_id}}/deletion",
    response=responses(None, status=204),
    summary="Delete a member of staff, with their account",
)
def staff_delete(
    request: AccessRequest, school_id: int, user_id: int, payload: FingerprintIn
) -> Status:
    """Through the erasure engine, as the impact check said (DSR-7, DSR-4); never
    yourself or the school's only administrator (422 naming why)."""
    require_role(request, *ADMINS)
    services.staff_delete(
        actor=request.user,
        school=school_of(request),
        user=access_staff(request, user_id),
        fingerprint=payload.fingerprint,
    )
    return Status(204, None)


@router.get(
    f"{SCHOOL}/classes/{{class_id}}/deletion",
    response=responses(ClassImpactOut),
    summary="Check what deleting a class will do",
)
def class_delete_impact(request: AccessRequest, school_id: int, class_id: int) -> dict:
    require_role(request, *ADMINS)
    impact = services.class_delete_impact(teaching_class=access_class(request, class_id))
    return impact.__dict__


@router.get(
    f"{SCHOOL}/roster/deletion",
    response=responses(RosterImpactOut),
    summary="Check what deleting the whole roster will do",
)
def roster_delete_impact(request: AccessRequest, school_id: int) -> dict:
    require_role(request, *ADMINS)
    school = school_of(request)
    impact = services.roster_delete_impact(school=school)
    progress = services.roster_delete_progress(school=school)
    return {
        **impact.__dict__,
        "eligible": impact.eligible,
        "in_progress": progress is not None,
        "deleted_so_far": progress.done if progress else 0,
    }


@router.post(
    f"{SCHOOL}/roster/deletion",
    response=responses(RosterOutcomeOut),
    summary="Delete the whole roster: every pupil and class",
)
def roster_delete(request: AccessRequest, school_id: int, payload: RosterDeleteIn) -> dict:
    """Every pupil (erasure engine) and class; staff accounts stay (DSR-7). 422 unless
    `confirm_name` is the school's name exactly, or under a legal hold."""
    require_role(request, *ADMINS)
    school = school_of(request)
    impact = services.roster_delete_impact(school=school)
    if impact.pupils > services.ROSTER_INLINE_MAX:
        count = services.roster_delete_start(
            actor=request.user, school=school, confirm_name=payload.confirm_name
        )
        return {"pupils": count, "classes": impact.classes, "records": 0, "background": True}
    outcome = services.roster_delete(
        actor=request.user, school=school, confirm_name=payload.confirm_name
    )
    return {**outcome.__dict__, "background": False}


@router.post(
    f"{SCHOOL}/me/deletion-request",
    response=responses(DeletionRequestOut, status=201),
    summary="Ask to have my account deleted (pupils)",
)
def me_delete_ask(request: AccessRequest, school_id: int, payload: AskIn) -> Status:
    """A pupil cannot delete their own account (DSR-7): this asks the teachers of their
    classes (an erasure request, made on their own page)."""
    require_role(request, "pupil")
    pupil = Pupil.objects.filter(user=request.user).first()
    if pupil is None:
        raise Http404
    made = services.pupil_deletion_ask(actor=request.user, pupil=pupil, details=payload.details)
    return Status(201, _request(made))


def _request(data_request: DataRequest) -> dict:
    pupil = data_request.subject_pupil
    return {
        "id": data_request.pk,
        "pupil_id": pupil.pk if pupil else None,
        "pupil": pupil.display_name if pupil else "",
        "received_on": data_request.received_on,
        "due_on": data_request.due_on,
    }


@router.get(
    f"{SCHOOL}/deletion-requests",
    response=responses(list[DeletionRequestOut]),
    summary="Pupils of my classes who asked to have their account deleted",
)
def deletion_requests(request: AccessRequest, school_id: int) -> list:
    """Teachers; delete one with DELETE .../pupils/{pupil_id}?request_id=..., which
    answers the request, or pass it to the data protection lead."""
    require_role(request, "teacher")
    return [_request(r) for r in rights_selectors.pupil_deletion_requests_for(request.user)]


@router.post(
    f"{SCHOOL}/deletion-requests/{{deletion_request_id}}/pass",
    response=responses(None, status=204),
    summary="Pass a pupil's request to delete their account to the data protection lead",
)
def deletion_request_pass(
    request: AccessRequest, school_id: int, deletion_request_id: int
) -> Status:
    require_role(request, "teacher")
    found = rights_selectors.pupil_deletion_requests_for(request.user).filter(
        pk=deletion_request_id
    )
    data_request = found.first()
    if data_request is None:
        raise Http404
    data_request_pass_to_lead(actor=request.user, data_request=data_request)
    return Status(204, None)
