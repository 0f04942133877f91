"""API: a pupil's parents and carers, and the school's staff (ROS-1, TEN-2, TEN-3, ACC-2).

The twins of the pupil page's parent links and of the staff pages: administrators
(school and trust) only, the same services, 404 for everyone else and for another
school's objects (the scope hides them)."""

from typing import Any, Literal

from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.accounts.models import User
from markbook.admission import ADMINS, AccessRequest, require_role, school_of
from markbook.core.api import InputSchema, responses
from markbook.rosters import selectors, services
from markbook.rosters.access import access_pupil, access_staff
from markbook.rosters.api_schemas import StaffOut
from markbook.rosters.models import GuardianLink

router = Router(tags=["rosters"])

SCHOOL = "/schools/{school_id}"
StaffRoleName = Literal["teacher", "school_admin"]


class GuardianOut(Schema):
    id: int = Field(description="The link's id (unlink with it).")
    parent_id: int
    email: str
    name: str
    relationship: str


class GuardianIn(InputSchema):
    parent_email: str = Field(max_length=254)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    relationship: str = Field("", max_length=50, description="For example Mother.")


class StaffIn(InputSchema):
    email: str = Field(max_length=254)
    first_name: str = Field(max_length=150)
    last_name: str = Field(max_length=150)
    role: StaffRoleName = "teacher"


class StaffPatch(InputSchema):
    """Only the fields sent are changed."""

    email: str = Field(None, max_length=254)  # type: ignore[assignment]
    first_name: str = Field(None, max_length=150)  # type: ignore[assignment]
    last_name: str = Field(None, max_length=150)  # type: ignore[assignment]
    role: StaffRoleName = None  # type: ignore[assignment]


class StaffCreatedOut(StaffOut):
    temporary_password: str = Field(
        description="Shown once and never stored (empty when an existing account of this "
        "school was given a staff role): the new member changes it at first sign-in."
    )


def _guardian(link: GuardianLink) -> dict[str, Any]:
    return {
        "id": link.pk,
        "parent_id": link.parent_id,
        "email": link.parent.email,
        "name": link.parent.display_name,
        "relationship": link.relationship,
    }


def _staff(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "roles": sorted(selectors.staff_roles().get(user.pk, [])),
    }


# --- Parents and carers ----------------------------------------------------------


@router.get(
    f"{SCHOOL}/pupils/{{pupil_id}}/guardians",
    response=responses(list[GuardianOut]),
    summary="List a pupil's parents and carers",
)
def guardians(request: AccessRequest, school_id: int, pupil_id: int) -> list:
    """The parents and carers linked to a pupil, as the pupil page lists them (TEN-3)."""
    require_role(request, *ADMINS)
    return [_guardian(link) for link in selectors.pupil_parents(access_pupil(request, pupil_id))]


@router.post(
    f"{SCHOOL}/pupils/{{pupil_id}}/guardians",
    response=responses(GuardianOut, status=201),
    summary="Link a parent or carer to a pupil",
)
def guardian_link(
    request: AccessRequest, school_id: int, pupil_id: int, payload: GuardianIn
) -> Status:
    """Link a parent or carer by email, creating their account if new (TEN-3); a new
    parent sets their password through the emailed reset link."""
    require_role(request, *ADMINS)
    link = services.guardian_link_create(
        actor=request.user,
        school=school_of(request),
        pupil=access_pupil(request, pupil_id),
        **payload.model_dump(),
    )
    return Status(201, _guardian(link))


@router.delete(
    f"{SCHOOL}/pupils/{{pupil_id}}/guardians/{{link_id}}",
    response=responses(None, status=204),
    summary="Unlink a parent or carer from a pupil",
)
def guardian_unlink(request: AccessRequest, school_id: int, pupil_id: int, link_id: int) -> Status:
    require_role(request, *ADMINS)
    pupil = access_pupil(request, pupil_id)
    link = selectors.pupil_parents(pupil).filter(pk=link_id).first()
    if link is None:
        raise Http404
    services.guardian_link_delete(actor=request.user, link=link)
    return Status(204, None)


# --- Staff -----------------------------------------------------------------------


@router.get(f"{SCHOOL}/staff", response=responses(list[StaffOut]), summary="List staff")
def staff(request: AccessRequest, school_id: int) -> list:
    """Teachers and school administrators, with their roles (administrators only)."""
    require_role(request, *ADMINS)
    roles = selectors.staff_roles()
    return [
        {
            "id": u.pk,
            "name": u.display_name,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "email": u.email,
            "roles": sorted(roles.get(u.pk, [])),
        }
        for u in selectors.staff()
    ]


@router.post(
    f"{SCHOOL}/staff",
    response=responses(StaffCreatedOut, status=201),
    summary="Add a member of staff",
)
def staff_create(
    request: AccessRequest, response: HttpResponse, school_id: int, payload: StaffIn
) -> Status:
    """Add a teacher or school administrator (ROS-1, TEN-2, ACC-2). The answer holds
    the temporary password, once; it is not cached."""
    require_role(request, *ADMINS)
    user, password = services.staff_create(
        actor=request.user,
        school=school_of(request),
        **payload.model_dump(),
    )
    patch_cache_control(response, no_store=True, private=True)
    return Status(201, {**_staff(user), "temporary_password": password})


@router.patch(
    f"{SCHOOL}/staff/{{user_id}}",
    response=responses(StaffOut),
    summary="Change a member of staff",
)
def staff_update(request: AccessRequest, school_id: int, user_id: int, payload: StaffPatch) -> dict:
    """Change a name, email or role (ROS-1); the last school administrator keeps the role."""
    require_role(request, *ADMINS)
    user = services.staff_update(
        actor=request.user,
        school=school_of(request),
        user=access_staff(request, user_id),
        **payload.model_dump(exclude_unset=True, exclude_none=True),
    )
    return _staff(user)


@router.delete(
    f"{SCHOOL}/staff/{{user_id}}",
    response=responses(None, status=204),
    summary="Remove a member of staff from the school",
)
def staff_remove(request: AccessRequest, school_id: int, user_id: int) -> Status:
    """Remove from the school and its classes (ROS-1); never the last administrator."""
    require_role(request, *ADMINS)
    services.staff_remove(
        actor=request.user,
        school=school_of(request),
        user=access_staff(request, user_id),
    )
    return Status(204, None)
