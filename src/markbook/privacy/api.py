"""API: restrictions and objections (DSR-5), a person's corrections (DSR-3), the
privacy notice's versions and a school's notices of a change (DSR-10). The same
services and permissions as the pages (privacy.access)."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.accounts.models import User
from markbook.admission import AccessRequest, require_role, school_of
from markbook.core.api import InputSchema, responses
from markbook.privacy import access, notices, selectors, services
from markbook.privacy.forms import value_parse
from markbook.privacy.models import NoticeAlert, Restriction
from markbook.rosters.models import Pupil

router = Router(tags=["privacy"])
SCHOOL = "/schools/{school_id}"


class RestrictionOut(Schema):
    id: int
    pupil_id: int | None
    user_id: int | None
    person: str = Field(description="Who, in words.")
    kind: str = Field(description="restriction or objection")
    reason: str
    placed_by_id: int | None
    placed_at: datetime
    active: bool
    lifted_by_id: int | None
    lifted_at: datetime | None
    lift_reason: str
    request_id: int | None


class RestrictionIn(InputSchema):
    pupil_id: int | None = Field(None, description="The pupil restricted; or give user_id.")
    user_id: int | None = Field(None, description="A member of staff or a parent.")
    kind: str = Field("restriction", max_length=20, description="restriction or objection")
    reason: str = Field(max_length=2000)
    request_id: int | None = Field(None, ge=1, description="The request it answers.")


class LiftIn(InputSchema):
    reason: str = Field(max_length=2000)
    request_id: int | None = Field(None, ge=1)


class CorrectionOut(Schema):
    id: int
    field: str
    label: str
    sensitive: bool
    old: Any = Field(description="The value before (null for a sensitive field you may not see).")
    new: Any
    source: str
    corrected_by_id: int | None
    corrected_at: datetime
    request_id: int | None


class CorrectionIn(InputSchema):
    field: str = Field(max_length=100)
    value: str = Field("", max_length=2000, description="As on the page: yes/no, YYYY-MM-DD, text.")
    request_id: int | None = Field(None, ge=1)


class NoticeVersionOut(Schema):
    id: int
    published_at: datetime
    superseded_at: datetime | None
    digest: str


class NoticeAlertOut(Schema):
    id: int
    version_id: int
    previous_id: int | None
    summary: list[str]
    created_at: datetime
    dismissed_at: datetime | None


def _restriction(r: Restriction) -> dict[str, Any]:
    subject = r.pupil if r.pupil_id else r.user
    return {
        "id": r.pk,
        "pupil_id": r.pupil_id,
        "user_id": r.user_id,
        "person": selectors.person_label(subject),  # type: ignore[arg-type]
        "kind": r.kind,
        "reason": r.reason,
        "placed_by_id": r.placed_by_id,
        "placed_at": r.placed_at,
        "active": r.active,
        "lifted_by_id": r.lifted_by_id,
        "lifted_at": r.lifted_at,
        "lift_reason": r.lift_reason,
        "request_id": r.request_id,
    }


@router.get(
    f"{SCHOOL}/restrictions",
    response=responses(list[RestrictionOut]),
    summary="List restrictions and objections",
)
def restrictions_list(request: AccessRequest, school_id: int) -> list[dict[str, Any]]:
    """Every restriction and objection of the school, newest first, in force or lifted
    (DSR-5); the school's data protection lead and administrators."""
    access.require_manager(request)
    rows = list(selectors.restrictions())
    selectors.restrictions_read_logged(
        actor=request.user, school=school_of(request), count=len(rows)
    )
    return [_restriction(r) for r in rows]


@router.post(
    f"{SCHOOL}/restrictions",
    response=responses(RestrictionOut, status=201),
    summary="Restrict processing of a person's data",
)
def restriction_place(request: AccessRequest, school_id: int, payload: RestrictionIn) -> Status:
    """Place a restriction or record an objection (DSR-5): the person's data is kept
    but left out of analysis, exports, leaderboards and automated processing."""
    access.require_manager(request)
    if (payload.pupil_id is None) == (payload.user_id is None):
        raise ValidationError({"person": ["Give either pupil_id or user_id."]})
    subject: Pupil | User = (
        access.access_subject_pupil(request, payload.pupil_id)
        if payload.pupil_id is not None
        else access.access_subject_user(request, payload.user_id)  # type: ignore[arg-type]
    )
    restriction = services.restriction_place(
        school=school_of(request),
        subject=subject,
        kind=payload.kind,
        reason=payload.reason,
        by=request.user,
        request_id=payload.request_id,
    )
    return Status(201, _restriction(restriction))


@router.get(
    f"{SCHOOL}/restrictions/{{restriction_id}}",
    response=responses(RestrictionOut),
    summary="Read a restriction",
)
def restriction_read(request: AccessRequest, school_id: int, restriction_id: int) -> dict:
    return _restriction(access.access_restriction(request, restriction_id))


@router.post(
    f"{SCHOOL}/restrictions/{{restriction_id}}/lift",
    response=responses(RestrictionOut),
    summary="Lift a restriction",
)
def restriction_lift(
    request: AccessRequest, school_id: int, restriction_id: int, payload: LiftIn
) -> dict:
    """Lift a restriction: a recorded decision with its reason (DSR-5)."""
    restriction = access.access_restriction(request, restriction_id)
    lifted = services.restriction_lift(
        restriction=restriction,
        reason=payload.reason,
        by=request.user,
        request_id=payload.request_id,
    )
    return _restriction(lifted)


def _corrections(request: AccessRequest, subject: Pupil | User) -> list[dict[str, Any]]:
    selectors.corrections_read_logged(
        actor=request.user, school=school_of(request), subject=subject
    )
    shown = request.access.has("dpo", "school_admin")
    return [
        {
            "id": row.correction.pk,
            "field": row.correction.field,
            "label": row.field,
            "sensitive": row.correction.sensitive,
            "old": row.old if shown or not row.correction.sensitive else None,
            "new": row.new if shown or not row.correction.sensitive else None,
            "source": row.correction.source,
            "corrected_by_id": row.correction.corrected_by_id,
            "corrected_at": row.correction.corrected_at,
            "request_id": row.correction.request_id,
        }
        for row in selectors.corrections_of(subject)
    ]


def _rectify(request: AccessRequest, subject: Pupil | User, payload: CorrectionIn) -> Status:
    model = Pupil if isinstance(subject, Pupil) else User
    try:
        model._meta.get_field(payload.field)
    except Exception:
        raise ValidationError({"field": [f"{payload.field!r} is not a field."]}) from None
    services.rectify(
        school=school_of(request),
        subject=subject,
        field=payload.field,
        new_value=value_parse(model, payload.field, payload.value),
        by=request.user,
        request_id=payload.request_id,
    )
    return Status(201, _corrections(request, subject))


@router.get(
    f"{SCHOOL}/pupils/{{pupil_id}}/corrections",
    response=responses(list[CorrectionOut]),
    summary="List a pupil's corrections",
)
def pupil_corrections(request: AccessRequest, school_id: int, pupil_id: int) -> list:
    """A pupil's corrections with the values before and after (DSR-3); recorded as a
    read (SEC-1). Sensitive values only for the data protection lead and school
    administrators."""
    return _corrections(request, access.access_subject_pupil(request, pupil_id))


@router.post(
    f"{SCHOOL}/pupils/{{pupil_id}}/corrections",
    response=responses(list[CorrectionOut], status=201),
    summary="Correct a field of a pupil's record",
)
def pupil_rectify(
    request: AccessRequest, school_id: int, pupil_id: int, payload: CorrectionIn
) -> Status:
    """Correct one field (DSR-3), through the same rules as an edit; the answer is the
    pupil's corrections, newest first."""
    return _rectify(request, access.access_subject_pupil(request, pupil_id), payload)


@router.get(
    f"{SCHOOL}/people/{{user_id}}/corrections",
    response=responses(list[CorrectionOut]),
    summary="List a member of staff's or parent's corrections",
)
def user_corrections(request: AccessRequest, school_id: int, user_id: int) -> list:
    return _corrections(request, access.access_subject_user(request, user_id))


@router.post(
    f"{SCHOOL}/people/{{user_id}}/corrections",
    response=responses(list[CorrectionOut], status=201),
    summary="Correct a member of staff's or parent's name or email",
)
def user_rectify(
    request: AccessRequest, school_id: int, user_id: int, payload: CorrectionIn
) -> Status:
    return _rectify(request, access.access_subject_user(request, user_id), payload)


@router.get(
    "/privacy/notice-versions",
    response=responses(list[NoticeVersionOut]),
    summary="List the privacy notice's versions",
)
def notice_versions(request: AccessRequest) -> list:
    """Every published version of the privacy notice with its dates (DSR-10)."""
    return list(selectors.notice_versions())


def _alert(alert: NoticeAlert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "version_id": alert.version_id,
        "previous_id": alert.previous_id,
        "summary": alert.summary,
        "created_at": alert.created_at,
        "dismissed_at": alert.dismissed_at,
    }


@router.get(
    f"{SCHOOL}/notice-changes",
    response=responses(list[NoticeAlertOut]),
    summary="List the notices of a changed privacy notice",
)
def notice_alerts(request: AccessRequest, school_id: int) -> list:
    """The school's notices that Markbook's privacy notice changed, with what changed
    (DSR-10); school administrators."""
    require_role(request, "school_admin")
    return [_alert(a) for a in NoticeAlert.objects.order_by("-created_at", "-pk")]


@router.post(
    f"{SCHOOL}/notice-changes/{{alert_id}}/dismiss",
    response=responses(NoticeAlertOut),
    summary="Dismiss a notice of a changed privacy notice",
)
def notice_alert_dismiss(request: AccessRequest, school_id: int, alert_id: int) -> dict:
    alert = access.access_notice_alert(request, alert_id)
    return _alert(notices.notice_alert_dismiss(alert=alert, by=request.user))


# Passing a restriction or correction on to the services on the register (DSR-10).


class ServiceToldOut(Schema):
    service_id: int | None
    name: str
    told: bool = Field(description="Whether the school recorded that it told this service.")
    told_at: datetime | None
    told_by_id: int | None
    note: str


class ToldIn(InputSchema):
    note: str = Field("", max_length=2000, description="What was sent, how (optional).")


def _told(
    request: AccessRequest, subject: Pupil | User, entry_id: int | None, note: str, **change: Any
) -> list:
    from django.http import Http404

    from markbook.rights import passing_on

    if entry_id is not None:
        entry = passing_on.service_entry(entry_id)
        if entry is None:
            raise Http404
        if None in change.values():
            raise ValidationError({"correction": ["There is no correction to pass on yet."]})
        passing_on.service_told_record(
            actor=request.user, school=school_of(request), service=entry, note=note, **change
        )
    rows = passing_on.states(selectors.passed_on_services(subject), **change)
    return passing_on.states_out(rows)


def _restriction_subject(restriction: Restriction) -> Pupil | User:
    return restriction.pupil if restriction.pupil_id else restriction.user  # type: ignore[return-value]


@router.get(
    f"{SCHOOL}/restrictions/{{restriction_id}}/services",
    response=responses(list[ServiceToldOut]),
    summary="The services to tell of a restriction",
)
def restriction_services(request: AccessRequest, school_id: int, restriction_id: int) -> list:
    """The services on the register that received the person's data, each with when
    the school told it of the restriction."""
    r = access.access_restriction(request, restriction_id)
    return _told(request, _restriction_subject(r), None, "", restriction=r)


@router.post(
    f"{SCHOOL}/restrictions/{{restriction_id}}/services/{{entry_id}}/told",
    response=responses(list[ServiceToldOut]),
    summary="Record that a service was told of a restriction",
)
def restriction_service_told(
    request: AccessRequest, school_id: int, restriction_id: int, entry_id: int, payload: ToldIn
) -> list:
    r = access.access_restriction(request, restriction_id)
    return _told(request, _restriction_subject(r), entry_id, payload.note, restriction=r)


def _latest(subject: Pupil | User) -> Any:
    from markbook.rights.passing_on import latest_correction

    return latest_correction(subject)


@router.get(
    f"{SCHOOL}/pupils/{{pupil_id}}/corrections/services",
    response=responses(list[ServiceToldOut]),
    summary="The services to tell of a pupil's latest correction",
)
def pupil_correction_services(request: AccessRequest, school_id: int, pupil_id: int) -> list:
    pupil = access.access_subject_pupil(request, pupil_id)
    return _told(request, pupil, None, "", correction=_latest(pupil))


@router.post(
    f"{SCHOOL}/pupils/{{pupil_id}}/corrections/services/{{entry_id}}/told",
    response=responses(list[ServiceToldOut]),
    summary="Record that a service was told of a pupil's latest correction",
)
def pupil_correction_service_told(
    request: AccessRequest, school_id: int, pupil_id: int, entry_id: int, payload: ToldIn
) -> list:
    """422 when the pupil has no correction yet."""
    pupil = access.access_subject_pupil(request, pupil_id)
    return _told(request, pupil, entry_id, payload.note, correction=_latest(pupil))


@router.get(
    f"{SCHOOL}/people/{{user_id}}/corrections/services",
    response=responses(list[ServiceToldOut]),
    summary="The services to tell of a person's latest correction",
)
def user_correction_services(request: AccessRequest, school_id: int, user_id: int) -> list:
    user = access.access_subject_user(request, user_id)
    return _told(request, user, None, "", correction=_latest(user))


@router.post(
    f"{SCHOOL}/people/{{user_id}}/corrections/services/{{entry_id}}/told",
    response=responses(list[ServiceToldOut]),
    summary="Record that a service was told of a person's latest correction",
)
def user_correction_service_told(
    request: AccessRequest, school_id: int, user_id: int, entry_id: int, payload: ToldIn
) -> list:
    user = access.access_subject_user(request, user_id)
    return _told(request, user, entry_id, payload.note, correction=_latest(user))
