"""Academic year pages (ROS-1): the school's years and phase, and the year-end
rollover, previewed, confirmed, then performed. School administrators and the trust
administrators of the school's trust; 404 for everyone else (TEN-3)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from markbook.admission import ADMINS, AccessRequest, require_role, school_of
from markbook.rosters import rollover, selectors
from markbook.rosters.access import access_academic_year
from markbook.schools import years
from markbook.schools.models import School
from markbook.web import error_messages


def years_page(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's academic years, its phase (who leaves when), and the way to the rollover."""
    require_role(request, *ADMINS)
    school = school_of(request)
    errors: list[str] = []
    if request.method == "POST":
        try:
            years.school_phase_update(
                actor=request.user,
                school=school,
                phase=request.POST.get("phase", ""),
                sixth_form=request.POST.get("sixth_form") == "on",
            )
        except ValidationError as error:
            errors = error_messages(error)
        else:
            messages.success(request, "Phase saved.")
            return redirect("rosters:years", school_id=school_id)
    current = years.academic_year_current(school)
    return render(
        request,
        "rosters/years.html",
        {
            "school": school,
            "current": current,
            "years": selectors.academic_years(),
            "phases": School.Phase.choices,
            "errors": errors,
        },
    )


def year_rollover(request: AccessRequest, school_id: int, year_id: int) -> HttpResponse:
    """Preview closing a year (GET), restate it to confirm (GET ?confirm=1), do it (POST)."""
    require_role(request, *ADMINS)
    school = school_of(request)
    year = access_academic_year(request, year_id)
    errors: list[str] = []
    if request.method == "POST":
        # The counts the confirm page showed: refused if the roster has changed since.
        expected = {
            name: _count(request.POST[name])
            for name in ("promoted", "leavers", "classes_archived")
            if name in request.POST
        }
        try:
            plan = rollover.rollover_perform(
                actor=request.user, school=school, year=year, expected=expected
            )
        except ValidationError as error:
            errors = error_messages(error)
        else:
            messages.success(
                request,
                f"{year.name} is closed and {plan.next_name} is now the current year. "
                f"Pupils moved up: {len(plan.promoted):,}; marked as leavers: "
                f"{len(plan.leavers):,}; classes archived: {plan.classes:,}.",
            )
            return redirect("rosters:years", school_id=school_id)
    plan = rollover.rollover_preview(school=school, year=year)
    confirm = not plan.problems and (request.GET.get("confirm") == "1" or bool(errors))
    return render(
        request,
        "rosters/year_rollover.html",
        {"plan": plan, "year": year, "confirm": confirm, "errors": errors},
    )


def _count(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1
