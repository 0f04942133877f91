from typing import cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Field
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from markbook.accounts.sso import sso_provider_ids
from markbook.admission import AccessRequest, school_of
from markbook.rosters import selectors
from markbook.rosters.models import Pupil
from markbook.schools import lifecycle, services
from markbook.schools import suspension as suspension_services
from markbook.schools.models import (
    KEEPABLE_PUPIL_FIELDS,
    SIGNIN_METHODS,
    TEACHER_VISIBLE_PUPIL_FIELDS,
    School,
)
from markbook.web import error_messages


def home(request: AccessRequest, school_id: int) -> HttpResponse:
    """Each role's dashboard for this school; sections shown per role held."""
    access = request.access
    context: dict = {"school": access.school}
    if access.has("school_admin", "trust_admin"):
        context["counts"] = {
            "pupils": Pupil.objects.filter(status=Pupil.Status.ON_ROLL).count(),
            "classes": selectors.classes_current(
                selectors.classes_visible_to(request.user, access)
            ).count(),
            "staff": selectors.staff().count(),
        }
    if access.has("teacher"):
        context["my_classes"] = selectors.classes_current(
            selectors.classes_visible_to(request.user, access)
        )
    if access.has("pupil"):
        context["me"] = (
            selectors.pupils_visible_to(request.user, access).filter(user=request.user).first()
        )
        context["my_pupil_classes"] = selectors.classes_current(
            selectors.classes_visible_to(request.user, access)
        )
    if access.has("parent"):
        context["children"] = selectors.children_of(request.user)
    if access.has("dpo"):  # DSR-6: the lead is told of overdue and near-due requests
        from markbook.rights.selectors import due_counts

        context["rights_due"] = due_counts()
    # The requester's own requests done or refused, until they open them (DSR-6).
    from markbook.rights.services import requester_outcomes_unseen

    context["my_answered_requests"] = requester_outcomes_unseen(request.user)
    return render(request, "schools/home.html", context)


def terms(request: AccessRequest, school_id: int) -> HttpResponse:
    """TEN-7: a school administrator accepts the data-protection terms before first use."""
    access = request.access
    school = school_of(request)
    version = settings.MARKBOOK_TERMS_VERSION
    accepted = school.terms_acceptances.filter(version=version).first()
    if request.method == "POST":
        if not access.has("school_admin"):
            raise Http404
        if request.POST.get("accept") != "yes":
            messages.error(
                request, "Tick the box to confirm you accept the terms on behalf of the school."
            )
        else:
            services.terms_accept(school=school, user=request.user, version=version)
            messages.success(request, f"Thank you. {school.name} can now use Markbook.")
            return redirect("schools:home", school_id=school.pk)
    return render(
        request,
        "schools/terms.html",
        {
            "school": school,
            "version": version,
            "accepted": accepted,
            "can_accept": access.has("school_admin"),
        },
    )


def trust_home(request: AccessRequest, trust_id: int) -> HttpResponse:
    """A trust administrator's schools page (TEN-3: every school of their trust)."""
    trust = request.access.trust
    schools = School.objects.filter(trust=trust).order_by("name")
    counts = dict(
        Pupil.objects.filter(status=Pupil.Status.ON_ROLL)
        .values_list("school_id")
        .annotate(n=Count("pk"))
    )
    rows = [(s, counts.get(s.pk, 0)) for s in schools]
    return render(request, "schools/trust_home.html", {"trust": trust, "rows": rows})


def school_settings(request: AccessRequest, school_id: int) -> HttpResponse:
    """A school administrator's settings: email domains, pseudonyms, the pupil sign-in address."""
    access = request.access
    if not access.has("school_admin"):
        raise Http404
    school = school_of(request)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.school_settings_update(
                actor=request.user,
                school=school,
                email_domains=request.POST.get("email_domains", "").replace("\n", ",").split(","),
                pseudonymise_pupils=request.POST.get("pseudonymise_pupils") == "on",
                require_admin_2fa=request.POST.get("require_admin_2fa") == "on",
                # Only when the form showed the boxes: an unticked box sends nothing.
                kept_pupil_fields=request.POST.getlist("kept_pupil_fields")
                if request.POST.get("kept_pupil_fields_shown")
                else None,
                signin_methods=request.POST.getlist("signin_methods")
                if request.POST.get("signin_methods_shown")
                else None,
                teacher_pupil_fields=request.POST.getlist("teacher_pupil_fields")
                if request.POST.get("teacher_pupil_fields_shown")
                else None,
                analysis_min_group=_int_or_none(request.POST.get("analysis_min_group")),
                boards_trust=request.POST.get("boards_trust") == "on"
                if request.POST.get("boards_shown")
                else None,
                boards_global=request.POST.get("boards_global") == "on"
                if request.POST.get("boards_shown")
                else None,
                blank_confirmed=request.POST.getlist("confirm_blank"),
            )
        except services.PupilFieldsInUse as in_use:
            return _confirm_blanking(request, school, in_use)
        except ValidationError as error:
            errors = [m for msgs in error.message_dict.values() for m in msgs]
        else:
            messages.success(request, "Settings saved.")
            return redirect("schools:settings", school_id=school.pk)
    signin_url = request.build_absolute_uri(
        reverse("pupil_signin", kwargs={"signin_slug": school.signin_slug})
    )
    return render(
        request,
        "schools/settings.html",
        {
            "school": school,
            "errors": errors,
            "signin_url": signin_url,
            "pupil_fields": [
                (name, label, name in school.kept_pupil_fields)
                for name, label in KEEPABLE_PUPIL_FIELDS.items()
            ],
            "teacher_fields": [
                (name, label, name in school.teacher_pupil_fields, school.keeps(name))
                for name, label in TEACHER_VISIBLE_PUPIL_FIELDS.items()
            ],
            "signin_methods": [
                (name, label, school.allows_signin(name)) for name, label in SIGNIN_METHODS.items()
            ],
            "sso_configured": sso_provider_ids(),
            "deletion_due_on": lifecycle.deletion_due_on(school),
            "register_url": request.build_absolute_uri(
                reverse("staff_register", kwargs={"signin_slug": school.signin_slug})
            ),
            "domains": request.POST.get("email_domains")
            if errors
            else ", ".join(school.email_domains),
        },
    )


def _int_or_none(value: str | None) -> int | None:
    """A whole number from a form box; anything else is refused as out of range."""
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        return -1


def _confirm_blanking(
    request: AccessRequest, school: School, in_use: services.PupilFieldsInUse
) -> HttpResponse:
    """Ask before unticked pupil fields are deleted from every pupil (ROS-5): what goes,
    on how many pupils; the form sends the same settings again, confirmed."""
    resend = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirm_blank")
        for value in values
    ]
    return render(
        request,
        "schools/settings_confirm.html",
        {
            "school": school,
            "deletions": in_use.deletions,
            "resend": resend,
            "confirm": list(in_use.held),
        },
    )


def family_settings(request: AccessRequest, school_id: int) -> HttpResponse:
    """What pupils and parents see of tracking on their results pages (ASM-3, TEN-3)."""
    if not request.access.has("school_admin"):
        raise Http404
    school = school_of(request)
    if request.method == "POST":
        services.school_family_view_update(
            actor=request.user,
            school=school,
            working_at=request.POST.get("families_see_working_at") == "on",
            predicted=request.POST.get("families_see_predicted") == "on",
            targets=request.POST.get("families_see_targets") == "on",
        )
        messages.success(request, "Settings saved.")
        return redirect("schools:family_settings", school_id=school.pk)
    choices = [
        (name, cast(Field, School._meta.get_field(name)).verbose_name, getattr(school, name))
        for name in services.FAMILY_TRACKING
    ]
    return render(request, "schools/family_settings.html", {"school": school, "choices": choices})


def suspension(request: AccessRequest, school_id: int) -> HttpResponse:
    """Suspend the whole school in an emergency, or lift its suspension (ACC-6): what
    happens is said first, and suspending asks for the school's name, typed. A school
    administrator's page; while the school is suspended, the only one open to them."""
    if not request.access.has("school_admin"):
        raise Http404
    school = school_of(request)
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "suspend":
                school = suspension_services.school_suspend(
                    actor=request.user,
                    school=school,
                    confirm_name=request.POST.get("confirm_name", ""),
                    reason=request.POST.get("reason", ""),
                )
                # The answer to this request is the last page of this session.
                return render(request, "schools/suspended.html", {"school": school})
            if action == "lift":
                suspension_services.school_suspension_lift(
                    actor=request.user, school=school, reason=request.POST.get("reason", "")
                )
                messages.success(
                    request,
                    f"The suspension of {school.name} is lifted: people can sign in again.",
                )
                return redirect("schools:settings", school_id=school.pk)
            errors = ["Choose to suspend the school or to lift its suspension."]
        except ValidationError as error:
            errors = error_messages(error)
    return render(
        request,
        "schools/suspension.html",
        {"school": school, "errors": errors, "reason": request.POST.get("reason", "")},
        status=400 if errors else 200,
    )
