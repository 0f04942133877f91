"""API: data-subject requests (DSR-6, DSR-8, DSR-9), the school's data protection
lead and its term dates, as on the pages: the same services.

Who (TEN-3): anyone in the school makes a request about themself, a parent about a
linked child; staff record one on someone's behalf (`on_behalf`). Requesters see
their own requests; the data protection lead sees all of the school's and acts on
them; other staff only those they recorded; another school's users nothing (404).

Errors: 404 for a request, pupil or person the caller may not see or that is not in
the school; 422 naming the field for a refusal (approving a refused request or one
whose identity is not checked, refusing or extending without a reason, a second
extension, a stage that moved on meanwhile), with nothing changed.
"""

from datetime import date, datetime
from typing import Literal

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.admission import ADMINS, AccessRequest, require_role, school_of
from markbook.core.api import InputSchema, responses
from markbook.rights import access, intake, leads, passing_on, selectors, services, terms
from markbook.rights.models import DataRequest

router = Router(tags=["data-protection requests"])

SCHOOL = "/schools/{school_id}"
REQUESTS = f"{SCHOOL}/data-requests"
ONE = f"{REQUESTS}/{{data_request_id}}"

KindIn = Literal[
    "access",
    "portability",
    "rectification",
    "erasure",
    "restriction",
    "objection",
    "educational_record",
]


class DataRequestOut(Schema):
    id: int
    kind: str
    kind_label: str
    stage: str
    stage_label: str
    subject_kind: str
    subject: str
    requester_kind: str
    requester: str
    channel: str
    details: str
    received_on: date
    due_on: date
    days_left: int = Field(description="Calendar days to the due date; negative when overdue.")
    days_overdue: int
    overdue: bool
    near_due: bool = Field(description="Open and due within 7 days.")
    extended: bool
    extension_reason: str
    identity_method: str
    identity_checked_at: datetime | None
    refusal_reason: str
    by_hand: bool = Field(description="Carried out by the data protection lead by hand.")
    outcome_note: str
    failed_stage: str
    error: str
    progress_done: int
    progress_total: int
    progress_stage: str
    next_step: str


class EventOut(Schema):
    at: datetime
    actor: str
    from_stage: str
    to_stage: str
    note: str


class DataRequestDetailOut(DataRequestOut):
    history: list[EventOut]


class DataRequestIn(InputSchema):
    """`on_behalf` false: the caller's own request, about themself (`subject` "me") or,
    for a parent, a linked child ("pupil" with `pupil_id`). `on_behalf` true (staff):
    about a pupil (`pupil_id`) or a parent or member of staff (`email`), with who asked
    and how it arrived."""

    kind: KindIn
    on_behalf: bool = False
    subject: Literal["me", "pupil"] = "me"
    pupil_id: int | None = None
    email: str = Field("", max_length=254)
    requester_kind: Literal["self", "parent", "school"] = "school"
    requester_name: str = Field("", max_length=200)
    channel: Literal["letter", "email", "in_person", "phone"] = "letter"
    received_on: date | None = None
    details: str = Field("", max_length=4000)


class IdentityIn(InputSchema):
    method: Literal["signed_in", "known_in_person", "document", "known_contact", "other"]
    note: str = Field("", max_length=2000)


class NoteIn(InputSchema):
    note: str = Field("", max_length=2000)


class ReasonIn(InputSchema):
    reason: str = Field("", max_length=2000)


def _out(request: DataRequest) -> dict:
    return selectors.request_summary(request)


def _detail(http: AccessRequest, request: DataRequest) -> dict:
    services.data_request_viewed(actor=http.user, data_request=request)
    return {**_out(request), "history": selectors.history(request)}


@router.get(REQUESTS, response=responses(list[DataRequestOut]), summary="List requests")
def request_list(request: AccessRequest, school_id: int) -> list[dict]:
    """The requests the caller may see: the data protection lead's queue (open ones by
    due date, overdue first), or the caller's own and those they recorded."""
    if selectors.is_lead(request.access):
        services.data_requests_listed(actor=request.user, school=school_of(request))
        return [_out(row.request) for row in selectors.queue()]
    return [_out(r) for r in selectors.requests_visible_to(request.user, request.access)]


@router.post(REQUESTS, response=responses(DataRequestDetailOut, 201), summary="Make a request")
def request_create(request: AccessRequest, school_id: int, payload: DataRequestIn) -> Status:
    """Record a request as received; its due date is one calendar month after receipt,
    or 15 school days for a parent's request for their child's educational record."""
    if payload.on_behalf:
        made = intake.submit_on_behalf(
            request,
            kind=payload.kind,
            pupil_id=payload.pupil_id,
            email=payload.email,
            requester_kind=payload.requester_kind,
            requester_name=payload.requester_name,
            channel=payload.channel,
            received_on=payload.received_on,
            details=payload.details,
        )
    else:
        subject = "me" if payload.subject == "me" else f"pupil:{payload.pupil_id or 0}"
        made = intake.submit_own(
            request, kind=payload.kind, subject=subject, details=payload.details
        )
    return Status(201, {**_out(made), "history": selectors.history(made)})


@router.get(ONE, response=responses(DataRequestDetailOut), summary="Get a request")
def request_detail(request: AccessRequest, school_id: int, data_request_id: int) -> dict:
    """One request with its stage history."""
    return _detail(request, access.access_data_request(request, data_request_id))


@router.post(
    f"{ONE}/identity-check",
    response=responses(DataRequestDetailOut),
    summary="Record the identity check",
)
def request_identity(
    request: AccessRequest, school_id: int, data_request_id: int, payload: IdentityIn
) -> dict:
    """The data protection lead records how the requester's identity was checked."""
    r = access.access_lead_request(request, data_request_id)
    r = services.data_request_check_identity(
        actor=request.user, data_request=r, method=payload.method, note=payload.note
    )
    return _detail(request, r)


@router.post(
    f"{ONE}/approve", response=responses(DataRequestDetailOut), summary="Approve a request"
)
def request_approve(
    request: AccessRequest, school_id: int, data_request_id: int, payload: NoteIn
) -> dict:
    """Approve a request whose identity check is recorded. It is carried out in the
    background, or, when `by_hand` is true, by the data protection lead by hand (then
    marked done with `complete`). Refused (422) for a refused or unchecked request."""
    r = access.access_lead_request(request, data_request_id)
    return _detail(
        request,
        services.data_request_approve(actor=request.user, data_request=r, note=payload.note),
    )


@router.post(f"{ONE}/refuse", response=responses(DataRequestDetailOut), summary="Refuse a request")
def request_refuse(
    request: AccessRequest, school_id: int, data_request_id: int, payload: ReasonIn
) -> dict:
    """Refuse a request not yet approved; `reason` is required."""
    r = access.access_lead_request(request, data_request_id)
    return _detail(
        request,
        services.data_request_refuse(actor=request.user, data_request=r, reason=payload.reason),
    )


@router.post(
    f"{ONE}/extend", response=responses(DataRequestDetailOut), summary="Extend the deadline"
)
def request_extend(
    request: AccessRequest, school_id: int, data_request_id: int, payload: ReasonIn
) -> dict:
    """Extend the deadline by two further months, once, with a `reason`."""
    r = access.access_lead_request(request, data_request_id)
    return _detail(
        request,
        services.data_request_extend(actor=request.user, data_request=r, reason=payload.reason),
    )


@router.post(
    f"{ONE}/complete", response=responses(DataRequestDetailOut), summary="Mark done by hand"
)
def request_complete(
    request: AccessRequest, school_id: int, data_request_id: int, payload: NoteIn
) -> dict:
    """Mark done a request carried out by hand, with a `note` of what was done."""
    r = access.access_lead_request(request, data_request_id)
    return _detail(
        request,
        services.data_request_complete(actor=request.user, data_request=r, note=payload.note),
    )


@router.post(
    f"{ONE}/retry", response=responses(DataRequestDetailOut), summary="Retry a failed request"
)
def request_retry(request: AccessRequest, school_id: int, data_request_id: int) -> dict:
    """Queue a failed request again; it resumes from where it stopped."""
    r = access.access_lead_request(request, data_request_id)
    return _detail(request, services.data_request_retry(actor=request.user, data_request=r))


# Passing a request's outcome on to the services on the register (DSR-10).


class ServiceToldOut(Schema):
    service_id: int | None
    name: str
    told: bool = Field(description="Whether the school recorded that it told this service.")
    told_at: datetime | None
    told_by_id: int | None
    note: str


class ToldIn(InputSchema):
    note: str = Field("", max_length=2000, description="What was sent, how (optional).")


@router.get(
    f"{ONE}/services",
    response=responses(list[ServiceToldOut]),
    summary="The services to tell of a done request's outcome",
)
def request_services(request: AccessRequest, school_id: int, data_request_id: int) -> list:
    """The services on the register that received the person's data, each with when
    the school told it of the outcome (for a done rectification, erasure, restriction
    or objection request; empty otherwise)."""
    r = access.access_lead_request(request, data_request_id)
    return passing_on.states_out(passing_on.states(passing_on.request_services(r), request=r))


@router.post(
    f"{ONE}/services/{{entry_id}}/told",
    response=responses(list[ServiceToldOut]),
    summary="Record that a service was told of a request's outcome",
)
def request_service_told(
    request: AccessRequest, school_id: int, data_request_id: int, entry_id: int, payload: ToldIn
) -> list:
    """Record that the school told the service (`entry_id`, on the register) of the
    done request's outcome; a second time changes nothing. 422 for a request that is
    not done or changed no data."""
    r = access.access_lead_request(request, data_request_id)
    entry = passing_on.service_entry(entry_id)
    if entry is None:
        raise Http404
    passing_on.service_told_record(
        actor=request.user, school=school_of(request), service=entry, request=r, note=payload.note
    )
    return passing_on.states_out(passing_on.states(passing_on.request_services(r), request=r))


# The data protection lead role, granted by the school's administrators.


class StaffLeadOut(Schema):
    user_id: int
    name: str
    email: str
    roles: list[str]
    is_lead: bool


class LeadChangedOut(Schema):
    user_id: int
    is_lead: bool
    changed: bool


@router.get(
    f"{SCHOOL}/data-protection-leads",
    response=responses(list[StaffLeadOut]),
    summary="List staff and leads",
)
def lead_list(request: AccessRequest, school_id: int) -> list[dict]:
    """The school's staff, each with whether they are a data protection lead."""
    require_role(request, *ADMINS)
    return [
        {
            "user_id": s.user.pk,
            "name": s.user.display_name,
            "email": s.user.email,
            "roles": list(s.roles),
            "is_lead": s.is_lead,
        }
        for s in leads.staff_with_lead_role()
    ]


@router.put(
    f"{SCHOOL}/data-protection-leads/{{user_id}}",
    response=responses(LeadChangedOut),
    summary="Make a member of staff a lead",
)
def lead_grant(request: AccessRequest, school_id: int, user_id: int) -> dict:
    """Grant the role to a member of staff (404 for anyone else); idempotent."""
    require_role(request, *ADMINS)
    user = access.staff_member(request, user_id)
    changed = leads.dpo_grant(actor=request.user, school=school_of(request), user=user)
    return {"user_id": user.pk, "is_lead": True, "changed": changed}


@router.delete(
    f"{SCHOOL}/data-protection-leads/{{user_id}}",
    response=responses(None, 204),
    summary="Take the lead role back",
)
def lead_revoke(request: AccessRequest, school_id: int, user_id: int) -> Status:
    require_role(request, *ADMINS)
    user = access.staff_member(request, user_id)
    leads.dpo_revoke(actor=request.user, school=school_of(request), user=user)
    return Status(204, None)


# Term dates and closure days (the school days of the educational-record clock).


class PeriodOut(Schema):
    id: int
    kind: str
    name: str
    start: date
    end: date


class PeriodIn(InputSchema):
    kind: Literal["term", "closure"]
    name: str = Field(max_length=100)
    start: date
    end: date


@router.get(f"{SCHOOL}/term-dates", response=responses(list[PeriodOut]), summary="List term dates")
def period_list(request: AccessRequest, school_id: int) -> list:
    """The school's terms and closure days, by date."""
    require_role(request, *access.CALENDAR)
    return list(terms.calendar_periods().values("id", "kind", "name", "start", "end"))


@router.post(f"{SCHOOL}/term-dates", response=responses(PeriodOut, 201), summary="Add term dates")
def period_add(request: AccessRequest, school_id: int, payload: PeriodIn) -> Status:
    """Add a term, or days the school is closed (half term, training days)."""
    require_role(request, *access.CALENDAR)
    p = terms.calendar_period_add(
        actor=request.user, school=school_of(request), **payload.model_dump()
    )
    return Status(201, {"id": p.pk, "kind": p.kind, "name": p.name, "start": p.start, "end": p.end})


@router.post(
    f"{SCHOOL}/term-dates/england-default",
    response=responses(list[PeriodOut], 201),
    summary="Enter England's usual term dates",
)
def period_default(request: AccessRequest, school_id: int) -> Status:
    """Enter England's usual three terms and half terms for the current academic year,
    to correct; 422 when the school has dates in that year already."""
    require_role(request, *access.CALENDAR)
    made = terms.calendar_default_fill(actor=request.user, school=school_of(request))
    return Status(
        201,
        [
            {"id": p.pk, "kind": p.kind, "name": p.name, "start": p.start, "end": p.end}
            for p in made
        ],
    )


@router.delete(
    f"{SCHOOL}/term-dates/{{period_id}}", response=responses(None, 204), summary="Delete term dates"
)
def period_delete(request: AccessRequest, school_id: int, period_id: int) -> Status:
    period = access.access_calendar_period(request, period_id)
    terms.calendar_period_delete(actor=request.user, period=period)
    return Status(204, None)
