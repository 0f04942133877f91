"""Pages of data-subject requests (DSR-6, DSR-8, DSR-9): a person's own requests and
the form to make one; staff recording one on someone's behalf; the data protection
lead's list (overdue and near due first) and each request's page with its history
and actions; the administrators' page granting the lead role; the term dates.

Who (TEN-3) as in rights/api.py; the pages call the same services.
"""

from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from markbook.admission import ADMINS, STAFF, AccessRequest, require_role, school_of
from markbook.rights import access, intake, leads, passing_on, selectors, services, terms
from markbook.rights.models import DataRequest, SchoolCalendarPeriod
from markbook.web import error_messages, posted_id

OWN_KINDS = [
    (k, label) for k, label in DataRequest.Kind.choices if k != DataRequest.Kind.EDUCATIONAL_RECORD
]


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def mine(request: AccessRequest, school_id: int) -> HttpResponse:
    """The requests the person made, or that are about them."""
    rows = [selectors.request_summary(r) for r in selectors.own_requests(request.user)]
    return render(
        request,
        "rights/mine.html",
        {
            "rows": rows,
            "is_lead": selectors.is_lead(request.access),
            "is_staff": request.access.has(*STAFF),
        },
    )


def new(request: AccessRequest, school_id: int) -> HttpResponse:
    """A pupil or parent makes a request from their own page: about themself, or a
    parent about a linked child."""
    subjects = access.own_subjects(request)
    kinds = list(OWN_KINDS)
    if request.access.has("parent"):
        kinds.append(
            (DataRequest.Kind.EDUCATIONAL_RECORD, DataRequest.Kind.EDUCATIONAL_RECORD.label)
        )
    values = {"kind": "access", "subject": "me", "details": ""}
    errors: list[str] = []
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            made = intake.submit_own(
                request, kind=values["kind"], subject=values["subject"], details=values["details"]
            )
        except ValidationError as error:
            errors = error_messages(error)
        else:
            messages.success(
                request,
                f"Your request was received. The school will answer by {made.due_on:%-d %B %Y}.",
            )
            return redirect("rights:detail", school_id=school_id, data_request_id=made.pk)
    return render(
        request,
        "rights/new.html",
        {"subjects": subjects, "kinds": kinds, "values": values, "errors": errors},
    )


def record(request: AccessRequest, school_id: int) -> HttpResponse:
    """A member of staff records a request that came by letter, email, in person or by
    telephone, about a pupil, or a parent or member of staff."""
    require_role(request, *STAFF)
    pupils = access.recordable_pupils(request)
    values = {
        "kind": "access",
        "pupil": "",
        "email": "",
        "requester_kind": "parent",
        "requester_name": "",
        "channel": "letter",
        "received_on": "",
        "details": "",
    }
    errors: list[str] = []
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            made = intake.submit_on_behalf(
                request,
                kind=values["kind"],
                pupil_id=posted_id(values["pupil"]) or None,
                email=values["email"],
                requester_kind=values["requester_kind"],
                requester_name=values["requester_name"],
                channel=values["channel"],
                received_on=_date(values["received_on"]),
                details=values["details"],
            )
        except ValidationError as error:
            errors = error_messages(error)
        else:
            messages.success(
                request, f"The request was recorded. It is due by {made.due_on:%-d %B %Y}."
            )
            return redirect("rights:detail", school_id=school_id, data_request_id=made.pk)
    return render(
        request,
        "rights/record.html",
        {
            "pupils": pupils.order_by("last_name", "first_name", "pk"),
            "kinds": DataRequest.Kind.choices,
            "requesters": DataRequest.Requester.choices,
            "channels": [c for c in DataRequest.Channel.choices if c[0] != "own_page"],
            "values": values,
            "errors": errors,
        },
    )


def queue(request: AccessRequest, school_id: int) -> HttpResponse:
    """The data protection lead's list: open requests by due date (overdue, then near
    due, then the rest), with days left; closed ones after."""
    require_role(request, *access.LEADS)
    found = [row.request for row in selectors.queue()]
    rows = [selectors.request_summary(r) for r in found]
    # Done requests whose services are not all told of the change yet (DSR-10).
    waiting = passing_on.requests_not_told(found)
    services.data_requests_listed(actor=request.user, school=school_of(request))
    return render(
        request,
        "rights/queue.html",
        {"rows": rows, "counts": selectors.due_counts(), "waiting": waiting},
    )


def _told_rows(request: AccessRequest, r: DataRequest) -> list[passing_on.ServiceState]:
    """The services the request's outcome is passed on to, each told or to mark told."""
    rows = passing_on.states(passing_on.request_services(r), request=r)
    for row in rows:
        row.url = reverse(
            "rights:told",
            kwargs={
                "school_id": r.school_id,
                "data_request_id": r.pk,
                "entry_id": row.service_id,
            },
        )
    return rows


def told(
    request: AccessRequest, school_id: int, data_request_id: int, entry_id: int
) -> HttpResponse:
    """The lead marks a service told of a done request's outcome (DSR-10): the row
    again for htmx, else back to the request."""
    r = access.access_lead_request(request, data_request_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    entry = passing_on.service_entry(entry_id)
    if entry is None:
        raise Http404
    try:
        passing_on.service_told_record(
            actor=request.user,
            school=school_of(request),
            service=entry,
            request=r,
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        if request.headers.get("HX-Request"):
            return HttpResponse(" ".join(error_messages(error)), status=422)
        messages.error(request, " ".join(error_messages(error)))
        return redirect("rights:detail", school_id=school_id, data_request_id=r.pk)
    if request.headers.get("HX-Request"):
        row = passing_on.states([entry], request=r)[0]
        return render(request, "rights/_told_item.html", {"t": row})
    messages.success(request, f"Recorded: {entry} was told.")
    return redirect("rights:detail", school_id=school_id, data_request_id=r.pk)


def detail(request: AccessRequest, school_id: int, data_request_id: int) -> HttpResponse:
    """One request, its stage history, and (for the lead) the actions of its stage.
    The status block reloads itself while the request is being carried out."""
    r = access.access_data_request(request, data_request_id)
    services.data_request_viewed(actor=request.user, data_request=r)
    context = {
        "r": r,
        "s": selectors.request_summary(r),
        "history": selectors.history(r),
        "is_lead": selectors.is_lead(request.access),
        "identity_methods": DataRequest.IdentityMethod.choices,
        "stalled": services.is_stalled(r),
        "export": selectors.request_export(r, user=request.user, access=request.access),
        "running": r.stage == DataRequest.Stage.IN_PROGRESS
        or (r.stage == DataRequest.Stage.APPROVED and not r.by_hand),
        "told_rows": _told_rows(request, r) if selectors.is_lead(request.access) else [],
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "status":
        response = render(request, "rights/_status.html", context)
        if not context["running"]:
            response["HX-Refresh"] = "true"  # finished: the whole page, history and actions
        return response
    return render(request, "rights/detail.html", context)


def _action(
    request: AccessRequest,
    school_id: int,
    data_request_id: int,
    act: Callable[[DataRequest], DataRequest],
    done: str,
) -> HttpResponse:
    if request.method != "POST":
        require_role(request, *access.LEADS)
        return HttpResponseNotAllowed(["POST"])
    r = access.access_lead_request(request, data_request_id)
    try:
        r = act(r)
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
    else:
        messages.success(
            request, done if r.stage != "approved" or not r.by_hand else selectors.next_step(r)
        )
    return redirect("rights:detail", school_id=school_id, data_request_id=data_request_id)


def identity(request: AccessRequest, school_id: int, data_request_id: int) -> HttpResponse:
    return _action(
        request,
        school_id,
        data_request_id,
        lambda r: services.data_request_check_identity(
            actor=request.user,
            data_request=r,
            method=request.POST.get("method", ""),
            note=request.POST.get("note", ""),
        ),
        "The identity check was recorded.",
    )


def approve(request: AccessRequest, school_id: int, data_request_id: int) -> HttpResponse:
    return _action(
        request,
        school_id,
        data_request_id,
        lambda r: services.data_request_approve(
            actor=request.user, data_request=r, note=request.POST.get("note", "")
        ),
        "The request was approved; Markbook is carrying it out.",
    )


def refuse(request: AccessRequest, school_id: int, data_request_id: int) -> HttpResponse:
    return _action(
        request,
        school_id,
        data_request_id,
        lambda r: services.data_request_refuse(
            actor=request.user, data_request=r, reason=request.POST.get("reason", "")
        ),
        "The request was refused.",
    )


def extend(request: AccessRequest, school_id: int, data_request_id: int) -> HttpResponse:
    return _action(
        request,
        school_id,
        data_request_id,
        lambda r: services.data_request_extend(
            actor=request.user, data_request=r, reason=request.POST.get("reason", "")
        ),
        "The deadline was extended by two months.",
    )


def complete(request: AccessRequest, school_id: int, data_request_id: int) -> HttpResponse:
    return _action(
        request,
        school_id,
        data_request_id,
        lambda r: services.data_request_complete(
            actor=request.user, data_request=r, note=request.POST.get("note", "")
        ),
        "The request was marked done.",
    )


def retry(request: AccessRequest, school_id: int, data_request_id: int) -> HttpResponse:
    return _action(
        request,
        school_id,
        data_request_id,
        lambda r: services.data_request_retry(actor=request.user, data_request=r),
        "The request was queued again; it carries on from where it stopped.",
    )


def lead_roles(request: AccessRequest, school_id: int) -> HttpResponse:
    """School administrators make members of staff the data protection lead, or take
    the role back."""
    require_role(request, *ADMINS)
    if request.method == "POST":
        user = access.staff_member(request, posted_id(request.POST.get("user")))
        try:
            if request.POST.get("action") == "revoke":
                leads.dpo_revoke(actor=request.user, school=school_of(request), user=user)
                messages.success(
                    request, f"{user.display_name} is no longer a data protection lead."
                )
            else:
                leads.dpo_grant(actor=request.user, school=school_of(request), user=user)
                messages.success(request, f"{user.display_name} is now a data protection lead.")
        except ValidationError as error:
            for message in error_messages(error):
                messages.error(request, message)
        return redirect("rights:leads", school_id=school_id)
    return render(request, "rights/leads.html", {"staff": leads.staff_with_lead_role()})


def calendar(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's terms and closure days: add one, delete one, or enter England's
    usual pattern for the current year to correct."""
    require_role(request, *access.CALENDAR)
    errors: list[str] = []
    values = {"kind": "term", "name": "", "start": "", "end": ""}
    if request.method == "POST":
        action = request.POST.get("action", "add")
        try:
            if action == "default":
                terms.calendar_default_fill(actor=request.user, school=school_of(request))
                messages.success(
                    request,
                    "England's usual term dates were entered: check them against the school's own.",
                )
            elif action == "delete":
                period = access.access_calendar_period(
                    request, posted_id(request.POST.get("period"))
                )
                terms.calendar_period_delete(actor=request.user, period=period)
                messages.success(request, f"{period.name} was deleted.")
            else:
                values = {k: request.POST.get(k, "").strip() for k in values}
                terms.calendar_period_add(
                    actor=request.user,
                    school=school_of(request),
                    kind=values["kind"],
                    name=values["name"],
                    start=_date(values["start"]),
                    end=_date(values["end"]),
                )
                messages.success(request, f"{values['name']} was added.")
        except ValidationError as error:
            errors = error_messages(error)
        else:
            return redirect("rights:calendar", school_id=school_id)
    return render(
        request,
        "rights/calendar.html",
        {
            "periods": terms.calendar_periods(),
            "kinds": SchoolCalendarPeriod.Kind.choices,
            "values": values,
            "errors": errors,
        },
    )
