"""Reads of roster data, visibility exactly as TEN-3 says.

Every function runs inside the request's school scope (TEN-4); none filters by
school itself. Which of a pupil's fields a viewer sees (TEN-3, TEN-5, SEC-2) is
decided once, by `pupil_fields_visible`, and staff reads of pupil data are recorded
once, by `pupil_read_logged` (SEC-1): the pages and the API both call them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from markbook.accounts.models import Membership, User
from markbook.admission import ADMINS, STAFF, Access
from markbook.audit import services as audit
from markbook.rosters.models import (
    ClassTeacher,
    Enrolment,
    GuardianLink,
    ImportJob,
    Pupil,
    TeachingClass,
)
from markbook.rosters.services import MIS_FIELDS, SENSITIVE_FIELDS, upn_digest
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
    pupils: QuerySet[Pupil], *, query: str = "", year_group: str = "", upn: bool = False
) -> QuerySet[Pupil]:
    """Narrow a visible-pupils queryset: every word of `query` must match a name,
    pseudonym or username, or with `upn` (for viewers who may see UPNs, ROS-3) the
    start of a UPN, or a whole UPN through its keyed hash, which is all a school with
    pseudonyms keeps (ACC-3); optionally one year group."""
    for word in query.split()[:5]:
        match = (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(pseudonym__icontains=word)
            | Q(username__icontains=word)
        )
        if upn and len(word) >= 3:
            match |= Q(upn__startswith=word.upper())
            if len(word) == 13:
                match |= Q(upn_hash=upn_digest(word))
        pupils = pupils.filter(match)
    if year_group:
        pupils = pupils.filter(year_group=year_group)
    return pupils


def class_search(
    classes: QuerySet[TeachingClass],
    *,
    query: str = "",
    subject: str = "",
    year_group: str = "",
    teacher_id: int | None = None,
) -> QuerySet[TeachingClass]:
    """Narrow a visible-classes queryset: every word of `query` in the class's name,
    and optionally one subject, year group and teacher (ROS-1); by name."""
    for word in query.split()[:5]:
        classes = classes.filter(name__icontains=word)
    if subject:
        classes = classes.filter(subject__iexact=subject)
    if year_group:
        classes = classes.filter(year_group=year_group)
    if teacher_id:
        classes = classes.filter(
            pk__in=ClassTeacher.objects.filter(teacher_id=teacher_id).values("teaching_class_id")
        )
    # The pupil count's GROUP BY drops Meta.ordering: pages need a stable order.
    return classes.order_by("name", "academic_year", "pk")


def class_subjects(classes: QuerySet[TeachingClass]) -> list[str]:
    """The subjects of these classes, each once, sorted (for the class filter)."""
    subjects = classes.exclude(subject="").values_list("subject", flat=True)
    return sorted(set(subjects), key=str.lower)


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
        .exclude(status=ImportJob.Status.PREVIEW)
        .order_by("-created_at", "-pk")[:limit]
    )


# --- Which fields a viewer sees, and the record of what staff read ---------------

# School information administrators see on a pupil's page (ROS-2), sensitive ones aside.
DETAIL_FIELDS = ("upn", *(n for n in MIS_FIELDS if n not in SENSITIVE_FIELDS))


@dataclass(frozen=True)
class PupilFields:
    """What one viewer sees of a pupil, beyond name, username and year group (TEN-3).

    `staff`: the email only in a school domain (TEN-5); `details`: school
    information (administrators); `sensitive`: encrypted fields (SEC-2, the school's
    own administrators); `planning`: the fields the school shows teachers for the
    pupils of their own classes (schools.School.teacher_fields)."""

    staff: bool = False
    details: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    planning: tuple[str, ...] = ()

    @property
    def logged(self) -> list[str]:
        """The sensitive and planning fields shown, which the access log names (SEC-1)."""
        return sorted({*self.sensitive, *self.planning})

    def email(self, pupil: Pupil) -> str | None:
        """The address as this viewer may see it (TEN-5): staff only a school-domain one."""
        return pupil.email_for_staff() if self.staff else (pupil.email or None)


def _teaches(user: User, pupil: Pupil | None, teaching_class: TeachingClass | None) -> bool:
    if teaching_class is not None:
        # The class page prefetches its teacher links: no query.
        return any(link.teacher_id == user.pk for link in teaching_class.teacher_links.all())
    return (
        pupil is not None
        and ClassTeacher.objects.filter(
            teacher=user, teaching_class__enrolments__pupil=pupil
        ).exists()
    )


def pupil_fields_visible(
    user: User,
    access: Access,
    *,
    pupil: Pupil | None = None,
    teaching_class: TeachingClass | None = None,
) -> PupilFields:
    """What this viewer is shown of `pupil`, or of each pupil of `teaching_class` (one
    the viewer may see at all), or of any pupil in a list when neither is given.

    On a pupil's own page administrators see the school information and school
    administrators the encrypted fields too (TEN-3, TEN-5, SEC-2). A teacher of the
    pupil's class, and a school administrator on a class page, see the fields the
    school shows teachers (`School.teacher_fields`); nobody else sees those."""
    one = pupil is not None
    details = DETAIL_FIELDS if one and access.has(*ADMINS) else ()
    sensitive = SENSITIVE_FIELDS if one and access.has("school_admin") else ()
    planning: tuple[str, ...] = ()
    if pupil is not None or teaching_class is not None:
        class_admin = teaching_class is not None and access.has("school_admin")
        if class_admin or (access.has("teacher") and _teaches(user, pupil, teaching_class)):
            shown = {*details, *sensitive}
            assert access.school is not None  # roles are held in the school in scope
            planning = tuple(n for n in access.school.teacher_fields() if n not in shown)
    return PupilFields(
        staff=access.has(*STAFF), details=details, sensitive=sensitive, planning=planning
    )


def pupil_read_logged(
    *,
    user: User,
    access: Access,
    action: str,
    target: Any = None,
    data: dict[str, Any] | None = None,
    fields: PupilFields | None = None,
    pupils: Iterable[Pupil] = (),
    via: str = "",
) -> None:
    """Record a staff read of pupil data in the access log (SEC-1); nobody else's.

    `fields`, when given, names the sensitive and planning fields shown; when they are
    shown for the `pupils` of a class page (`target` the class), each pupil also gets an event
    `rosters.pupil.fields_read` naming them, so a pupil's own log shows every read:
    all in one insert, whatever the number of pupils. `via` says where from ("api");
    pages leave it out."""
    if not access.has(*STAFF):
        return
    data = dict(data or {})
    logged = fields.logged if fields is not None else []
    if logged:
        data["fields"] = logged
    if via:
        data["via"] = via
    events: list[tuple[str, Any, dict | None]] = [(action, target, data)]
    if logged:
        each: dict[str, Any] = {"fields": logged, **({"via": via} if via else {})}
        if isinstance(target, TeachingClass):
            each["class"] = target.pk
        events += [("rosters.pupil.fields_read", pupil, dict(each)) for pupil in pupils]
    if len(events) == 1:
        audit.record(actor=user, school=access.school, action=action, target=target, data=data)
    else:
        audit.record_many(actor=user, school=access.school, events=events)
