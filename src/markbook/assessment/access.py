"""Fetching assignments for a user: missing and forbidden look the same (404, TEN-3)."""

from django.http import Http404

from markbook.admission import AccessRequest
from markbook.assessment import selectors
from markbook.assessment.models import Assignment, TrustAssignment
from markbook.rosters.models import TeachingClass


def access_assignment(request: AccessRequest, assignment_id: int) -> Assignment:
    """An assignment of a class the user teaches, or any for administrators."""
    found = (
        selectors.assignments_visible_to(request.user, request.access)
        .filter(pk=assignment_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def access_class_for_work(request: AccessRequest, class_id: int) -> TeachingClass:
    """A class the user may set work for: one they teach, or any for administrators."""
    found = selectors.classes_for_work(request.user, request.access).filter(pk=class_id).first()
    if found is None:
        raise Http404
    return found


def access_trust_assignment(request: AccessRequest, trust_assignment_id: int) -> TrustAssignment:
    """One of the request's trust's originals (admission admitted its administrators only)."""
    trust = request.access.trust
    if trust is None:
        raise Http404
    found = selectors.trust_assignments(trust).filter(pk=trust_assignment_id).first()
    if found is None:
        raise Http404
    return found
