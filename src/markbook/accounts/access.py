"""Who may reach which account object (ACC-2, ACC-4): missing and forbidden look the
same (404)."""

from django.db.models import Q
from django.http import Http404

from markbook.accounts.models import RegistrationRequest
from markbook.admission import AccessRequest, require_role
from markbook.rosters.models import Pupil


def access_pupil_for_reset(request: AccessRequest, pupil_id: int) -> Pupil:
    """A pupil whose password the user may reset: school administrators any pupil,
    teachers the pupils of their classes. Runs in the request's school scope."""
    access = request.access
    pupils = Pupil.objects.select_related("school", "user")
    if access.has("school_admin"):
        pass
    elif access.has("teacher"):
        pupils = pupils.filter(
            Q(enrolments__teaching_class__teacher_links__teacher=request.user)
        ).distinct()
    else:
        raise Http404
    try:
        return pupils.get(pk=pupil_id)
    except Pupil.DoesNotExist:
        raise Http404 from None


def access_registration_request(request: AccessRequest, request_id: int) -> RegistrationRequest:
    """A request to join the request's school, for its administrators (ACC-4)."""
    require_role(request, "school_admin", "trust_admin")
    pending = RegistrationRequest.objects.filter(pk=request_id).first()
    if pending is None:
        raise Http404
    return pending
