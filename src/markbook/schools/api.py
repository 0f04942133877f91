"""API: a school administrator's settings, as on the settings page (TEN-1 email
domains, ACC-1 sign-in methods, ACC-3 pseudonyms, ACC-5 two-factor sign-in for
administrators, ROS-5 the optional pupil fields the school keeps, TEN-3 the pupil
fields teachers see for their own classes).

Both call `schools.services.school_settings_update`, so a rule is written once.
"""

from datetime import date, datetime

from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.accounts.sso import sso_provider_ids
from markbook.admission import AccessRequest, require_role, school_of
from markbook.core.api import InputSchema, responses
from markbook.schools import lifecycle, services
from markbook.schools import suspension as suspension_services
from markbook.schools.models import (
    KEEPABLE_PUPIL_FIELDS,
    SIGNIN_METHODS,
    TEACHER_VISIBLE_PUPIL_FIELDS,
    School,
)

router = Router(tags=["settings"])


class SubscriptionOut(Schema):
    """The subscription (TEN-1), changed by Markbook's platform staff only."""

    status: str = Field(description="trial, active, suspended or ended.")
    trial_ends: date | None
    subscription_ends: date | None
    ended_on: date | None
    deletion_due_on: date | None = Field(
        description="When an ended school's data is deleted: a year after it ended."
    )


class SettingsOut(SubscriptionOut):
    email_domains: list[str]
    pseudonymise_pupils: bool
    require_admin_2fa: bool
    kept_pupil_fields: list[str]
    signin_methods: list[str]
    # The pupil fields teachers see for the pupils of their own classes (TEN-3).
    teacher_pupil_fields: list[str]
    # Groups smaller than this show as "fewer than N" in school-wide analysis (ASM-5).
    analysis_min_group: int
    # Whether the school's pupils join the trust's and the global leaderboards (ASM-6).
    boards_trust: bool
    boards_global: bool
    # What may be chosen: name -> label.
    keepable_pupil_fields: dict[str, str]
    teacher_visible_pupil_fields: dict[str, str]
    available_signin_methods: dict[str, str]
    # Google or Microsoft sign-in configured on this deployment (ACC-1).
    sso_configured: list[str]
    pupil_signin_url: str
    # An emergency suspension by the school's administrators (ACC-6).
    suspended_at: datetime | None


class SettingsPatch(InputSchema):
    """Only the settings sent are changed."""

    email_domains: list[str] | None = None
    pseudonymise_pupils: bool | None = None
    require_admin_2fa: bool | None = None
    kept_pupil_fields: list[str] | None = None
    signin_methods: list[str] | None = None
    teacher_pupil_fields: list[str] | None = None
    analysis_min_group: int | None = Field(
        default=None, description="The smallest group analysis shows, 5 to 100."
    )
    boards_trust: bool | None = Field(
        default=None, description="Whether pupils (with consent) join the trust leaderboard."
    )
    boards_global: bool | None = Field(
        default=None, description="Whether pupils (with consent) join the global leaderboard."
    )
    confirm_blank_pupil_fields: list[str] = Field(
        default_factory=list,
        description="Fields no longer kept whose values may be deleted from every pupil. "
        "Without them a change that would delete values answers 409 with the counts.",
    )


class BlankingOut(Schema):
    """409: not keeping these fields would delete values pupils hold (ROS-5)."""

    detail: str
    pupil_values_held: dict[str, int] = Field(
        description="Field -> how many pupils hold a value that would be deleted."
    )


def _admin_school(request: AccessRequest) -> School:
    """The request's school, for its school administrators; 404 for anyone else."""
    require_role(request, "school_admin")
    return school_of(request)


def _out(request: AccessRequest, school: School) -> dict:
    return {
        "email_domains": school.email_domains,
        "pseudonymise_pupils": school.pseudonymise_pupils,
        "require_admin_2fa": school.require_admin_2fa,
        "kept_pupil_fields": school.kept_pupil_fields,
        "signin_methods": school.signin_methods,
        "teacher_pupil_fields": school.teacher_pupil_fields,
        "analysis_min_group": school.analysis_min_group,
        "boards_trust": school.boards_trust,
        "boards_global": school.boards_global,
        "keepable_pupil_fields": KEEPABLE_PUPIL_FIELDS,
        "teacher_visible_pupil_fields": TEACHER_VISIBLE_PUPIL_FIELDS,
        "available_signin_methods": SIGNIN_METHODS,
        "sso_configured": sorted(sso_provider_ids()),
        "pupil_signin_url": request.build_absolute_uri(
            reverse("pupil_signin", kwargs={"signin_slug": school.signin_slug})
        ),
        "status": school.status,
        "trial_ends": school.trial_ends,
        "subscription_ends": school.subscription_ends,
        "ended_on": school.ended_on,
        "deletion_due_on": lifecycle.deletion_due_on(school),
        "suspended_at": school.emergency_suspended_at,
    }


@router.get(
    "/schools/{school_id}/settings", response=responses(SettingsOut), summary="Read settings"
)
def settings_read(request: AccessRequest, school_id: int) -> dict:
    """The school's settings; school administrators only."""
    return _out(request, _admin_school(request))


@router.patch(
    "/schools/{school_id}/settings",
    response={**responses(SettingsOut), 409: BlankingOut},
    summary="Change settings",
)
def settings_change(
    request: AccessRequest, school_id: int, payload: SettingsPatch
) -> dict | Status:
    """Change the settings sent; fields no longer kept are blanked on every pupil at
    once (ROS-5), only when named in `confirm_blank_pupil_fields` if pupils hold values
    in them: otherwise 409 with how many pupils hold each, and nothing changes. Audited
    as `schools.settings.changed` (which fields were blanked, on how many pupils)."""
    school = _admin_school(request)
    try:
        services.school_settings_update(
            actor=request.user,
            school=school,
            email_domains=school.email_domains
            if payload.email_domains is None
            else payload.email_domains,
            pseudonymise_pupils=school.pseudonymise_pupils
            if payload.pseudonymise_pupils is None
            else payload.pseudonymise_pupils,
            require_admin_2fa=payload.require_admin_2fa,
            kept_pupil_fields=payload.kept_pupil_fields,
            signin_methods=payload.signin_methods,
            teacher_pupil_fields=payload.teacher_pupil_fields,
            analysis_min_group=payload.analysis_min_group,
            boards_trust=payload.boards_trust,
            boards_global=payload.boards_global,
            blank_confirmed=payload.confirm_blank_pupil_fields,
        )
    except services.PupilFieldsInUse as in_use:
        return Status(409, {"detail": in_use.message, "pupil_values_held": in_use.held})
    return _out(request, school)


# --- Emergency suspension (ACC-6), as on the suspension page ---------------------


class SuspensionOut(Schema):
    suspended: bool
    suspended_at: datetime | None
    pupil_signin_url: str = Field(
        description="The pupil sign-in address: a new one after every suspension."
    )


class SuspendIn(InputSchema):
    confirm_name: str = Field(max_length=200, description="The school's name, exactly.")
    reason: str = Field(default="", max_length=500, description="Kept in the access log.")


class LiftIn(InputSchema):
    reason: str = Field(default="", max_length=500, description="Kept in the access log.")


def _suspension_out(request: AccessRequest, school: School) -> dict:
    return {
        "suspended": school.emergency_suspended_at is not None,
        "suspended_at": school.emergency_suspended_at,
        "pupil_signin_url": request.build_absolute_uri(
            reverse("pupil_signin", kwargs={"signin_slug": school.signin_slug})
        ),
    }


@router.get(
    "/schools/{school_id}/suspension",
    response=responses(SuspensionOut),
    summary="Read the emergency suspension",
)
def suspension_read(request: AccessRequest, school_id: int) -> dict:
    """Whether the school is suspended in an emergency; school administrators only,
    and the one thing they reach while it is (with lifting it)."""
    return _suspension_out(request, _admin_school(request))


@router.post(
    "/schools/{school_id}/suspension",
    response=responses(SuspensionOut),
    summary="Suspend the whole school",
)
def suspension_start(request: AccessRequest, school_id: int, payload: SuspendIn) -> dict:
    """Suspend the whole school at once: every session and API token of its users stops
    working (this token too, for this school), the pupil sign-in address changes and
    background work waits; only administrators can sign in, to lift it. 422 unless
    `confirm_name` is the school's name. Audited as `schools.school.suspended`."""
    school = suspension_services.school_suspend(
        actor=request.user,
        school=_admin_school(request),
        confirm_name=payload.confirm_name,
        reason=payload.reason,
    )
    return _suspension_out(request, school)


@router.post(
    "/schools/{school_id}/suspension/lift",
    response=responses(SuspensionOut),
    summary="Lift the emergency suspension",
)
def suspension_lift(request: AccessRequest, school_id: int, payload: LiftIn) -> dict:
    """Lift the school's suspension: people can sign in again (pupils at the new
    address), and the background work that waited starts again. 422 when the school is
    not suspended. Audited as `schools.school.suspension_lifted`."""
    school = suspension_services.school_suspension_lift(
        actor=request.user, school=_admin_school(request), reason=payload.reason
    )
    return _suspension_out(request, school)
