"""Reads of roster data, visibility exactly as TEN-3 says.

Every function runs inside the request's school scope (TEN-4); none filters by
school itself. Staff reads of pupil data are recorded in the access log (SEC-1).
"""

from django.db.models import Count, Prefetch, Q, QuerySet

from markbook.accounts.models import Membership, User
from markbook.core.tenancy import Access
from markbook.rosters.models import (
    ClassTeacher,
    Enrolment,
    GuardianLink,
    ImportJob,
    Pupil,
    TeachingClass,
)
from markbook.schools.models import AcademicYear


def pupils_visible_to(user: User, access: Access) -> QuerySet[Pupil]:
    """TEN-3: admins every pupil; teachers their classes' pupils; parents their
    children; a pupil themself."""
    pupils = Pupil.objects.select_related("school")
    if access.has("school_admin", "trust_admin"):
        return pupils.all()
    condition = Q(pk__in=[])
    if access.has("teacher"):
        condition |= Q(enrolments__teaching_class__teacher_links__teacher=user)
    if access.has("parent"):
        condition |= Q(guardian_links__parent=user)
    if access.has("pupil"):
        condition |= Q(user=user)
    return pupils.filter(condition).distinct()


def classes_visible_to(user: User, access: Access) -> QuerySet[TeachingClass]:
    """Admins see every class; a teacher the classes they are attached to; a pupil
    the classes they are in; a parent their children's classes."""
    classes = TeachingClass.objects.select_related("academic_year").annotate(
        pupil_count=Count("enrolments", distinct=True)
    )
    if access.has("school_admin", "trust_admin"):
        return classes.all()
    condition = Q(pk__in=[])
    if access.has("teacher"):
        condition |= Q(teacher_links__teacher=user)
    if access.has("pupil"):
        condition |= Q(enrolments__pupil__user=user)
    if access.has("parent"):
        condition |= Q(enrolments__pupil__guardian_links__parent=user)
    return classes.filter(pk__in=TeachingClass.objects.filter(condition).values("pk"))


def classes_in_year(
    classes: QuerySet[TeachingClass], year: AcademicYear | None
) -> QuerySet[TeachingClass]:
    """Narrow visible classes to one academic year (None: every year)."""
    return classes if year is None else classes.filter(academic_year=year)


def classes_current(classes: QuerySet[TeachingClass]) -> QuerySet[TeachingClass]:
    """The classes of years not archived: what dashboards and pickers list."""
    return classes.filter(academic_year__closed_at=None)


def academic_years() -> QuerySet[AcademicYear]:
    """The school's academic years, newest first, with how many classes each has."""
    return AcademicYear.objects.annotate(class_count=Count("classes")).order_by("-start_date")


def staff(role: str | None = None) -> QuerySet[User]:
    """Staff of the school in scope (teachers and administrators)."""
    roles = [role] if role else [Membership.Role.TEACHER, Membership.Role.SCHOOL_ADMIN]
    ids = Membership.objects.filter(role__in=roles).values("user_id")
    return User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "email")


def class_detail(teaching_class_id: int, user: User, access: Access) -> TeachingClass:
    """One visible class with its teachers and pupils (raises DoesNotExist otherwise)."""
    return (
        classes_visible_to(user, access)
        .prefetch_related(
            Prefetch("teacher_links", ClassTeacher.objects.select_related("teacher")),
            Prefetch(
                "enrolments",
                Enrolment.objects.select_related("pupil", "pupil__school").order_by(
                    "pupil__last_name", "pupil__first_name"
                ),
            ),
        )
        .get(pk=teaching_class_id)
    )


def children_of(user: User) -> QuerySet[Pupil]:
    return Pupil.objects.select_related("school").filter(
        pk__in=GuardianLink.objects.filter(parent=user).values("pupil_id")
    )


def pupil_search(
    pupils: QuerySet[Pupil], *, query: str = "", year_group: str = ""
) -> QuerySet[Pupil]:
    """Narrow a visible-pupils queryset: every word of `query` must match a name,
    pseudonym or username; optionally one year group."""
    for word in query.split()[:5]:
        pupils = pupils.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(pseudonym__icontains=word)
            | Q(username__icontains=word)
        )
    if year_group:
        pupils = pupils.filter(year_group=year_group)
    return pupils


def staff_roles() -> dict[int, list[str]]:
    """user id -> staff roles in the school in scope, in one query (for the staff list)."""
    roles: dict[int, list[str]] = {}
    rows = Membership.objects.filter(
        role__in=[Membership.Role.TEACHER, Membership.Role.SCHOOL_ADMIN]
    ).values_list("user_id", "role")
    for user_id, role in rows:
        roles.setdefault(user_id, []).append(role)
    return roles


def pupil_classes(pupil: Pupil) -> QuerySet[TeachingClass]:
    return (
        TeachingClass.objects.filter(enrolments__pupil=pupil)
        .select_related("academic_year")
        .order_by("-academic_year__start_date", "name")
    )


def pupil_parents(pupil: Pupil) -> QuerySet[GuardianLink]:
    return GuardianLink.objects.filter(pupil=pupil).select_related("parent").order_by("pk")


def import_jobs_recent(limit: int = 10) -> QuerySet[ImportJob]:
    """The school's latest background imports, newest first, with who started them."""
    return (
        ImportJob.objects.select_related("created_by")
        .defer("upload")
        .order_by("-created_at", "-pk")[:limit]
    )
