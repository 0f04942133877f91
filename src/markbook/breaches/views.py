"""Pages of the breach register (SEC-3): platform staff keep the register; each
affected school's administrators and data protection leads read theirs, acknowledge
it, and print the notice for the people affected where the risk is high."""

from datetime import UTC

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime

from markbook.admission import AccessRequest, require_platform_staff, require_role
from markbook.breaches import access, notices, selectors, services
from markbook.breaches.forms import BreachChangeForm, BreachForm, initial_of
from markbook.schools.models import School
from markbook.web import error_messages


@login_required
def register(request: AccessRequest) -> HttpResponse:
    """The register, and the form recording a new breach."""
    require_platform_staff(request)
    form = BreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breach = services.breach_record(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for text in error_messages(error):
                form.add_error(None, text)
        else:
            messages.success(
                request, f"Breach {breach.reference} recorded: the 72-hour clock is running."
            )
            return redirect("breaches:detail", breach_id=breach.pk)
    return render(request, "breaches/register.html", {"form": form, "rows": selectors.breaches()})


@login_required
def detail(request: AccessRequest, breach_id: int) -> HttpResponse:
    """One breach: its clock, what is known (editable), the schools, the steps taken."""
    breach = access.access_breach(request, breach_id)
    form = BreachChangeForm(request.POST or None, initial=initial_of(breach))
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.breach_change(actor=request.user, breach=breach, **form.cleaned_data)
        except ValidationError as error:
            for text in error_messages(error):
                form.add_error(None, text)
        else:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect("breaches:detail", breach_id=breach.pk)
    # Named as the form below labels them.
    missing = notices.missing_parts(breach) if notices.needed(breach) else []
    context = {
        "breach": breach,
        "clock": selectors.clock(breach),
        "form": form,
        "links": selectors.breach_schools(breach),
        "notice_missing": [form.fields[name].label for name in missing],
        "schools": School.objects.order_by("name"),
        "updates": breach.updates.select_related("by"),
    }
    return render(request, "breaches/detail.html", context)


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return HttpResponseNotAllowed(["POST"]) if request.method != "POST" else None


@login_required
def school_add(request: AccessRequest, breach_id: int) -> HttpResponse:
    breach = access.access_breach(request, breach_id)
    if refused := _post_only(request):
        return refused
    school = School.objects.filter(pk=request.POST.get("school") or 0).first()
    people = request.POST.get("people_affected", "0").strip() or "0"
    if school is None:
        messages.error(request, "Choose the school affected.")
    elif not people.isdigit():
        messages.error(request, "The number of people affected must be a whole number.")
    else:
        link = services.breach_school_add(
            actor=request.user,
            breach=breach,
            school=school,
            people_affected=int(people),
        )
        messages.success(
            request,
            f"{school.name} is named as affected; {link.told_admins} of its administrators "
            "and data protection leads were emailed.",
        )
    return redirect("breaches:detail", breach_id=breach.pk)


@login_required
def step_add(request: AccessRequest, breach_id: int) -> HttpResponse:
    breach = access.access_breach(request, breach_id)
    if refused := _post_only(request):
        return refused
    try:
        services.breach_update_add(
            actor=request.user, breach=breach, text=request.POST.get("text", "")
        )
    except ValidationError as error:
        for text in error_messages(error):
            messages.error(request, text)
    else:
        messages.success(request, "The step is recorded.")
    return redirect("breaches:detail", breach_id=breach.pk)


@login_required
def report(request: AccessRequest, breach_id: int) -> HttpResponse:
    breach = access.access_breach(request, breach_id)
    if refused := _post_only(request):
        return refused
    raw = request.POST.get("reported_at", "").strip()
    reported_at = parse_datetime(raw) if raw else None
    if raw and reported_at is None:
        messages.error(request, "The time of the report is not a date and time.")
        return redirect("breaches:detail", breach_id=breach.pk)
    if reported_at is not None and reported_at.tzinfo is None:
        reported_at = reported_at.replace(tzinfo=UTC)
    try:
        services.breach_report(
            actor=request.user,
            breach=breach,
            reported_at=reported_at,
            reference=request.POST.get("reference", ""),
            not_reported_reason=request.POST.get("not_reported_reason", ""),
        )
    except ValidationError as error:
        for text in error_messages(error):
            messages.error(request, text)
    else:
        messages.success(request, "Recorded.")
    return redirect("breaches:detail", breach_id=breach.pk)


# --- in a school ------------------------------------------------------------------


def school_list(request: AccessRequest, school_id: int) -> HttpResponse:
    """The breaches that affect this school."""
    require_role(request, *access.SCHOOL_READERS)
    rows = [(link, selectors.clock(link.breach)) for link in selectors.school_breaches()]
    return render(request, "breaches/school_list.html", {"rows": rows})


def school_detail(request: AccessRequest, school_id: int, breach_id: int) -> HttpResponse:
    link = access.access_school_breach(request, breach_id)
    context = {
        "link": link,
        "breach": link.breach,
        "clock": selectors.clock(link.breach),
        "updates": link.breach.updates.all(),
        "notice_needed": notices.needed(link.breach),
    }
    return render(request, "breaches/school_detail.html", context)


def school_acknowledge(request: AccessRequest, school_id: int, breach_id: int) -> HttpResponse:
    link = access.access_school_breach(request, breach_id)
    if refused := _post_only(request):
        return refused
    services.breach_acknowledge(actor=request.user, link=link)
    messages.success(request, "Acknowledged: the notice leaves the school's page.")
    return redirect("school_breaches:detail", school_id=school_id, breach_id=breach_id)


def school_notice(request: AccessRequest, school_id: int, breach_id: int) -> HttpResponse:
    """The notice for the people affected, ready to print or copy into an email."""
    link = access.access_school_breach(request, breach_id)
    return render(
        request,
        "breaches/notice.html",
        {
            "link": link,
            "notice": notices.subject_notice(link),
            "needed": notices.needed(link.breach),
        },
    )
