"""Deletion pages of DSR-7: a member of staff, a class and the whole roster
(administrators); a pupil asking to have their account deleted, and the teachers of
their classes answering. Each deletion page says what and how much goes, what stays,
and asks first. Thin: check the role, fetch through access, call one service."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from markbook.admission import ADMINS, AccessRequest, require_role, school_of
from markbook.rights import selectors as rights_selectors
from markbook.rights.models import DataRequest
from markbook.rights.services import data_request_pass_to_lead
from markbook.rosters import services
from markbook.rosters.access import access_class, access_staff
from markbook.rosters.models import Pupil
from markbook.web import error_messages


def staff_delete(request: AccessRequest, school_id: int, user_id: int) -> HttpResponse:
    """Delete a member of staff through the erasure engine (DSR-7): the impact first."""
    require_role(request, *ADMINS)
    member = access_staff(request, user_id)
    school = school_of(request)
    errors: list[str] = []
    if request.method == "POST":
        name = member.display_name
        try:
            services.staff_delete(
                actor=request.user,
                school=school,
                user=member,
                fingerprint=request.POST.get("fingerprint", ""),
            )
        except ValidationError as error:
            errors = error_messages(error)
        else:
            messages.success(request, f"{name} was deleted, with their account.")
            return redirect("rosters:teachers", school_id=school_id)
    impact = services.staff_delete_impact(actor=request.user, school=school, user=member)
    context = {
        "member": member,
        "impact": impact,
        "plan": impact.plan,
        "errors": errors,
        "cancel": reverse("rosters:teachers", args=[school_id]),
    }
    return render(request, "rosters/staff_delete.html", context, status=409 if errors else 200)


def class_delete(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """Delete a class (DSR-7): its enrolments, assignments and marks go, with counts;
    its pupils and teachers stay."""
    require_role(request, *ADMINS)
    teaching_class = access_class(request, class_id)
    if request.method == "POST":
        try:
            services.class_delete(actor=request.user, teaching_class=teaching_class)
        except ValidationError as error:  # a legal hold keeps the class (RET-3)
            for text in error_messages(error):
                messages.error(request, text)
            return redirect("rosters:class_detail", school_id=school_id, class_id=class_id)
        messages.success(request, f"{teaching_class.name} was deleted.")
        return redirect("rosters:classes", school_id=school_id)
    context = {
        "teaching_class": teaching_class,
        "impact": services.class_delete_impact(teaching_class=teaching_class),
        "cancel": reverse("rosters:class_detail", args=[school_id, teaching_class.pk]),
    }
    return render(request, "rosters/class_delete.html", context)


def roster_delete(request: AccessRequest, school_id: int) -> HttpResponse:
    """Delete the whole roster (DSR-7): every pupil and class; typed confirmation of
    the school's name; refused under a legal hold; staff accounts stay. A large roster
    is deleted by a background task in batches; this page shows its progress."""
    require_role(request, *ADMINS)
    school = school_of(request)
    errors: list[str] = []
    if request.method == "POST":
        name = request.POST.get("confirm_name", "")
        try:
            if services.roster_delete_impact(school=school).pupils > services.ROSTER_INLINE_MAX:
                count = services.roster_delete_start(
                    actor=request.user, school=school, confirm_name=name
                )
                messages.success(request, f"Deleting {count} pupils: this page shows how far.")
                return redirect("rosters:roster_delete", school_id=school_id)
            outcome = services.roster_delete(actor=request.user, school=school, confirm_name=name)
        except ValidationError as error:
            errors = error_messages(error)
        else:
            messages.success(
                request,
                f"The roster was deleted: {outcome.pupils} pupils and {outcome.classes} classes.",
            )
            return redirect("rosters:teachers", school_id=school_id)
    context = {
        "school": school,
        "impact": services.roster_delete_impact(school=school),
        "progress": services.roster_delete_progress(school=school),
        "errors": errors,
        "cancel": reverse("rosters:teachers", args=[school_id]),
    }
    return render(request, "rosters/roster_delete.html", context, status=409 if errors else 200)


def me_delete_ask(request: AccessRequest, school_id: int) -> HttpResponse:
    """A pupil asks to have their account deleted (DSR-7): they cannot delete it
    themself; the request goes to the teachers of their classes."""
    require_role(request, "pupil")
    pupil = Pupil.objects.filter(user=request.user).first()
    if pupil is None:
        raise Http404
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.pupil_deletion_ask(
                actor=request.user, pupil=pupil, details=request.POST.get("details", "")
            )
        except ValidationError as error:
            errors = error_messages(error)
        else:
            messages.success(
                request, "Your request was sent to your teachers. They will deal with it."
            )
            return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)
    context = {
        "pupil": pupil,
        "asked": services.pupil_deletion_asked(pupil=pupil),
        "errors": errors,
        "cancel": reverse("rosters:pupil_detail", args=[school_id, pupil.pk]),
    }
    return render(request, "rosters/me_delete_ask.html", context, status=400 if errors else 200)


def deletion_requests(request: AccessRequest, school_id: int) -> HttpResponse:
    """The pupils of a teacher's classes who asked to have their account deleted."""
    require_role(request, "teacher")
    rows = list(rights_selectors.pupil_deletion_requests_for(request.user))
    return render(request, "rosters/deletion_requests.html", {"rows": rows})


def _deletion_request(request: AccessRequest, request_id: int) -> DataRequest:
    require_role(request, "teacher")
    found = rights_selectors.pupil_deletion_requests_for(request.user).filter(pk=request_id)
    data_request = found.first()
    if data_request is None:
        raise Http404
    return data_request


def deletion_request_pass(
    request: AccessRequest, school_id: int, deletion_request_id: int
) -> HttpResponse:
    """Pass a pupil's request to the data protection lead instead (POST only)."""
    data_request = _deletion_request(request, deletion_request_id)
    if request.method != "POST":
        raise Http404
    try:
        data_request_pass_to_lead(actor=request.user, data_request=data_request)
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, "The request was passed to the data protection lead.")
    return redirect("rosters:deletion_requests", school_id=school_id)


def deletion_request_for(request: AccessRequest, request_id: str | None) -> DataRequest | None:
    """The teacher's deletion request named by the pupil page's form, if any."""
    if not request_id or not request.access.has("teacher"):
        return None
    try:
        return _deletion_request(request, int(request_id))
    except ValueError:
        raise Http404 from None
