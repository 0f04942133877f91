"""Register and consent pages (CON-1 to CON-4). Thin: check the role, fetch through
access, call one service or selector, render."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from markbook.admission import STAFF, AccessRequest, require_role, school_of
from markbook.consent import forms, publication, selectors, services
from markbook.consent.access import (
    KEEPERS,
    access_child,
    access_class_pupil,
    access_consent_class,
    access_entry,
    access_purpose,
    access_target,
    consent_classes,
    require_keeper,
)
from markbook.consent.exports import class_consent_csv
from markbook.consent.models import ConsentDecision, ServiceEntry
from markbook.rosters import selectors as roster_selectors
from markbook.rosters.models import TeachingClass


def _set_up(request: AccessRequest) -> None:
    """First use: Markbook on the register and the default purposes."""
    if not ServiceEntry.objects.filter(builtin=True).exists():
        services.consent_setup(school=school_of(request), actor=request.user)


def _error(request: AccessRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- The register (CON-1) -------------------------------------------------------


def register(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's register of online services, for those who keep it."""
    require_keeper(request)
    _set_up(request)
    return render(request, "consent/register.html", {"shown": selectors.register_shown()})


def _service_form(request: AccessRequest, entry: ServiceEntry | None) -> HttpResponse:
    builtin = entry is not None and entry.builtin
    initial = forms.ServiceForm.initial_of(entry) if entry is not None else {}
    form = forms.ServiceForm(request.POST or None, initial=initial, builtin=builtin)
    if request.method == "POST" and form.is_valid():
        try:
            if entry is None:
                entry = services.service_create(
                    actor=request.user, school=school_of(request), **form.cleaned_data
                )
                messages.success(request, f"{entry.name} added to the register.")
            else:
                changed = services.service_update(
                    actor=request.user, entry=entry, **form.cleaned_data
                )
                asked = any(name in services.DESCRIBED for name in changed)
                messages.success(
                    request,
                    f"{entry.name} saved."
                    + (" Parents will be asked again for the new description." if asked else ""),
                )
        except ValidationError as error:
            forms.add_errors(form, error)
        else:
            return redirect("consent:register", school_id=entry.school_id)
    context: dict[str, Any] = {"form": form, "entry": entry}
    if builtin:
        context["shown"] = next(s for s in selectors.register_shown() if s.entry.builtin)
    return render(request, "consent/service_form.html", context)


def service_new(request: AccessRequest, school_id: int) -> HttpResponse:
    require_keeper(request)
    return _service_form(request, None)


def service_edit(request: AccessRequest, school_id: int, entry_id: int) -> HttpResponse:
    return _service_form(request, access_entry(request, entry_id))


def service_delete(request: AccessRequest, school_id: int, entry_id: int) -> HttpResponse:
    """Remove an entry, after saying which consent records go with it."""
    entry = access_entry(request, entry_id)
    if request.method == "POST":
        try:
            impact = services.service_delete(actor=request.user, entry=entry)
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(
                request,
                f"{entry.name} was removed from the register, with "
                f"{impact['decisions']} consent record{'s' if impact['decisions'] != 1 else ''}.",
            )
        return redirect("consent:register", school_id=school_id)
    context = {"entry": entry, "impact": services.service_delete_impact(entry)}
    return render(request, "consent/service_delete.html", context)


# --- Consent purposes that are not a service (CON-4) ---------------------------


def purposes(request: AccessRequest, school_id: int) -> HttpResponse:
    require_keeper(request)
    _set_up(request)
    form = forms.PurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            purpose = services.purpose_create(
                actor=request.user, school=school_of(request), **form.cleaned_data
            )
        except ValidationError as error:
            forms.add_errors(form, error)
        else:
            messages.success(request, f"{purpose.name} added.")
            return redirect("consent:purposes", school_id=school_id)
    return render(
        request, "consent/purposes.html", {"purposes": selectors.purposes(), "form": form}
    )


def purpose_edit(request: AccessRequest, school_id: int, purpose_id: int) -> HttpResponse:
    purpose = access_purpose(request, purpose_id)
    form = forms.PurposeForm(request.POST or None, initial=forms.PurposeForm.initial_of(purpose))
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.purpose_update(
                actor=request.user, purpose=purpose, **form.cleaned_data
            )
        except ValidationError as error:
            forms.add_errors(form, error)
        else:
            asked = "name" in changed or "description" in changed
            messages.success(
                request,
                f"{purpose.name} saved."
                + (" Parents will be asked again for the new description." if asked else ""),
            )
            return redirect("consent:purposes", school_id=school_id)
    return render(request, "consent/purpose_form.html", {"form": form, "purpose": purpose})


def purpose_delete(request: AccessRequest, school_id: int, purpose_id: int) -> HttpResponse:
    purpose = access_purpose(request, purpose_id)
    if request.method == "POST":
        try:
            impact = services.purpose_delete(actor=request.user, purpose=purpose)
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(
                request,
                f"{purpose.name} was removed, with {impact['decisions']} consent "
                f"record{'s' if impact['decisions'] != 1 else ''}.",
            )
        return redirect("consent:purposes", school_id=school_id)
    context = {"purpose": purpose, "impact": services.purpose_delete_impact(purpose)}
    return render(request, "consent/purpose_delete.html", context)


# --- What the school sees: counts, and per class (CON-2) -----------------------


def overview(request: AccessRequest, school_id: int) -> HttpResponse:
    """Consent per service and purpose: the counts (for keepers) and the classes."""
    require_role(request, *KEEPERS, *STAFF)
    _set_up(request)
    keeper = request.access.has(*KEEPERS)
    # Self-registered pupils whose parent has not answered yet (ACC-4, CON-2).
    follow_up = selectors.self_registered_without_parent_answer() if keeper else []
    if follow_up:
        roster_selectors.pupil_read_logged(
            user=request.user,
            access=request.access,
            action="consent.self_registered.listed",
            data={"count": len(follow_up)},
        )
    context = {
        "keeper": keeper,
        "follow_up": follow_up,
        "counts": selectors.consent_counts() if keeper else [],
        "targets": selectors.consent_targets(),
        "classes": consent_classes(request),
    }
    return render(request, "consent/overview.html", context)


def _class_rows(
    request: AccessRequest, class_id: int, action: str
) -> tuple[TeachingClass, list[selectors.Target], selectors.Target | None, list]:
    teaching_class = access_consent_class(request, class_id)
    targets = selectors.consent_targets()
    slug = request.GET.get("for") or (targets[0].slug if targets else "")
    target = access_target(request, slug) if slug else None
    rows = selectors.class_consent(teaching_class, target) if target is not None else []
    roster_selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action=action,
        target=teaching_class,
        data={"for": target.name if target else "", "count": len(rows)},
    )
    return teaching_class, targets, target, rows


def class_consent(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """One class's pupils for one service or purpose: consented, refused, not
    answered, and the offline alternative for each child without consent."""
    teaching_class, targets, target, rows = _class_rows(request, class_id, "consent.class.viewed")
    summary = {
        "given": sum(1 for r in rows if r.applies and r.answer == "given"),
        "refused": sum(1 for r in rows if r.applies and r.answer == "refused"),
        "unanswered": sum(1 for r in rows if r.applies and r.answer is None),
        "not_asked": sum(1 for r in rows if not r.applies),
    }
    paper = selectors.paper_forms((r.pupil.pk for r in rows), target) if target else {}
    context = {
        "teaching_class": teaching_class,
        "targets": targets,
        "target": target,
        "rows": rows,
        "summary": summary,
        # Each row with its paper form, when the current answer was recorded from one.
        "paper_rows": [(r, paper.get(r.pupil.pk)) for r in rows],
        "answers": ConsentDecision.Answer.choices,
    }
    return render(request, "consent/class_consent.html", context)


def class_paper(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """Record a signed paper consent form the school received, for a child of the
    class, on the parent's behalf (CON-2): the class's teacher or an administrator."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    teaching_class = access_consent_class(request, class_id)
    target = access_target(request, request.POST.get("for", "")[:60])
    try:
        pupil_id = int(request.POST.get("pupil", ""))
    except ValueError:
        raise Http404 from None
    pupil = access_class_pupil(teaching_class, pupil_id)
    if not target.applies_to(pupil):
        raise Http404
    try:
        made = services.consent_record_paper(
            actor=request.user,
            pupil=pupil,
            answer=request.POST.get("answer", ""),
            parent_name=request.POST.get("parent_name", ""),
            service=target.service,
            purpose=target.purpose,
        )
    except ValidationError as error:
        _error(request, error)
    else:
        if made is None:
            messages.info(
                request, f"{pupil.display_name}'s answer was already that: nothing changed."
            )
        else:
            messages.success(
                request,
                f"Recorded from a paper form: {pupil.display_name}, "
                f"{made.get_answer_display().lower()} for {target.name}.",
            )
    url = reverse("consent:class_consent", kwargs={"school_id": school_id, "class_id": class_id})
    return redirect(f"{url}?for={target.slug}")


def class_consent_export(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    teaching_class, _, target, rows = _class_rows(request, class_id, "consent.class.exported")
    response = HttpResponse(class_consent_csv(target, rows), content_type="text/csv")
    name = f"consent-{teaching_class.name}-{target.name if target else 'none'}"
    safe = "".join(c if c.isalnum() else "-" for c in name).strip("-").lower()
    response["Content-Disposition"] = f'attachment; filename="{safe}.csv"'
    return response


# --- Publication (CON-3) ---------------------------------------------------------


def published(request: AccessRequest, school_id: int) -> HttpResponse:
    """The register and the consent state as the school publishes them; every member
    of the school may read it (counts only, no child is named)."""
    _set_up(request)
    context = publication.publication_context(school_of(request))
    return render(request, "consent/publication.html", context)


def published_pdf(request: AccessRequest, school_id: int) -> HttpResponse:
    _set_up(request)
    response = HttpResponse(publication.publication_pdf(school_of(request)), "application/pdf")
    response["Content-Disposition"] = 'inline; filename="online-services-register.pdf"'
    return response


# --- Parents (CON-2, CON-4) --------------------------------------------------------


def children(request: AccessRequest, school_id: int) -> HttpResponse:
    """A parent's page: for each linked child, each service and purpose that asks, the
    current answer and buttons to give or withdraw consent."""
    require_role(request, "parent")
    _set_up(request)
    kids = roster_selectors.children_of(request.user).order_by("first_name", "pk")
    return render(request, "consent/children.html", {"children": selectors.children_consent(kids)})


def child_decide(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    child = access_child(request, pupil_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    target = access_target(request, request.POST.get("for", ""))
    answer = request.POST.get("answer", "")
    try:
        services.consent_decide(
            actor=request.user,
            pupil=child,
            answer=answer,
            service=target.service,
            purpose=target.purpose,
        )
    except ValidationError as error:
        _error(request, error)
    else:
        word = "given" if answer == "given" else "refused"
        messages.success(request, f"Consent {word} for {child.display_name}: {target.name}.")
    return redirect("consent:children", school_id=school_id)
