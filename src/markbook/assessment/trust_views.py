"""A trust administrator's assignments across the trust's schools (ASM-1).

Admission admits only the trust's administrators to /trust/<trust_id>/ and runs the
request in the scope of the trust's schools; the originals are fetched by trust
(access_trust_assignment), each school's copy through its own scope.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from markbook.admission import AccessRequest
from markbook.assessment import forms, selectors, services
from markbook.assessment.access import access_trust_assignment
from markbook.schools.models import Trust


def _trust(request: AccessRequest) -> Trust:
    if request.access.trust is None:
        raise Http404
    return request.access.trust


def trust_assignments(request: AccessRequest, trust_id: int) -> HttpResponse:
    trust = _trust(request)
    return render(
        request,
        "assessment/trust_assignments.html",
        {"trust": trust, "originals": selectors.trust_assignments(trust)},
    )


def trust_assignment_new(request: AccessRequest, trust_id: int) -> HttpResponse:
    """Set one assignment to chosen classes of the trust's schools."""
    trust = _trust(request)
    classes = list(selectors.trust_classes(trust))
    form = forms.TrustAssignmentForm(request.POST or None)
    chosen = {int(v) for v in request.POST.getlist("classes") if v.isdigit()}
    if request.method == "POST" and form.is_valid():
        try:
            services.trust_assignment_create(
                actor=request.user,
                trust=trust,
                classes=[c for c in classes if c.pk in chosen],
                **form.cleaned_data,
            )
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(
                request, f"{form.cleaned_data['title']} was set to {len(chosen)} classes."
            )
            return redirect("trust_assessment:assignments", trust_id=trust.pk)
    return render(
        request,
        "assessment/trust_assignment_form.html",
        {"trust": trust, "form": form, "classes": classes, "chosen": chosen, "original": None},
    )


def trust_assignment_edit(
    request: AccessRequest, trust_id: int, trust_assignment_id: int
) -> HttpResponse:
    """Change the original: copies without marks follow; the page names those left alone."""
    trust = _trust(request)
    original = access_trust_assignment(request, trust_assignment_id)
    initial = {
        "title": original.title,
        "kind": original.kind,
        "due_date": original.due_date,
        "max_mark": original.max_mark,
    }
    form = forms.TrustAssignmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            kept = services.trust_assignment_update(
                actor=request.user, original=original, **form.cleaned_data
            )
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, f"{original.title} saved.")
            if kept:
                names = ", ".join(f"{a.teaching_class.name} ({a.school})" for a in kept)
                messages.warning(
                    request,
                    f"These classes' copies have marks already and were left as they were: {names}.",
                )
            return redirect("trust_assessment:assignments", trust_id=trust.pk)
    copies = original.copies.select_related("teaching_class", "school").order_by(
        "school__name", "teaching_class__name"
    )
    return render(
        request,
        "assessment/trust_assignment_form.html",
        {"trust": trust, "form": form, "original": original, "copies": copies},
    )


def trust_assignment_classes(
    request: AccessRequest, trust_id: int, trust_assignment_id: int
) -> HttpResponse:
    """Set an existing trust assignment to more classes: the trust's classes without a
    copy yet; each chosen one gets its school's copy of the original."""
    trust = _trust(request)
    original = access_trust_assignment(request, trust_assignment_id)
    have = set(original.copies.values_list("teaching_class_id", flat=True))
    classes = [c for c in selectors.trust_classes(trust) if c.pk not in have]
    chosen = {int(v) for v in request.POST.getlist("classes") if v.isdigit()}
    error = ""
    if request.method == "POST":
        try:
            made = services.trust_assignment_classes_add(
                actor=request.user,
                original=original,
                classes=[c for c in classes if c.pk in chosen],
            )
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            names = ", ".join(a.teaching_class.name for a in made)
            messages.success(request, f"{original.title} was set to {names}.")
            return redirect(
                "trust_assessment:assignment_edit",
                trust_id=trust.pk,
                trust_assignment_id=original.pk,
            )
    return render(
        request,
        "assessment/trust_assignment_classes.html",
        {
            "trust": trust,
            "original": original,
            "classes": classes,
            "chosen": chosen,
            "error": error,
        },
    )


def _copies(count: int) -> str:
    return f"{count} school cop{'y' if count == 1 else 'ies'}"


def trust_assignment_delete(
    request: AccessRequest, trust_id: int, trust_assignment_id: int
) -> HttpResponse:
    """Say how many school copies and marks deleting the trust's assignment would take:
    copies without marks go with it; copies with marks stay with their schools
    (detached) unless ticked to go too, which needs the title typed out."""
    trust = _trust(request)
    original = access_trust_assignment(request, trust_assignment_id)
    copies = services.trust_assignment_copies(original)
    marked = [a for a in copies if a.mark_count]
    chosen = {int(v) for v in request.POST.getlist("delete_marked") if v.isdigit()}
    error = ""
    if request.method == "POST":
        try:
            counts = services.trust_assignment_delete(
                actor=request.user,
                original=original,
                delete_marked=chosen,
                confirmation=request.POST.get("confirmation", ""),
            )
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            text = f"{original.title} was deleted with {_copies(counts['deleted'])}"
            if counts["marks_deleted"]:
                marks = counts["marks_deleted"]
                text += f" and {marks} mark{'s' if marks != 1 else ''}"
            if counts["detached"] == 1:
                text += "; 1 school copy with marks stays with its school as its own assignment"
            elif counts["detached"]:
                text += (
                    f"; {counts['detached']} school copies with marks stay with their schools "
                    "as their own assignments"
                )
            messages.success(request, text + ".")
            return redirect("trust_assessment:assignments", trust_id=trust.pk)
    return render(
        request,
        "assessment/trust_assignment_delete.html",
        {
            "trust": trust,
            "original": original,
            "copies": copies,
            "unmarked": len(copies) - len(marked),
            "marked": marked,
            "marks": sum(a.mark_count for a in marked),
            "chosen": chosen,
            "error": error,
        },
    )
