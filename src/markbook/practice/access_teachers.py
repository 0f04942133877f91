"""Fetching what teachers author and watch in practice (ASM-2, TEN-3): missing and
forbidden look the same (404).

- The school's staff see its teachers' sets; a set is changed by its author and the
  school's administrators.
- A class's live view and heat map: its teachers and the administrators (as for
  setting work, assessment.access).
- A pupil's practice: whoever may see the pupil (rosters.access: the pupil, their
  parents, their teachers, administrators).
- A prompt's image or sound: the school's pupils and staff; parents and everyone
  outside the school get 404.
"""

from django.db.models import QuerySet
from django.http import Http404

from markbook.admission import ADMINS, STAFF, AccessRequest, require_role
from markbook.assessment.access import access_class_for_work
from markbook.practice.models import PromptMedia, Question, QuestionSet
from markbook.rosters.access import access_pupil

__all__ = [
    "access_class_for_work",
    "access_media",
    "access_pupil",
    "access_question",
    "access_set",
    "access_set_for_heatmap",
    "may_edit",
    "sets_visible",
]


def sets_visible(request: AccessRequest) -> QuerySet[QuestionSet]:
    """The school's teachers' own sets (404 for anyone but staff)."""
    require_role(request, *STAFF)
    return QuestionSet.objects.filter(kind=QuestionSet.Kind.CUSTOM).select_related("created_by")


def may_edit(request: AccessRequest, question_set: QuestionSet) -> bool:
    return request.access.has(*ADMINS) or question_set.created_by_id == request.user.pk


def access_set(request: AccessRequest, set_id: int) -> QuestionSet:
    """A teacher's set the user may change: their own, or any for administrators."""
    found = sets_visible(request).select_related("school").filter(pk=set_id).first()
    if found is None or not may_edit(request, found):
        raise Http404
    return found


def access_set_for_heatmap(request: AccessRequest, set_id: int | None) -> QuestionSet | None:
    """Any set of the school (generated or a teacher's), for a heat map; None for none."""
    if set_id is None:
        return None
    found = QuestionSet.objects.filter(pk=set_id).first()
    if found is None:
        raise Http404
    return found


def access_question(request: AccessRequest, set_id: int, question_id: int) -> Question:
    """A question of a set the user may change; one of another set or school is 404."""
    question_set = access_set(request, set_id)
    found = (
        Question.objects.select_related("media")
        .filter(question_set=question_set, pk=question_id)
        .first()
    )
    if found is None:
        raise Http404
    found.question_set = question_set
    return found


def access_media(request: AccessRequest, media_id: int) -> PromptMedia:
    """An image or sound of the school, for its pupils and staff."""
    require_role(request, "pupil", *STAFF)
    found = PromptMedia.objects.filter(pk=media_id).first()
    if found is None:
        raise Http404
    return found
