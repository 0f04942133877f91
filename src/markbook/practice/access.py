"""Fetching practice objects for a user (TEN-3): missing and forbidden look the same
(404). A pupil reaches only their own attempts and the school's open sets; fair use is
for the pupil's teachers (of one of their classes) and the school's administrators."""

from django.http import Http404

from markbook.admission import STAFF, Access, AccessRequest, require_role
from markbook.assessment.models import Assignment
from markbook.practice.models import Attempt, QuestionSet
from markbook.rosters import selectors as roster_selectors
from markbook.rosters.models import Pupil


def my_pupil(request: AccessRequest) -> Pupil:
    """The signed-in pupil's own record in the request's school."""
    require_role(request, "pupil")
    pupil = Pupil.objects.select_related("school").filter(user=request.user).first()
    if pupil is None:
        raise Http404
    return pupil


def access_set_for_pupil(request: AccessRequest, set_id: int) -> QuestionSet:
    """A set of the school open for practice (published, not archived)."""
    found = QuestionSet.objects.filter(pk=set_id, published=True, archived=False).first()
    if found is None:
        raise Http404
    return found


def access_assignment_for_pupil(pupil: Pupil, assignment_id: int) -> Assignment:
    """An assignment set to one of the pupil's classes."""
    found = Assignment.objects.filter(
        pk=assignment_id, teaching_class__enrolments__pupil=pupil
    ).first()
    if found is None:
        raise Http404
    return found


def access_attempt(request: AccessRequest, attempt_id: int) -> Attempt:
    """One of the signed-in pupil's own attempts, with its set and current question."""
    require_role(request, "pupil")
    found = (
        Attempt.objects.select_related("question_set", "current", "current__question")
        .filter(pk=attempt_id, pupil__user=request.user)
        .first()
    )
    if found is None:
        raise Http404
    return found


def staff_access(request: AccessRequest) -> Access:
    """The request's access with only its staff roles: a teacher who is also a parent
    reinstates as a teacher, never through their child."""
    require_role(request, *STAFF)
    access = request.access
    return Access(
        school=access.school, trust=access.trust, roles=frozenset(access.roles & set(STAFF))
    )


def access_pupil_for_fair_use(request: AccessRequest, pupil_id: int) -> Pupil:
    """A pupil of one of the user's classes, or any pupil for an administrator (ASM-7)."""
    try:
        return roster_selectors.pupils_visible_to(request.user, staff_access(request)).get(
            pk=pupil_id
        )
    except Pupil.DoesNotExist:
        raise Http404 from None
