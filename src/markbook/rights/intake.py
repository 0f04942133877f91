"""Making a request, from a person's own pages or recorded by staff on someone's
behalf (DSR-8): who may ask about whom, then `services.data_request_create`. The pages
and the API both come through here.

- Own request: a pupil or parent (or anyone with an account here) about themself, or
  a parent about a linked child. It arrives through their own page, and the requester
  is them. Anyone else's child is not found (404).
- On someone's behalf: a member of staff records a request that came by letter,
  email, in person or by telephone, about a pupil of the school or one of its parents
  or staff (found by email address). Anyone not in the school is not found (404).
"""

from datetime import date

from django.core.exceptions import ValidationError

from markbook.accounts.models import User
from markbook.admission import STAFF, AccessRequest, require_role, school_of
from markbook.rights import access
from markbook.rights.models import DataRequest
from markbook.rights.services import data_request_create
from markbook.rosters.models import Pupil


def submit_own(
    request: AccessRequest, *, kind: str, subject: str, details: str = ""
) -> DataRequest:
    """A request made by the signed-in person on their own page."""
    pupil, user, requester_kind = access.own_subject(request, subject)
    return data_request_create(
        actor=request.user,
        school=school_of(request),
        kind=kind,
        subject_pupil=pupil,
        subject_user=user,
        requester_kind=requester_kind,
        requester_user=request.user,
        channel=DataRequest.Channel.OWN_PAGE,
        details=details,
    )


def submit_on_behalf(
    request: AccessRequest,
    *,
    kind: str,
    pupil_id: int | None,
    email: str,
    requester_kind: str,
    requester_name: str,
    channel: str,
    received_on: date | None,
    details: str = "",
) -> DataRequest:
    """A request a member of staff records for someone (a letter, an email)."""
    require_role(request, *STAFF)
    if channel == DataRequest.Channel.OWN_PAGE:
        raise ValidationError(
            {"channel": ["Say how the request arrived: a letter, an email, in person or a call."]}
        )
    pupil: Pupil | None = None
    user: User | None = None
    if pupil_id:
        pupil = access.recordable_pupil(request, pupil_id)
    elif email.strip():
        user = access.recordable_person(request, email)
    else:
        raise ValidationError(
            {
                "subject": [
                    "Choose the pupil, or give the email address of the parent or member of staff."
                ]
            }
        )
    return data_request_create(
        actor=request.user,
        school=school_of(request),
        kind=kind,
        subject_pupil=pupil,
        subject_user=user,
        requester_kind=requester_kind,
        requester_name=requester_name,
        channel=channel,
        details=details,
        received_on=received_on,
    )
