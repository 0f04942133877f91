"""Fetching one request or calendar entry for a user: missing and forbidden look the
same (404, TEN-3). And who may make a request about whom (DSR-8)."""

from django.db.models import QuerySet
from django.http import Http404

from markbook.accounts.models import Membership, User
from markbook.admission import STAFF, AccessRequest, require_role
from markbook.rights import selectors
from markbook.rights.models import DataRequest, SchoolCalendarPeriod
from markbook.rosters import selectors as roster_selectors
from markbook.rosters.models import Pupil

LEADS = ("dpo",)
# Who may enter term dates: the school's administrators and its data protection lead.
CALENDAR = ("school_admin", "trust_admin", "dpo")


def access_data_request(request: AccessRequest, request_id: int) -> DataRequest:
    try:
        return selectors.requests_visible_to(request.user, request.access).get(pk=request_id)
    except DataRequest.DoesNotExist:
        raise Http404 from None


def access_lead_request(request: AccessRequest, request_id: int) -> DataRequest:
    """A request the data protection lead acts on (404 for anyone else)."""
    require_role(request, *LEADS)
    return access_data_request(request, request_id)


def access_calendar_period(request: AccessRequest, period_id: int) -> SchoolCalendarPeriod:
    require_role(request, *CALENDAR)
    try:
        return SchoolCalendarPeriod.objects.get(pk=period_id)
    except SchoolCalendarPeriod.DoesNotExist:
        raise Http404 from None


def own_subjects(request: AccessRequest) -> list[tuple[str, str]]:
    """Whom the user may make a request about from their own pages: themself, and a
    parent their linked children. Values: "me", or "pupil:<id>"."""
    access = request.access
    choices = [("me", "Me")]
    if access.has("parent"):
        choices += [
            (f"pupil:{p.pk}", p.display_name) for p in roster_selectors.children_of(request.user)
        ]
    return choices


def own_subject(request: AccessRequest, value: str) -> tuple[Pupil | None, User | None, str]:
    """The subject chosen on the own-request form: (pupil, user, requester kind); 404 for
    a pupil who is not the user's linked child."""
    access = request.access
    if value == "me":
        if access.has("pupil"):
            pupil = Pupil.objects.filter(user=request.user).first()
            if pupil is None:
                raise Http404
            return pupil, None, DataRequest.Requester.SELF
        return None, request.user, DataRequest.Requester.SELF
    if value.startswith("pupil:") and access.has("parent"):
        pupil_id = value.removeprefix("pupil:")
        child = (
            roster_selectors.children_of(request.user)
            .filter(pk=int(pupil_id) if pupil_id.isdigit() else 0)
            .first()
        )
        if child is not None:
            return child, None, DataRequest.Requester.PARENT
    raise Http404


def recordable_pupils(request: AccessRequest) -> QuerySet[Pupil]:
    """The pupils a member of staff may record a request about: any of the school's for
    its administrators and data protection lead; a teacher's own pupils (TEN-3)."""
    require_role(request, *STAFF)
    if request.access.has("school_admin", "trust_admin", *LEADS):
        return Pupil.objects.select_related("school")
    return roster_selectors.pupils_visible_to(request.user, request.access)


def recordable_pupil(request: AccessRequest, pupil_id: int) -> Pupil:
    """One of those (404 for a pupil not at this school, or not the teacher's)."""
    try:
        return recordable_pupils(request).get(pk=pupil_id)
    except Pupil.DoesNotExist:
        raise Http404 from None


def recordable_person(request: AccessRequest, email: str) -> User:
    """A parent or member of staff of this school, by email address (404 otherwise)."""
    require_role(request, *STAFF)
    membership = (
        Membership.objects.filter(
            user__email__iexact=email.strip(), role__in=("parent", "teacher", "school_admin")
        )
        .select_related("user")
        .first()
    )
    if not email.strip() or membership is None:
        raise Http404
    return membership.user


def staff_member(request: AccessRequest, user_id: int) -> User:
    """A member of this school's staff, for the lead role (404 otherwise)."""
    membership = (
        Membership.objects.filter(user_id=user_id, role__in=("teacher", "school_admin"))
        .select_related("user")
        .first()
    )
    if membership is None:
        raise Http404
    return membership.user
