"""Fetching one roster object for a user: missing and forbidden look the same (404)."""

from django.http import Http404

from markbook.accounts.models import User
from markbook.admission import AccessRequest
from markbook.rosters import selectors
from markbook.rosters.models import ImportJob, Pupil, TeachingClass
from markbook.schools.models import AcademicYear


def access_pupil(request: AccessRequest, pupil_id: int) -> Pupil:
    try:
        return selectors.pupils_visible_to(request.user, request.access).get(pk=pupil_id)
    except Pupil.DoesNotExist:
        raise Http404 from None


def access_class(request: AccessRequest, class_id: int) -> TeachingClass:
    try:
        return selectors.class_detail(class_id, request.user, request.access)
    except TeachingClass.DoesNotExist:
        raise Http404 from None


def may_reset_class_signin(request: AccessRequest, teaching_class: TeachingClass) -> bool:
    """Whether the user may reset the sign-in codes of a whole (visible) class: school
    administrators any class, a teacher their own (as accounts.access.access_pupil_for_reset
    allows for one pupil, ACC-2). Uses the class's prefetched teacher links."""
    access = request.access
    if access.has("school_admin"):
        return True
    teaches = any(link.teacher_id == request.user.pk for link in teaching_class.teacher_links.all())
    return access.has("teacher") and teaches


def access_class_for_signin_cards(request: AccessRequest, class_id: int) -> TeachingClass:
    """A class whose pupils' sign-in codes the user may reset all at once (404 otherwise)."""
    teaching_class = access_class(request, class_id)
    if not may_reset_class_signin(request, teaching_class):
        raise Http404
    return teaching_class


def access_staff(request: AccessRequest, user_id: int) -> User:
    """A member of staff of the request's school (for administrators' staff pages)."""
    try:
        return selectors.staff().get(pk=user_id)
    except User.DoesNotExist:
        raise Http404 from None


def access_import_job(request: AccessRequest, job_id: int) -> ImportJob:
    """An import job of the request's school (the scope hides other schools' jobs);
    its upload is read only if needed (a progress page polls every second)."""
    job = (
        ImportJob.objects.select_related("created_by")
        .defer("upload")
        .exclude(status=ImportJob.Status.PREVIEW)
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        raise Http404
    return job


def access_import_preview(
    request: AccessRequest, preview_id: int | str | None, kind: str
) -> ImportJob:
    """A previewed upload of this kind, kept for the user who previewed it in the
    request's school (another school's, or another person's, is not found: 404)."""
    text = str(preview_id or "")
    pk = int(text) if text.isdigit() and len(text) < 19 else 0
    job = ImportJob.objects.filter(
        pk=pk, kind=kind, status=ImportJob.Status.PREVIEW, created_by_id=request.user.pk
    ).first()
    if job is None:
        raise Http404
    return job


def access_academic_year(request: AccessRequest, year_id: int) -> AcademicYear:
    """One of the request's school's academic years (the scope hides other schools')."""
    year = AcademicYear.objects.filter(pk=year_id).first()
    if year is None:
        raise Http404
    return year
