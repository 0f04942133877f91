"""The school's privacy pages for its data protection lead (DSR-4, RET-3): legal holds,
and the erasure of a person after the impact check (what goes, what stays and why)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from markbook.accounts.models import User
from markbook.admission import AccessRequest, require_role, school_of
from markbook.privacy import access, selectors, services
from markbook.privacy.erasure import ErasureRefused
from markbook.rosters.models import Pupil
from markbook.web import error_messages

DPO = "dpo"


def holds(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's legal holds, and a form placing one on a pupil or person (RET-3)."""
    require_role(request, DPO)
    errors: list[str] = []
    if request.method == "POST":
        person = request.POST.get("person", "")
        kind, _, pk = person.partition(":")
        subject: Pupil | User | None = None
        if pk.isdigit():
            found = Pupil.objects.filter(pk=pk).first() if kind == "pupil" else None
            if kind == "user":
                found = selectors.school_people().filter(pk=pk).first()  # type: ignore[assignment]
            subject = found
        try:
            if subject is None:
                raise ValidationError({"person": ["Choose the pupil or person to hold."]})
            services.legal_hold_place(
                actor=request.user,
                school=school_of(request),
                subject=subject,
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as error:
            errors = error_messages(error)
        else:
            messages.success(request, "The hold is in place: their data will not be erased.")
            return redirect("school_privacy:holds", school_id=school_id)
    context = {
        "holds": selectors.legal_holds(),
        "pupils": selectors.pupils(),
        "people": selectors.school_people(),
        "errors": errors,
        "reason": request.POST.get("reason", ""),
    }
    return render(request, "privacy/holds.html", context, status=400 if errors else 200)


def hold_lift(request: AccessRequest, school_id: int, hold_id: int) -> HttpResponse:
    require_role(request, DPO)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    hold = access.access_hold(request, hold_id)
    try:
        services.legal_hold_lift(
            actor=request.user, hold=hold, reason=request.POST.get("lift_reason", "")
        )
    except ValidationError as error:
        for text in error_messages(error):
            messages.error(request, text)
    else:
        messages.success(request, "The hold was lifted.")
    return redirect("school_privacy:holds", school_id=school_id)


def _erasure_page(request: AccessRequest, school_id: int, subject: Pupil | User) -> HttpResponse:
    require_role(request, DPO)
    school = school_of(request)
    name = subject.display_name
    refused = ""
    if request.method == "POST":
        typed = request.POST.get("confirm_name", "").strip()
        try:
            if typed.casefold() != name.strip().casefold():
                raise ErasureRefused(f"Type their name, {name}, to confirm the erasure.")
            outcome = services.person_erase(
                actor=request.user,
                school=school,
                subject=subject,
                fingerprint=request.POST.get("fingerprint", ""),
            )
        except ErasureRefused as error:
            refused = str(error)
        else:
            messages.success(
                request,
                f"{name} was erased: {outcome.rows_deleted} records deleted, "
                f"{outcome.rows_changed} changed, {outcome.log_events_redacted} access-log "
                f"entries redacted. They are now {outcome.pseudonym} where others' records "
                "refer to them.",
            )
            return redirect("school_privacy:holds", school_id=school_id)
    plan = services.erasure_impact_read(actor=request.user, school=school, subject=subject)
    context = {"plan": plan, "name": name, "refused": refused, "next": request.GET.get("next", "")}
    return render(request, "privacy/erasure.html", context, status=409 if refused else 200)


def pupil_erasure(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """What erasing a pupil will delete, change and keep, and the confirmation (DSR-4)."""
    require_role(request, DPO)
    return _erasure_page(request, school_id, access.access_pupil(request, pupil_id))


def person_erasure(request: AccessRequest, school_id: int, user_id: int) -> HttpResponse:
    """The same for a member of staff or a parent (DSR-4)."""
    require_role(request, DPO)
    return _erasure_page(request, school_id, access.access_person(request, user_id))


def erasure_url(school_id: int, subject: Pupil | User) -> str:
    """The erasure page of a person (the request workflow links to it)."""
    if isinstance(subject, Pupil):
        return reverse("school_privacy:pupil_erasure", args=[school_id, subject.pk])
    return reverse("school_privacy:person_erasure", args=[school_id, subject.pk])
