"""Fetching one tracking object for a user: missing and forbidden look the same (404).

The school's scope hides other schools' rows (TEN-4); these add who may see what
(TEN-3): scales, subjects and drops are the school's set-up, which its staff may
read; a pupil's target may be set by an administrator or a teacher of the pupil in a
class tracked in that subject.
"""

from django.db.models import Model, QuerySet
from django.http import Http404

from markbook.admission import ADMINS, AccessRequest
from markbook.rosters.models import Pupil, TeachingClass
from markbook.rosters.selectors import classes_visible_to
from markbook.tracking.models import Band, DataDrop, Grade, GradeScale, Subject


def _get[M: Model](rows: QuerySet[M], pk: int) -> M:
    found = rows.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def access_scale(request: AccessRequest, scale_id: int) -> GradeScale:
    return _get(GradeScale.objects.all(), scale_id)


def access_band(request: AccessRequest, band_id: int) -> Band:
    return _get(Band.objects.all(), band_id)


def access_subject(request: AccessRequest, subject_id: int) -> Subject:
    return _get(Subject.objects.select_related("scale", "school"), subject_id)


def access_drop(request: AccessRequest, drop_id: int) -> DataDrop:
    return _get(DataDrop.objects.select_related("school", "locked_by"), drop_id)


def access_grade(scale_id: int, grade_id: int | None) -> Grade | None:
    """A grade of one scale, or None for no id (404 for another scale's grade)."""
    if not grade_id:
        return None
    return _get(Grade.objects.filter(scale_id=scale_id), grade_id)


def access_tracked_class(request: AccessRequest, class_id: int) -> TeachingClass:
    """A class whose targets the user may see and set: administrators any class, a
    teacher the classes they teach."""
    classes = classes_visible_to(request.user, request.access)
    if not request.access.has(*ADMINS):
        classes = classes.filter(teacher_links__teacher=request.user)
    return _get(classes, class_id)


def access_target_pupil(request: AccessRequest, subject: Subject, pupil_id: int) -> Pupil:
    """A pupil whose target in `subject` the user may set: any pupil for
    administrators; for a teacher, a pupil of a class they teach that is tracked in the
    subject."""
    pupils = Pupil.objects.select_related("school")
    if not request.access.has(*ADMINS):
        if not request.access.has("teacher"):
            raise Http404
        pupils = pupils.filter(
            enrolments__teaching_class__teacher_links__teacher=request.user,
            enrolments__teaching_class__subject_links__subject=subject,
        )
    return _get(pupils.distinct(), pupil_id)
