"""Object fetches of the privacy pages and API (TEN-3): 404 for what is not the school's."""

from django.http import Http404

from markbook.accounts.models import Membership, User
from markbook.admission import AccessRequest
from markbook.privacy.models import LegalHold
from markbook.rosters.models import GuardianLink, Pupil


def access_hold(request: AccessRequest, hold_id: int) -> LegalHold:
    hold = LegalHold.objects.filter(pk=hold_id).select_related("pupil", "user").first()
    if hold is None:
        raise Http404
    return hold


def access_pupil(request: AccessRequest, pupil_id: int) -> Pupil:
    pupil = Pupil.objects.filter(pk=pupil_id).select_related("school", "user").first()
    if pupil is None:
        raise Http404
    return pupil


def access_person(request: AccessRequest, user_id: int) -> User:
    """A member of staff or parent of the school (a pupil's account is their pupil's)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not (
        Membership.objects.filter(user=user).exists()
        or GuardianLink.objects.filter(parent=user).exists()
    ):
        raise Http404
    return user
