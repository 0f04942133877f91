"""Fetching one roster object for a user: missing and forbidden look the same (404)."""

from django.http import Http404, HttpRequest

from markbook.accounts.models import User
from markbook.rosters import selectors
from markbook.rosters.models import ImportJob, Pupil, TeachingClass
from markbook.schools.models import AcademicYear


def require_role(request: HttpRequest, *roles: str) -> None:
    """404 unless the user holds one of these roles in the request's school."""
    if not request.access.has(*roles):  # type: ignore[attr-defined]
        raise Http404


def access_pupil(request: HttpRequest, pupil_id: int) -> Pupil:
    try:
        return selectors.pupils_visible_to(request.user, request.access).get(pk=pupil_id)  # type: ignore[arg-type, attr-defined]
    except Pupil.DoesNotExist:
        raise Http404 from None


def access_class(request: HttpRequest, class_id: int) -> TeachingClass:
    try:
        return selectors.class_detail(class_id, request.user, request.access)  # type: ignore[arg-type, attr-defined]
    except TeachingClass.DoesNotExist:
        raise Http404 from None


def access_staff(request: HttpRequest, user_id: int) -> User:
    """A member of staff of the request's school (for administrators' staff pages)."""
    try:
        return selectors.staff().get(pk=user_id)
    except User.DoesNotExist:
        raise Http404 from None


def access_import_job(request: HttpRequest, job_id: int) -> ImportJob:
    """An import job of the request's school (the scope hides other schools' jobs);
    its upload is read only if needed (a progress page polls every second)."""
    job = ImportJob.objects.select_related("created_by").defer("upload").filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def access_academic_year(request: HttpRequest, year_id: int) -> AcademicYear:
    """One of the request's school's academic years (the scope hides other schools')."""
    year = AcademicYear.objects.filter(pk=year_id).first()
    if year is None:
        raise Http404
    return year
