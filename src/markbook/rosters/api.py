"""API: pupils and classes of one school (ROS-1, TEN-3, TEN-5, SEC-1, SEC-2); staff
and parents are in api_people.py.

Thin, like the pages: check the role, fetch through access/selectors, call one
service. SchoolScopeMiddleware has already answered 401/404/403 for anonymous users,
other schools and blocked schools, and runs the request in the school's scope.
Wrong role or invisible object: 404, as on the pages. Staff reads of pupil data go to
the access log (SEC-1) exactly as the pages record them.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router, Status

from markbook.admission import ADMINS, STAFF, AccessRequest, require_role, school_of
from markbook.core.api import responses
from markbook.rosters import selectors, services
from markbook.rosters.access import access_class, access_pupil, access_staff
from markbook.rosters.api_schemas import (
    ClassDetailOut,
    ClassFilter,
    ClassIn,
    ClassOut,
    ClassPatch,
    MoveIn,
    PupilDetailOut,
    PupilDetailsOut,
    PupilFilter,
    PupilIn,
    PupilListOut,
    PupilPatch,
)
from markbook.rosters.models import Pupil, TeachingClass
from markbook.schools import years

router = Router(tags=["rosters"])

SCHOOL = "/schools/{school_id}"


def _read(
    request: AccessRequest,
    action: str,
    target: Any = None,
    data: dict | None = None,
    fields: selectors.PupilFields | None = None,
    pupils: list[Pupil] | None = None,
) -> None:
    """SEC-1: staff reads of pupil data go to the access log, as the pages record them."""
    selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action=action,
        target=target,
        data=data,
        fields=fields,
        pupils=pupils or (),
        via="api",
    )


# --- Shaping answers ----------------------------------------------------------


def _fields(
    request: AccessRequest,
    pupil: Pupil | None = None,
    teaching_class: TeachingClass | None = None,
) -> selectors.PupilFields:
    return selectors.pupil_fields_visible(
        request.user,
        request.access,
        pupil=pupil,
        teaching_class=teaching_class,
    )


def _pupil(pupil: Pupil, fields: selectors.PupilFields) -> dict[str, Any]:
    """The fields any viewer gets; the email as the page shows it (TEN-5)."""
    email = fields.email(pupil)
    return {
        "id": pupil.pk,
        "display_name": pupil.display_name,
        "username": pupil.username,
        "year_group": pupil.year_group,
        "email": email,
        "email_hidden": bool(pupil.email) and email is None,
        "planning": {name: getattr(pupil, name) for name in fields.planning}
        if fields.planning
        else None,
    }


def _pupil_detail(
    request: AccessRequest, pupil: Pupil, fields: selectors.PupilFields
) -> dict[str, Any]:
    access = request.access
    out = _pupil(pupil, fields)
    classes = selectors.classes_visible_to(request.user, access).filter(enrolments__pupil=pupil)
    out["classes"] = list(classes)
    if fields.details:
        out["details"] = {name: getattr(pupil, name) for name in PupilDetailsOut.model_fields}
    if fields.sensitive:
        out["sensitive"] = {name: getattr(pupil, name) for name in fields.sensitive}
    return out


def _class(teaching_class: TeachingClass) -> dict[str, Any]:
    return {
        "id": teaching_class.pk,
        "name": teaching_class.name,
        "subject": teaching_class.subject,
        "year_group": teaching_class.year_group,
        "academic_year": teaching_class.academic_year.name,
        "archived": teaching_class.archived,
        # Annotated by selectors.classes_visible_to, whose QuerySet[TeachingClass] cannot say so.
        "pupil_count": teaching_class.pupil_count,  # type: ignore[attr-defined]
        "teachers": [
            {"id": link.teacher.pk, "name": link.teacher.display_name}
            for link in teaching_class.teacher_links.all()
        ],
    }


def _sensitive_allowed(request: AccessRequest, values: dict[str, Any]) -> None:
    """SEC-2: only the school's administrators write the encrypted fields."""
    if request.access.has("school_admin"):
        return
    refused = sorted(set(values) & set(services.SENSITIVE_FIELDS))
    if refused:
        message = "Only the school's administrators can set this field."
        raise ValidationError({name: [message] for name in refused})


# --- Pupils -----------------------------------------------------------------


@router.get(f"{SCHOOL}/pupils", response=responses(PupilListOut), summary="List pupils")
def pupils(request: AccessRequest, school_id: int, filters: Query[PupilFilter]) -> dict:
    """The pupils the caller may see (TEN-3), by name search and year group."""
    rows = selectors.pupil_search(
        selectors.pupils_visible_to(request.user, request.access),
        query=filters.q.strip()[:100],
        year_group=filters.year_group or "",
        upn=request.access.has(*ADMINS),
    )
    items = list(rows[filters.offset : filters.offset + filters.limit])
    _read(request, "rosters.pupils.listed", data={"count": len(items), "offset": filters.offset})
    fields = _fields(request)
    return {
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_pupil(p, fields) for p in items],
    }


@router.get(
    f"{SCHOOL}/pupils/{{pupil_id}}", response=responses(PupilDetailOut), summary="Get a pupil"
)
def pupil_detail(request: AccessRequest, school_id: int, pupil_id: int) -> dict:
    """One pupil, for themself, their parents, teachers and administrators (TEN-3).
    `details` only for administrators, `sensitive` only for school administrators."""
    pupil = access_pupil(request, pupil_id)
    fields = _fields(request, pupil)
    _read(request, "rosters.pupil.viewed", target=pupil, fields=fields)
    return _pupil_detail(request, pupil, fields)


@router.post(
    f"{SCHOOL}/pupils", response=responses(PupilDetailOut, status=201), summary="Add a pupil"
)
def pupil_create(request: AccessRequest, school_id: int, payload: PupilIn) -> Status:
    require_role(request, *ADMINS)
    values = payload.model_dump(exclude_unset=True)
    values.setdefault("first_name", "")
    values.setdefault("last_name", "")
    _sensitive_allowed(request, values)
    pupil = services.pupil_create(
        actor=request.user,
        school=school_of(request),
        **values,
    )
    return Status(201, _pupil_detail(request, pupil, _fields(request, pupil)))


@router.patch(
    f"{SCHOOL}/pupils/{{pupil_id}}", response=responses(PupilDetailOut), summary="Change a pupil"
)
def pupil_update(
    request: AccessRequest, school_id: int, pupil_id: int, payload: PupilPatch
) -> dict:
    require_role(request, *ADMINS)
    pupil = access_pupil(request, pupil_id)
    changes = payload.model_dump(exclude_unset=True)
    _sensitive_allowed(request, changes)
    services.pupil_update(actor=request.user, pupil=pupil, **changes)
    return _pupil_detail(request, pupil, _fields(request, pupil))


@router.delete(
    f"{SCHOOL}/pupils/{{pupil_id}}", response=responses(None, status=204), summary="Remove a pupil"
)
def pupil_delete(
    request: AccessRequest, school_id: int, pupil_id: int, request_id: int | None = None
) -> Status:
    """Remove a pupil completely, with all their records (ROS-1, DSR-7, DSR-4): school
    administrators any pupil, a teacher the pupils of their classes. 422 naming why when
    it may not (a legal hold). A teacher answering the pupil's own request to have their
    account deleted names it (`request_id`): it is marked done."""
    require_role(request, *STAFF)
    pupil = access_pupil(request, pupil_id)
    if request_id is not None:
        from markbook.rosters.views_deletions import deletion_request_for

        asked = deletion_request_for(request, str(request_id))
        if asked is None:
            raise Http404
        services.pupil_delete_requested(actor=request.user, pupil=pupil, data_request=asked)
    else:
        services.pupil_delete(actor=request.user, pupil=pupil)
    return Status(204, None)


# --- Classes ----------------------------------------------------------------


@router.get(f"{SCHOOL}/classes", response=responses(list[ClassOut]), summary="List classes")
def classes(request: AccessRequest, school_id: int, filters: Query[ClassFilter]) -> list:
    """Administrators: every class; a teacher: the classes they teach (TEN-3); by
    name, subject, year group and teacher, as on the classes page. Those of the current
    academic year, of the year named (`academic_year=2025/26`), or of every year
    (`academic_year=all`)."""
    require_role(request, *STAFF)
    academic_year = filters.academic_year.strip()
    if academic_year == "all":
        year = None
    elif academic_year:
        years.academic_year_dates(academic_year)  # 422 unless like 2026/27
        year = selectors.academic_years().filter(name=academic_year).first()
        if year is None:
            raise ValidationError({"academic_year": [f"No academic year {academic_year}."]})
    else:
        year = years.academic_year_current(school_of(request))
    rows = selectors.class_search(
        selectors.classes_in_year(selectors.classes_visible_to(request.user, request.access), year),
        query=filters.q.strip()[:100],
        subject=filters.subject.strip(),
        year_group=filters.year_group or "",
        teacher_id=filters.teacher,
    ).prefetch_related("teacher_links__teacher")
    return [_class(c) for c in rows]


def _class_detail(teaching_class: TeachingClass, fields: selectors.PupilFields) -> dict[str, Any]:
    out = _class(teaching_class)
    out["pupils"] = [_pupil(e.pupil, fields) for e in teaching_class.enrolments.all()]
    return out


@router.get(
    f"{SCHOOL}/classes/{{class_id}}", response=responses(ClassDetailOut), summary="Get a class"
)
def class_detail(request: AccessRequest, school_id: int, class_id: int) -> dict:
    """A class with its teachers and pupils: its teachers and administrators (TEN-3)."""
    require_role(request, *STAFF)
    teaching_class = access_class(request, class_id)
    fields = _fields(request, teaching_class=teaching_class)
    _read(
        request,
        "rosters.class.viewed",
        target=teaching_class,
        data={"count": len(teaching_class.enrolments.all())},
        fields=fields,
        pupils=[e.pupil for e in teaching_class.enrolments.all()],
    )
    return _class_detail(teaching_class, fields)


@router.post(f"{SCHOOL}/classes", response=responses(ClassOut, status=201), summary="Add a class")
def class_create(request: AccessRequest, school_id: int, payload: ClassIn) -> Status:
    require_role(request, *ADMINS)
    teaching_class = services.class_create(
        actor=request.user,
        school=school_of(request),
        **payload.model_dump(),
    )
    return Status(201, _class(access_class(request, teaching_class.pk)))


@router.patch(
    f"{SCHOOL}/classes/{{class_id}}", response=responses(ClassOut), summary="Change a class"
)
def class_update(
    request: AccessRequest, school_id: int, class_id: int, payload: ClassPatch
) -> dict:
    require_role(request, *ADMINS)
    teaching_class = access_class(request, class_id)
    services.class_update(
        actor=request.user,
        teaching_class=teaching_class,
        **payload.model_dump(exclude_unset=True),
    )
    return _class(access_class(request, class_id))


@router.delete(
    f"{SCHOOL}/classes/{{class_id}}", response=responses(None, status=204), summary="Delete a class"
)
def class_delete(request: AccessRequest, school_id: int, class_id: int) -> Status:
    """Delete a class; its pupils stay in the school (ROS-1)."""
    require_role(request, *ADMINS)
    services.class_delete(actor=request.user, teaching_class=access_class(request, class_id))
    return Status(204, None)


@router.put(
    f"{SCHOOL}/classes/{{class_id}}/teachers/{{user_id}}",
    response=responses(None, status=204),
    summary="Attach a teacher to a class",
)
def class_teacher_attach(
    request: AccessRequest, school_id: int, class_id: int, user_id: int
) -> Status:
    """Attach a member of staff (ROS-1); attaching twice changes nothing."""
    require_role(request, *ADMINS)
    services.class_teacher_attach(
        actor=request.user,
        teaching_class=access_class(request, class_id),
        teacher=access_staff(request, user_id),
    )
    return Status(204, None)


@router.delete(
    f"{SCHOOL}/classes/{{class_id}}/teachers/{{user_id}}",
    response=responses(None, status=204),
    summary="Detach a teacher from a class",
)
def class_teacher_detach(
    request: AccessRequest, school_id: int, class_id: int, user_id: int
) -> Status:
    require_role(request, *ADMINS)
    services.class_teacher_detach(
        actor=request.user,
        teaching_class=access_class(request, class_id),
        teacher=access_staff(request, user_id),
    )
    return Status(204, None)


@router.put(
    f"{SCHOOL}/classes/{{class_id}}/pupils/{{pupil_id}}",
    response=responses(None, status=204),
    summary="Enrol a pupil in a class",
)
def enrolment_add(request: AccessRequest, school_id: int, class_id: int, pupil_id: int) -> Status:
    """Enrol a pupil (ROS-1); enrolling twice changes nothing."""
    require_role(request, *ADMINS)
    services.enrolment_add(
        actor=request.user,
        teaching_class=access_class(request, class_id),
        pupil=access_pupil(request, pupil_id),
    )
    return Status(204, None)


@router.delete(
    f"{SCHOOL}/classes/{{class_id}}/pupils/{{pupil_id}}",
    response=responses(None, status=204),
    summary="Remove a pupil from a class",
)
def enrolment_remove(
    request: AccessRequest, school_id: int, class_id: int, pupil_id: int
) -> Status:
    require_role(request, *ADMINS)
    services.enrolment_remove(
        actor=request.user,
        teaching_class=access_class(request, class_id),
        pupil=access_pupil(request, pupil_id),
    )
    return Status(204, None)


@router.post(
    f"{SCHOOL}/classes/{{class_id}}/pupils/{{pupil_id}}/move",
    response=responses(None, status=204),
    summary="Move a pupil to another class",
)
def pupil_move(
    request: AccessRequest, school_id: int, class_id: int, pupil_id: int, payload: MoveIn
) -> Status:
    """Move a pupil of this class to another class in one step (ROS-1), as the class
    page does; 422 if the pupil is not in this class or the class is the same."""
    require_role(request, *ADMINS)
    services.pupil_move(
        actor=request.user,
        pupil=access_pupil(request, pupil_id),
        from_class=access_class(request, class_id),
        to_class=access_class(request, payload.to_class),
    )
    return Status(204, None)
