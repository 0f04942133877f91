"""Assignment and results pages (ASM-1, ASM-3, TEN-3, SEC-1). Thin: check the role,
fetch through access, call one service or selector, render."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from markbook.admission import STAFF, AccessRequest, require_role, school_of
from markbook.assessment import forms, selectors, services
from markbook.assessment.access import access_assignment, access_class_for_work
from markbook.assessment.models import HELD, Assignment
from markbook.rosters import selectors as roster_selectors
from markbook.rosters.access import access_pupil
from markbook.rosters.models import Pupil, TeachingClass
from markbook.tracking.models import Grade, Subject
from markbook.web import is_htmx


def assignments(request: AccessRequest, school_id: int) -> HttpResponse:
    """A teacher's assignments (an administrator's: the school's) with completion, and
    the overdue ones first (ASM-1)."""
    require_role(request, *STAFF)
    listed = list(
        selectors.assignments_visible_to(request.user, request.access)
        .order_by("teaching_class__name", "due_date", "pk")
        .distinct()
    )
    done = selectors.completion(listed)
    today = timezone.localdate()
    context = {
        "rows": [(a, done[a.pk]) for a in listed],
        "overdue": [
            (a, done[a.pk])
            for a in listed
            if a.due_date and a.due_date < today and done[a.pk].missing
        ],
        "classes": selectors.classes_for_work(request.user, request.access),
    }
    return render(request, "assessment/assignments.html", context)


def _scale_grades(subject: Subject | None) -> list[Grade]:
    if subject is None:
        return []
    return list(Grade.objects.filter(scale_id=subject.scale_id).order_by("-rank"))


def _subject_of(form: forms.AssignmentForm, fallback: Subject | None) -> Subject | None:
    if form.is_bound:
        return form.cleaned_data.get("subject") if form.is_valid() else fallback
    return fallback


def _form_page(
    request: AccessRequest, teaching_class: TeachingClass, assignment: Assignment | None
) -> HttpResponse:
    if assignment is not None:
        initial: dict[str, Any] = {
            "title": assignment.title,
            "kind": assignment.kind,
            "due_date": assignment.due_date,
            "max_mark": assignment.max_mark,
            "subject": assignment.subject,
            "question_set": assignment.question_set,
            "score_is_mark": assignment.score_is_mark,
        }
        current: dict[int, Any] = {b.grade_id: b.minimum_mark for b in assignment.boundaries.all()}
    else:
        link = teaching_class.subject_links.select_related("subject").first()
        initial = {"kind": Assignment.Kind.HOMEWORK, "subject": link.subject if link else None}
        current = {}
    if request.method == "GET" and is_htmx(request) and "subject" in request.GET:
        # The subject was changed on the form: the boundaries of its scale.
        subject = Subject.objects.filter(pk=request.GET.get("subject") or 0).first()
        shown = {"grades": [(g, current.get(g.pk, "")) for g in _scale_grades(subject)]}
        return render(request, "assessment/assignment_form.html#boundaries", shown)
    form = forms.AssignmentForm(request.POST or None, initial=initial)
    subject = _subject_of(form, initial.get("subject"))
    grades = _scale_grades(subject)
    if request.method == "POST":
        posted = forms.posted_boundaries(request.POST, grades)
        current = dict(posted)
        if form.is_valid():
            fields = {**form.cleaned_data, "boundaries": posted}
            try:
                if assignment is None:
                    assignment = services.assignment_create(
                        actor=request.user, teaching_class=teaching_class, **fields
                    )
                else:
                    services.assignment_update(actor=request.user, assignment=assignment, **fields)
            except ValidationError as error:
                forms.add_service_errors(form, error)
            else:
                messages.success(request, f"{assignment.title} saved.")
                return redirect(
                    "assessment:assignment_detail",
                    school_id=teaching_class.school_id,
                    assignment_id=assignment.pk,
                )
    context: dict[str, Any] = {
        "form": form,
        "teaching_class": teaching_class,
        "assignment": assignment,
        "grades": [(g, current.get(g.pk, "")) for g in grades],
    }
    return render(request, "assessment/assignment_form.html", context)


def assignment_new(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """Set work for a class the user teaches (administrators: any class)."""
    require_role(request, *STAFF)
    return _form_page(request, access_class_for_work(request, class_id), None)


def assignment_edit(request: AccessRequest, school_id: int, assignment_id: int) -> HttpResponse:
    require_role(request, *STAFF)
    assignment = access_assignment(request, assignment_id)
    return _form_page(request, assignment.teaching_class, assignment)


def assignment_detail(request: AccessRequest, school_id: int, assignment_id: int) -> HttpResponse:
    """An assignment with its boundaries and completion counts (no pupil's data)."""
    require_role(request, *STAFF)
    assignment = access_assignment(request, assignment_id)
    context = {
        "assignment": assignment,
        "done": selectors.completion([assignment])[assignment.pk],
        "boundaries": sorted(assignment.boundaries.all(), key=lambda b: -b.minimum_mark),
    }
    return render(request, "assessment/assignment_detail.html", context)


def assignment_delete(request: AccessRequest, school_id: int, assignment_id: int) -> HttpResponse:
    """Delete an assignment, after saying how many marks go with it."""
    require_role(request, *STAFF)
    assignment = access_assignment(request, assignment_id)
    if request.method == "POST":
        services.assignment_delete(actor=request.user, assignment=assignment)
        messages.success(request, f"{assignment.title} was deleted.")
        return redirect("assessment:assignments", school_id=school_id)
    marks = assignment.marks.filter(HELD).count()
    return render(
        request,
        "assessment/assignment_delete.html",
        {"assignment": assignment, "marks": marks},
    )


# --- Results: a pupil's own, a parent's child's, a teacher's pupil's -------------


def _results_page(request: AccessRequest, pupil: Pupil) -> HttpResponse:
    school = school_of(request)
    results = selectors.pupil_results(pupil, timezone.localdate())
    roster_selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action="assessment.results.viewed",
        target=pupil,
        data={"count": len(results)},
    )
    context = {
        "pupil": pupil,
        "results": results,
        "tracking": selectors.pupil_tracking(pupil, school),
        "own": pupil.user_id == request.user.pk,
    }
    return render(request, "assessment/results.html", context)


def my_results(request: AccessRequest, school_id: int) -> HttpResponse:
    """A pupil's own marks, grades, feedback and the tracking the school shows families."""
    require_role(request, "pupil")
    pupil = Pupil.objects.select_related("school").filter(user=request.user).first()
    if pupil is None:
        raise Http404
    return _results_page(request, pupil)


def pupil_results(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """A pupil's results for those who may see the pupil (TEN-3): a parent their linked
    child, a teacher the pupils of their classes, administrators; staff reads logged."""
    return _results_page(request, access_pupil(request, pupil_id))
