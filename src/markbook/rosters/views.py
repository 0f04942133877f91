from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from markbook.audit import services as audit
from markbook.rosters import selectors
from markbook.rosters.access import access_class, access_pupil, require_role


def pupils(request: HttpRequest, school_id: int) -> HttpResponse:
    require_role(request, "school_admin", "trust_admin")
    rows = selectors.pupils_visible_to(request.user, request.access)  # type: ignore[arg-type, attr-defined]
    audit.record(actor=request.user, school=school_id, action="rosters.pupils.listed")
    return render(request, "rosters/pupils.html", {"pupils": rows})


def pupil_detail(request: HttpRequest, school_id: int, pupil_id: int) -> HttpResponse:
    pupil = access_pupil(request, pupil_id)
    audit.record(actor=request.user, school=school_id, action="rosters.pupil.viewed", target=pupil)
    return render(request, "rosters/pupil_detail.html", {"pupil": pupil})


def classes(request: HttpRequest, school_id: int) -> HttpResponse:
    require_role(request, "school_admin", "trust_admin", "teacher")
    rows = selectors.classes_visible_to(request.user, request.access)  # type: ignore[arg-type, attr-defined]
    return render(request, "rosters/classes.html", {"classes": rows})


def class_detail(request: HttpRequest, school_id: int, class_id: int) -> HttpResponse:
    require_role(request, "school_admin", "trust_admin", "teacher")
    teaching_class = access_class(request, class_id)
    audit.record(
        actor=request.user, school=school_id, action="rosters.class.viewed", target=teaching_class
    )
    return render(request, "rosters/class_detail.html", {"teaching_class": teaching_class})


def teachers(request: HttpRequest, school_id: int) -> HttpResponse:
    require_role(request, "school_admin", "trust_admin")
    return render(request, "rosters/teachers.html", {"staff": selectors.staff()})
