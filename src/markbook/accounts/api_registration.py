"""API: a school's requests to join, for its administrators (ACC-4), as on the staff
page. Both call `accounts.registration`, so a rule is written once."""

from datetime import datetime

from ninja import Router, Schema

from markbook.accounts import registration
from markbook.accounts.access import access_registration_request
from markbook.accounts.models import RegistrationRequest
from markbook.admission import AccessRequest, require_role
from markbook.core.api import responses

router = Router(tags=["registration"])

REQUESTS = "/schools/{school_id}/registration-requests"


class RegistrationRequestOut(Schema):
    id: int
    role: str
    first_name: str
    last_name: str
    email: str
    year_group: str
    method: str
    status: str
    parental_consent_at: datetime | None
    created_at: datetime
    decided_at: datetime | None


@router.get(REQUESTS, response=responses(list[RegistrationRequestOut]), summary="List requests")
def requests_pending(request: AccessRequest, school_id: int) -> list[RegistrationRequest]:
    """The requests waiting for an administrator, oldest first."""
    require_role(request, "school_admin", "trust_admin")
    return registration.registration_requests_pending()


def _decide(request: AccessRequest, request_id: int, *, approve: bool) -> RegistrationRequest:
    return registration.registration_request_decide(
        actor=request.user,
        request=access_registration_request(request, request_id),
        approve=approve,
    )


@router.post(
    REQUESTS + "/{request_id}/approve",
    response=responses(RegistrationRequestOut),
    summary="Approve a request",
)
def request_approve(request: AccessRequest, school_id: int, request_id: int) -> RegistrationRequest:
    """Approve: a teacher's account is activated and made a teacher of the school; a
    pupil's record and account are made (a teacher then gives a sign-in code).
    A request already answered is a 422."""
    return _decide(request, request_id, approve=True)


@router.post(
    REQUESTS + "/{request_id}/refuse",
    response=responses(RegistrationRequestOut),
    summary="Refuse a request",
)
def request_refuse(request: AccessRequest, school_id: int, request_id: int) -> RegistrationRequest:
    """Refuse: a teacher's inactive account is deleted. A request already answered is a 422."""
    return _decide(request, request_id, approve=False)
