"""API: the breach register (SEC-3). Platform staff keep it (`/breaches`); each
affected school's administrators and data protection leads read theirs
(`/schools/{school_id}/breaches`). The same services and access as the pages."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.admission import AccessRequest, require_platform_staff, require_role
from markbook.breaches import access, notices, selectors, services
from markbook.breaches.models import Breach, BreachSchool
from markbook.core.api import InputSchema, responses
from markbook.schools.models import School

router = Router(tags=["breaches"])
SCHOOL = "/schools/{school_id}"


class ClockOut(Schema):
    due_at: datetime = Field(description="72 hours after detection.")
    state: str = Field(description="reported, not_reportable, overdue, due_soon or running")
    hours_left: int
    text: str


class BreachOut(Schema):
    id: int
    reference: str
    title: str
    detected_at: datetime
    occurred_at: datetime | None
    description: str
    data_categories: list[str]
    people_affected: int
    risk: str
    risk_assessment: str
    consequences: str
    containment: str
    advice: str
    state: str
    regulator_reported_at: datetime | None
    regulator_reference: str
    not_reported_reason: str
    clock: ClockOut


class BreachSchoolOut(Schema):
    school_id: int
    school: str
    people_affected: int
    notified_at: datetime | None
    told_admins: int
    acknowledged_at: datetime | None


class BreachDetailOut(BreachOut):
    schools: list[BreachSchoolOut]
    steps: list[str]


class BreachIn(InputSchema):
    title: str = Field(max_length=200)
    detected_at: datetime
    occurred_at: datetime | None = None
    description: str = Field(max_length=5000)
    data_categories: list[str] = Field(default_factory=list, max_length=20)
    people_affected: int = Field(0, ge=0, le=100_000_000)
    risk: str = Field("risk", max_length=10, description="unlikely, risk or high")
    risk_assessment: str = Field("", max_length=5000)
    consequences: str = Field("", max_length=5000)
    containment: str = Field("", max_length=5000)
    advice: str = Field("", max_length=5000)


class BreachPatch(InputSchema):
    title: str | None = Field(None, max_length=200)
    detected_at: datetime | None = None
    occurred_at: datetime | None = None
    description: str | None = Field(None, max_length=5000)
    data_categories: list[str] | None = Field(None, max_length=20)
    people_affected: int | None = Field(None, ge=0, le=100_000_000)
    risk: str | None = Field(None, max_length=10)
    risk_assessment: str | None = Field(None, max_length=5000)
    consequences: str | None = Field(None, max_length=5000)
    containment: str | None = Field(None, max_length=5000)
    advice: str | None = Field(None, max_length=5000)
    state: str | None = Field(None, max_length=10, description="open, contained or closed")


class SchoolIn(InputSchema):
    school_id: int = Field(ge=1)
    people_affected: int = Field(0, ge=0, le=100_000_000)


class StepIn(InputSchema):
    text: str = Field(max_length=5000)


class ReportIn(InputSchema):
    reported_at: datetime | None = Field(None, description="When it was reported to the ICO.")
    reference: str = Field("", max_length=100)
    not_reported_reason: str = Field("", max_length=2000, description="Or why none is due.")


class SchoolBreachOut(Schema):
    breach: BreachOut
    people_affected: int
    notified_at: datetime | None
    acknowledged_at: datetime | None
    notice_needed: bool


class NoticeOut(Schema):
    subject: str
    paragraphs: list[str]
    needed: bool


def _breach(b: Breach) -> dict[str, Any]:
    c = selectors.clock(b)
    return {
        **{
            name: getattr(b, name) for name in BreachOut.model_fields if name not in ("id", "clock")
        },
        "id": b.pk,
        "clock": {"due_at": c.due_at, "state": c.state, "hours_left": c.hours_left, "text": c.text},
    }


def _detail(b: Breach) -> dict[str, Any]:
    links = selectors.breach_schools(b)
    return {
        **_breach(b),
        "schools": [
            {
                "school_id": link.school_id,
                "school": link.school.name,
                "people_affected": link.people_affected,
                "notified_at": link.notified_at,
                "told_admins": link.told_admins,
                "acknowledged_at": link.acknowledged_at,
            }
            for link in links
        ],
        "steps": [f"{u.at:%Y-%m-%d %H:%M}: {u.text}" for u in b.updates.all()],
    }


@router.get("/breaches", response=responses(list[BreachOut]), summary="List the breach register")
def breaches_list(request: AccessRequest) -> list[dict[str, Any]]:
    """Every breach, newest first, with its 72-hour clock (platform staff)."""
    require_platform_staff(request)
    return [_breach(b) for b, _, _ in selectors.breaches()]


@router.post(
    "/breaches", response=responses(BreachDetailOut, status=201), summary="Record a breach"
)
def breach_create(request: AccessRequest, payload: BreachIn) -> Status:
    require_platform_staff(request)
    breach = services.breach_record(actor=request.user, **payload.model_dump())
    return Status(201, _detail(breach))


@router.get("/breaches/{breach_id}", response=responses(BreachDetailOut), summary="Read a breach")
def breach_read(request: AccessRequest, breach_id: int) -> dict[str, Any]:
    return _detail(access.access_breach(request, breach_id))


@router.patch(
    "/breaches/{breach_id}", response=responses(BreachDetailOut), summary="Change a breach"
)
def breach_patch(request: AccessRequest, breach_id: int, payload: BreachPatch) -> dict[str, Any]:
    """Change what is known; fields left out stay as they are."""
    breach = access.access_breach(request, breach_id)
    services.breach_change(
        actor=request.user, breach=breach, **payload.model_dump(exclude_unset=True)
    )
    return _detail(breach)


@router.post(
    "/breaches/{breach_id}/schools",
    response=responses(BreachDetailOut),
    summary="Name a school affected",
)
def breach_school(request: AccessRequest, breach_id: int, payload: SchoolIn) -> dict[str, Any]:
    """Name a school as affected: its administrators and data protection leads are
    emailed and see a notice on the school's page until one of them acknowledges it."""
    breach = access.access_breach(request, breach_id)
    school = School.objects.filter(pk=payload.school_id).first()
    if school is None:
        raise ValidationError({"school_id": ["No such school."]})
    services.breach_school_add(
        actor=request.user, breach=breach, school=school, people_affected=payload.people_affected
    )
    return _detail(breach)


@router.post(
    "/breaches/{breach_id}/steps",
    response=responses(BreachDetailOut),
    summary="Record a step taken",
)
def breach_step(request: AccessRequest, breach_id: int, payload: StepIn) -> dict[str, Any]:
    breach = access.access_breach(request, breach_id)
    services.breach_update_add(actor=request.user, breach=breach, text=payload.text)
    return _detail(breach)


@router.post(
    "/breaches/{breach_id}/report",
    response=responses(BreachDetailOut),
    summary="Record the report to the regulator",
)
def breach_report(request: AccessRequest, breach_id: int, payload: ReportIn) -> dict[str, Any]:
    """When it was reported to the Information Commissioner's Office and its reference,
    or why no report is due."""
    breach = access.access_breach(request, breach_id)
    services.breach_report(actor=request.user, breach=breach, **payload.model_dump())
    return _detail(breach)


def _school_breach(link: BreachSchool) -> dict[str, Any]:
    return {
        "breach": _breach(link.breach),
        "people_affected": link.people_affected,
        "notified_at": link.notified_at,
        "acknowledged_at": link.acknowledged_at,
        "notice_needed": notices.needed(link.breach),
    }


@router.get(
    f"{SCHOOL}/breaches",
    response=responses(list[SchoolBreachOut]),
    summary="List the breaches affecting the school",
)
def school_breaches(request: AccessRequest, school_id: int) -> list[dict[str, Any]]:
    require_role(request, *access.SCHOOL_READERS)
    return [_school_breach(link) for link in selectors.school_breaches()]


@router.get(
    f"{SCHOOL}/breaches/{{breach_id}}",
    response=responses(SchoolBreachOut),
    summary="Read a breach affecting the school",
)
def school_breach(request: AccessRequest, school_id: int, breach_id: int) -> dict[str, Any]:
    return _school_breach(access.access_school_breach(request, breach_id))


@router.post(
    f"{SCHOOL}/breaches/{{breach_id}}/acknowledge",
    response=responses(SchoolBreachOut),
    summary="Acknowledge a breach affecting the school",
)
def school_breach_acknowledge(
    request: AccessRequest, school_id: int, breach_id: int
) -> dict[str, Any]:
    link = access.access_school_breach(request, breach_id)
    services.breach_acknowledge(actor=request.user, link=link)
    return _school_breach(link)


@router.get(
    f"{SCHOOL}/breaches/{{breach_id}}/notice",
    response=responses(NoticeOut),
    summary="The notice for the people affected",
)
def school_breach_notice(request: AccessRequest, school_id: int, breach_id: int) -> dict[str, Any]:
    """The notice to send to the people affected (required where the risk is high)."""
    link = access.access_school_breach(request, breach_id)
    notice = notices.subject_notice(link)
    return {
        "subject": notice.subject,
        "paragraphs": notice.paragraphs,
        "needed": notices.needed(link.breach),
    }
