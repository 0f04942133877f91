"""Who may reset which pupil's password (ACC-2): missing and forbidden look the same (404)."""

from django.db.models import Q
from django.http import Http404, HttpRequest

from markbook.rosters.models import Pupil


def access_pupil_for_reset(request: HttpRequest, pupil_id: int) -> Pupil:
    """A pupil whose password the user may reset: school administrators any pupil,
    teachers the pupils of their classes. Runs in the request's school scope."""
    access = request.access  # type: ignore[attr-defined]
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
