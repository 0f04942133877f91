"""The school's privacy pages: restrictions and objections (DSR-5), a person's
corrections (DSR-3), and dismissing a notice of a changed privacy notice (DSR-10).
For the school's data protection lead and its administrators (privacy.access)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from markbook.accounts.models import User
from markbook.admission import AccessRequest, require_role, school_of
from markbook.privacy import access, forms, notices, selectors, services
from markbook.privacy.erasure import ErasureRefused
from markbook.privacy.models import Restriction
from markbook.rosters.forms import add_service_errors
from markbook.rosters.models import Pupil, TeachingClass
from markbook.web import error_messages


def restrictions(request: AccessRequest, school_id: int) -> HttpResponse:
    """The restrictions and objections in force, and those lifted, with who decided."""
    access.require_manager(request)
    in_force = list(selectors.restrictions(active=True))
    lifted = list(selectors.restrictions(active=False)[:100])
    selectors.restrictions_read_logged(
        actor=request.user, school=school_of(request), count=len(in_force) + len(lifted)
    )
    return render(
        request,
        "privacy/restrictions.html",
        {"in_force": in_force, "lifted": lifted, "label": selectors.person_label},
    )


def restriction_new(request: AccessRequest, school_id: int) -> HttpResponse:
    access.require_manager(request)
    form = forms.RestrictionForm(
        request.POST or None, initial={"person": request.GET.get("pupil", "")[:254]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            subject = selectors.person_find(form.cleaned_data["person"])
            restriction = services.restriction_place(
                school=school_of(request),
                subject=subject,
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "Restriction placed: this person's data is no longer processed."
            )
            return redirect(
                "school_privacy:restriction", school_id=school_id, restriction_id=restriction.pk
            )
    return render(request, "privacy/restriction_form.html", {"form": form})


def restriction_detail(request: AccessRequest, school_id: int, restriction_id: int) -> HttpResponse:
    """One decision: who is restricted, why, by whom; lifting it; the services that
    received the person's data, to pass the change on (DSR-10)."""
    restriction = access.access_restriction(request, restriction_id)
    subject: Pupil | User = restriction.pupil if restriction.pupil_id else restriction.user  # type: ignore[assignment]
    form = forms.LiftForm()
    return render(
        request,
        "privacy/restriction_detail.html",
        {
            "restriction": restriction,
            "subject": subject,
            "subject_label": selectors.person_label(subject),
            "is_pupil": restriction.pupil_id is not None,
            "form": form,
            "passed_on": selectors.passed_on_services(subject),
            "told_rows": _restriction_told_rows(restriction, subject),
        },
    )


def _told_rows(subject: Pupil | User, url: Callable[[int], str], **change: Any) -> list[Any]:
    """The services that received the person's data, each told of the change or with
    its "Mark as told" button (DSR-10)."""
    from markbook.rights import passing_on

    rows = passing_on.states(selectors.passed_on_services(subject), **change)
    for row in rows:
        # Nothing to mark told before there is a change (a person with no corrections).
        if row.service_id is not None and None not in change.values():
            row.url = url(row.service_id)
    return rows


def _restriction_told_rows(restriction: Restriction, subject: Pupil | User) -> list[Any]:
    return _told_rows(
        subject,
        lambda entry_id: reverse(
            "school_privacy:restriction_told",
            kwargs={
                "school_id": restriction.school_id,
                "restriction_id": restriction.pk,
                "entry_id": entry_id,
            },
        ),
        restriction=restriction,
    )


def _corrections_told_rows(subject: Pupil | User, school_id: int) -> list[Any]:
    from markbook.rights import passing_on

    latest = passing_on.latest_correction(subject)
    name, key = (
        ("school_privacy:pupil_corrections_told", "pupil_id")
        if isinstance(subject, Pupil)
        else ("school_privacy:user_corrections_told", "user_id")
    )
    return _told_rows(
        subject,
        lambda entry_id: reverse(
            name, kwargs={"school_id": school_id, key: subject.pk, "entry_id": entry_id}
        ),
        correction=latest,
    )


def _mark_told(
    request: AccessRequest, back: str, rows: Callable[[], list[Any]], entry_id: int, **change: Any
) -> HttpResponse:
    """Record that a service was told of the change: the row again for htmx, else back
    to the outcome page (DSR-10)."""
    from markbook.rights import passing_on

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    entry = passing_on.service_entry(entry_id)
    if entry is None:
        raise Http404
    if not change or None in change.values():
        message = "There is no correction to pass on yet."
        if request.headers.get("HX-Request"):
            return HttpResponse(message, status=422)
        messages.error(request, message)
        return redirect(back)
    try:
        passing_on.service_told_record(
            actor=request.user,
            school=school_of(request),
            service=entry,
            note=request.POST.get("note", ""),
            **change,
        )
    except ValidationError as error:
        if request.headers.get("HX-Request"):
            return HttpResponse(" ".join(error_messages(error)), status=422)
        messages.error(request, " ".join(error_messages(error)))
        return redirect(back)
    if request.headers.get("HX-Request"):
        found = [t for t in rows() if t.service_id == entry.pk]
        row = found[0] if found else passing_on.states([entry], **change)[0]
        return render(request, "rights/_told_item.html", {"t": row})
    messages.success(request, f"Recorded: {entry} was told.")
    return redirect(back)


def restriction_told(
    request: AccessRequest, school_id: int, restriction_id: int, entry_id: int
) -> HttpResponse:
    restriction = access.access_restriction(request, restriction_id)
    subject: Pupil | User = restriction.pupil if restriction.pupil_id else restriction.user  # type: ignore[assignment]
    back = reverse(
        "school_privacy:restriction",
        kwargs={"school_id": school_id, "restriction_id": restriction.pk},
    )
    return _mark_told(
        request,
        back,
        lambda: _restriction_told_rows(restriction, subject),
        entry_id,
        restriction=restriction,
    )


def _corrections_told(request: AccessRequest, subject: Pupil | User, entry_id: int) -> HttpResponse:
    from markbook.rights import passing_on

    back = reverse(
        "school_privacy:pupil_corrections"
        if isinstance(subject, Pupil)
        else "school_privacy:user_corrections",
        kwargs={
            "school_id": school_of(request).pk,
            ("pupil_id" if isinstance(subject, Pupil) else "user_id"): subject.pk,
        },
    )
    return _mark_told(
        request,
        back,
        lambda: _corrections_told_rows(subject, school_of(request).pk),
        entry_id,
        correction=passing_on.latest_correction(subject),
    )


def pupil_corrections_told(
    request: AccessRequest, school_id: int, pupil_id: int, entry_id: int
) -> HttpResponse:
    return _corrections_told(request, access.access_subject_pupil(request, pupil_id), entry_id)


def user_corrections_told(
    request: AccessRequest, school_id: int, user_id: int, entry_id: int
) -> HttpResponse:
    return _corrections_told(request, access.access_subject_user(request, user_id), entry_id)


def restriction_lift(request: AccessRequest, school_id: int, restriction_id: int) -> HttpResponse:
    restriction = access.access_restriction(request, restriction_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.LiftForm(request.POST)
    if form.is_valid():
        try:
            services.restriction_lift(
                restriction=restriction, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Restriction lifted: this person's data is processed again.")
            return redirect(
                "school_privacy:restriction", school_id=school_id, restriction_id=restriction.pk
            )
    subject: Pupil | User = restriction.pupil if restriction.pupil_id else restriction.user  # type: ignore[assignment]
    return render(
        request,
        "privacy/restriction_detail.html",
        {
            "restriction": restriction,
            "subject": subject,
            "subject_label": selectors.person_label(subject),
            "is_pupil": restriction.pupil_id is not None,
            "form": form,
            "passed_on": selectors.passed_on_services(subject),
            "told_rows": _restriction_told_rows(restriction, subject),
        },
        status=422,
    )


def _corrections(request: AccessRequest, subject: Pupil | User) -> HttpResponse:
    """A person's corrections, and a form to make one (rectify: DSR-3)."""
    is_pupil = isinstance(subject, Pupil)
    school = school_of(request)
    form = forms.CorrectionForm(request.POST or None, pupil=is_pupil)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                made = services.rectify(
                    school=school,
                    subject=subject,
                    field=form.cleaned_data["field"],
                    new_value=form.typed_value(),
                    by=request.user,
                    request_id=form.cleaned_data["request_id"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, f"Corrected: {len(made)} field{'s' if len(made) != 1 else ''}."
                )
                return redirect(request.path)
        status = 422
    selectors.corrections_read_logged(actor=request.user, school=school, subject=subject)
    return render(
        request,
        "privacy/corrections.html",
        {
            "subject": subject,
            "subject_label": selectors.person_label(subject),
            "is_pupil": is_pupil,
            "rows": selectors.corrections_of(subject),
            # Sensitive values as the pupil page shows them: not to trust administrators.
            "show_sensitive": request.access.has("dpo", "school_admin"),
            "form": form,
            "passed_on": selectors.passed_on_services(subject),
            "told_rows": _corrections_told_rows(subject, school.pk),
        },
        status=status,
    )


def pupil_corrections(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    return _corrections(request, access.access_subject_pupil(request, pupil_id))


def user_corrections(request: AccessRequest, school_id: int, user_id: int) -> HttpResponse:
    return _corrections(request, access.access_subject_user(request, user_id))


def notice_alert_dismiss(request: AccessRequest, school_id: int, alert_id: int) -> HttpResponse:
    """A school administrator has read what changed in the privacy notice (DSR-10)."""
    require_role(request, "school_admin")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    alert = access.access_notice_alert(request, alert_id)
    notices.notice_alert_dismiss(alert=alert, by=request.user)
    return redirect("schools:home", school_id=school_id)


DPO = "dpo"


def holds(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's legal holds, and a form placing one on a pupil or person (RET-3)."""
    require_role(request, DPO)
    errors: list[str] = []
    if request.method == "POST":
        person = request.POST.get("person", "")
        kind, _, pk = person.partition(":")
        subject: Pupil | User | None = None
        teaching_class = None
        if pk.isdigit():
            found = Pupil.objects.filter(pk=pk).first() if kind == "pupil" else None
            if kind == "user":
                found = selectors.school_people().filter(pk=pk).first()  # type: ignore[assignment]
            subject = found
            if kind == "class":
                teaching_class = TeachingClass.objects.filter(pk=pk).first()
        whole_school = person == "school"
        try:
            if subject is None and teaching_class is None and not whole_school:
                raise ValidationError({"person": ["Choose the pupil or person to hold."]})
            services.legal_hold_place(
                actor=request.user,
                school=school_of(request),
                subject=subject,
                teaching_class=teaching_class,
                whole_school=whole_school,
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
        "classes": TeachingClass.objects.order_by("name"),
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
