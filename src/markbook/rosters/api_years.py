"""API: a school's academic years and the year-end rollover (ROS-1), as on the
academic years page: the same services (`schools.years`, `rosters.rollover`).
School administrators and the trust's administrators; 404 for anyone else (TEN-3)."""

from datetime import date, datetime
from typing import Literal

from ninja import Router, Schema

from markbook.admission import ADMINS, AccessRequest, require_role, school_of
from markbook.core.api import InputSchema, responses
from markbook.rosters import rollover, selectors
from markbook.rosters.access import access_academic_year
from markbook.rosters.rollover import RolloverPlan
from markbook.schools import years
from markbook.schools.models import School

router = Router(tags=["academic years"])

SCHOOL = "/schools/{school_id}"


class AcademicYearOut(Schema):
    id: int
    name: str
    start_date: date
    end_date: date
    is_current: bool
    archived: bool
    closed_at: datetime | None
    class_count: int


class LeaverOut(Schema):
    id: int
    display_name: str
    year_group: str


class RolloverOut(Schema):
    """What ending the year does (preview) or did (performed)."""

    academic_year: str
    next_academic_year: str
    leaving_date: date
    final_year_group: str
    promoted: int
    leavers: int
    classes_archived: int
    leavers_list: list[LeaverOut]
    problems: list[str]


class RolloverIn(InputSchema):
    """The counts of the preview being confirmed: refused if the roster changed since."""

    promoted: int | None = None
    leavers: int | None = None
    classes_archived: int | None = None


class PhaseIn(InputSchema):
    phase: Literal["primary", "secondary", "all_through"]
    sixth_form: bool = False


class PhaseOut(Schema):
    phase: str
    sixth_form: bool
    final_year_group: str


def _plan(plan: RolloverPlan) -> dict:
    return {
        "academic_year": plan.year.name,
        "next_academic_year": plan.next_name,
        "leaving_date": plan.leaving_date,
        "final_year_group": plan.final_year_group,
        **plan.counts(),
        "leavers_list": [
            {"id": p.pk, "display_name": p.display_name, "year_group": p.year_group}
            for p in plan.leavers
        ],
        "problems": plan.problems,
    }


def _phase(school: School) -> dict:
    return {
        "phase": school.phase,
        "sixth_form": school.sixth_form,
        "final_year_group": school.final_year_group,
    }


@router.get(
    f"{SCHOOL}/academic-years",
    response=responses(list[AcademicYearOut]),
    summary="List academic years",
)
def academic_years(request: AccessRequest, school_id: int) -> list:
    """The school's academic years, newest first; one is current."""
    require_role(request, *ADMINS)
    years.academic_year_current(school_of(request))
    return [
        {f: getattr(y, f) for f in AcademicYearOut.model_fields} for y in selectors.academic_years()
    ]


@router.put(f"{SCHOOL}/phase", response=responses(PhaseOut), summary="Set the school's phase")
def phase_set(request: AccessRequest, school_id: int, payload: PhaseIn) -> dict:
    """Primary or secondary, with or without a sixth form: whose pupils leave at the
    end of the year (Year 6, 11 or 13)."""
    require_role(request, *ADMINS)
    school = years.school_phase_update(
        actor=request.user,
        school=school_of(request),
        phase=payload.phase,
        sixth_form=payload.sixth_form,
    )
    return _phase(school)


@router.get(
    f"{SCHOOL}/academic-years/{{year_id}}/rollover",
    response=responses(RolloverOut),
    summary="Preview ending an academic year",
)
def rollover_preview(request: AccessRequest, school_id: int, year_id: int) -> dict:
    """What ending the year would do; nothing is written. `problems` says why it
    cannot be done (already closed, not current, the school's phase not set)."""
    require_role(request, *ADMINS)
    year = access_academic_year(request, year_id)
    return _plan(rollover.rollover_preview(school=school_of(request), year=year))


@router.post(
    f"{SCHOOL}/academic-years/{{year_id}}/rollover",
    response=responses(RolloverOut),
    summary="End an academic year",
)
def rollover_perform(
    request: AccessRequest, school_id: int, year_id: int, payload: RolloverIn
) -> dict:
    """Promote pupils, mark leavers, archive the year's classes and make the next year
    current, at once. Refused (422) for a year already ended, so it never runs twice;
    and, when the preview's counts are sent, if the roster changed since."""
    require_role(request, *ADMINS)
    year = access_academic_year(request, year_id)
    plan = rollover.rollover_perform(
        actor=request.user,
        school=school_of(request),
        year=year,
        expected=payload.model_dump(exclude_none=True),
    )
    return _plan(plan)
