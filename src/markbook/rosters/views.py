"""Roster pages (ROS-1, TEN-3, TEN-5, SEC-1). Thin: check the role, fetch through
access/selectors, call one service, render. Administrators here are school
administrators and the trust administrators of the school's trust; only school
administrators see the encrypted sensitive fields (SEC-2)."""

import functools
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.views.decorators.cache import never_cache

from markbook.accounts.services import CODE_LIFETIME
from markbook.admission import ADMINS, STAFF, AccessRequest, admin_post, require_role, school_of
from markbook.rosters import forms, selectors, services, signin_cards
from markbook.rosters.access import (
    access_class,
    access_class_for_signin_cards,
    access_pupil,
    access_staff,
    may_reset_class_signin,
)
from markbook.rosters.models import YEAR_GROUPS, Pupil, TeachingClass
from markbook.schools import years
from markbook.web import error_messages, is_htmx, posted_id

PAGE_SIZE = 50


def _read(
    request: AccessRequest,
    action: str,
    target: Any = None,
    data: dict | None = None,
    fields: selectors.PupilFields | None = None,
    pupils: list[Pupil] | None = None,
) -> None:
    """SEC-1: staff reads of pupil data go to the access log (selectors.pupil_read_logged)."""
    selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action=action,
        target=target,
        data=data,
        fields=fields,
        pupils=pupils or (),
    )


def _confirm(request: AccessRequest, thing: str, consequence: str, cancel: str) -> HttpResponse:
    context = {"thing": thing, "consequence": consequence, "cancel": cancel}
    return render(request, "rosters/confirm_delete.html", context)


# --- Pupils -----------------------------------------------------------------


def pupils(request: AccessRequest, school_id: int) -> HttpResponse:
    """Administrators' pupil list: search by name, filter by year group, paginated."""
    require_role(request, *ADMINS)
    query = request.GET.get("q", "").strip()[:100]
    year = request.GET.get("year", "")
    year = year if year in dict(YEAR_GROUPS) else ""
    rows = selectors.pupil_search(
        selectors.pupils_visible_to(request.user, request.access),
        query=query,
        year_group=year,
        upn=True,  # administrators only, who see UPNs
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    _read(request, "rosters.pupils.listed", data={"count": len(shown), "page": page.number})
    context = {
        "page": page,
        "pupils": shown,
        "q": query,
        "year": year,
        "year_groups": YEAR_GROUPS,
    }
    template = "rosters/pupils.html#results" if is_htmx(request) else "rosters/pupils.html"
    return render(request, template, context)


def pupil_new(request: AccessRequest, school_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    sensitive = request.access.has("school_admin")
    form = forms.PupilForm(
        request.POST or None, sensitive=sensitive, kept=school_of(request).kept_pupil_fields
    )
    if request.method == "POST" and form.is_valid():
        values = form.values()
        values["username"] = values["username"] or None
        try:
            pupil = services.pupil_create(actor=request.user, school=school_of(request), **values)
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, f"{pupil.display_name} added with username {pupil.username}.")
            return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)
    return render(request, "rosters/pupil_form.html", {"form": form, "pupil": None})


@functools.cache
def _field_labels() -> dict[str, str]:
    """Labels as on the pupil form ("KS2 reading", not "Ks2 reading")."""
    form = forms.PupilForm(sensitive=True)
    labels = {n: str(f.label) for n, f in form.fields.items() if f.label}
    return {
        f.name: labels.get(f.name) or capfirst(str(f.verbose_name))
        for f in Pupil._meta.concrete_fields
    }


def _pupil_value(pupil: Pupil, name: str) -> Any:
    value = getattr(pupil, name)
    display = getattr(pupil, f"get_{name}_display", None)
    if display is not None and value:
        return display()
    if value is True or value is False:
        return "Yes" if value else "No"
    return value


def _pupil_rows(pupil: Pupil, names: tuple[str, ...]) -> list[tuple[str, Any]]:
    """(label, value) rows, labelled as on the pupil form."""
    labels = _field_labels()
    return [(labels[name], _pupil_value(pupil, name)) for name in names]


def pupil_detail(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """One pupil's page: the pupil themself, their parents, their teachers and
    administrators (TEN-3), each shown the fields selectors.pupil_fields_visible gives."""
    pupil = access_pupil(request, pupil_id)
    access = request.access
    fields = selectors.pupil_fields_visible(request.user, access, pupil=pupil)
    _read(request, "rosters.pupil.viewed", target=pupil, fields=fields)
    admin = access.has(*ADMINS)
    context: dict[str, Any] = {
        "pupil": pupil,
        "is_staff": fields.staff,
        "email": fields.email(pupil),
        "classes": selectors.classes_visible_to(request.user, access).filter(
            enrolments__pupil=pupil
        ),
        "admin": admin,
        # DSR-7: a pupil cannot delete their own account; they ask.
        "own_page": pupil.user_id == request.user.pk and access.has("pupil"),
        "mis_rows": _pupil_rows(pupil, fields.details),
        "sensitive_rows": _pupil_rows(pupil, fields.sensitive),
        "planning_rows": _pupil_rows(pupil, fields.planning),
    }
    if admin:
        context["parents"] = selectors.pupil_parents(pupil)
        context["parent_form"] = forms.ParentLinkForm()
    return render(request, "rosters/pupil_detail.html", context)


def pupil_edit(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    pupil = access_pupil(request, pupil_id)
    sensitive = request.access.has("school_admin")
    form = forms.PupilForm(
        request.POST or None,
        sensitive=sensitive,
        kept=school_of(request).kept_pupil_fields,
        initial=forms.PupilForm.initial_for(pupil, sensitive),
    )
    if request.method == "POST" and form.is_valid():
        changes = form.values()
        if not changes["username"]:
            del changes["username"]
        try:
            services.pupil_update(actor=request.user, pupil=pupil, **changes)
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)
    else:
        _read(request, "rosters.pupil.viewed", target=pupil, data={"for": "edit"})
    return render(request, "rosters/pupil_form.html", {"form": form, "pupil": pupil})


def pupil_delete(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """Remove a pupil completely (DSR-7): administrators any pupil, a teacher the pupils
    of their classes. The page says what and how much goes and what stays, and asks."""
    require_role(request, *STAFF)
    pupil = access_pupil(request, pupil_id)
    from markbook.rosters.views_deletions import deletion_request_for

    # A pupil's own request to have their account deleted, answered by deleting it.
    asked = deletion_request_for(request, request.POST.get("request") or request.GET.get("request"))
    errors: list[str] = []
    if request.method == "POST":
        name = pupil.display_name
        fingerprint = request.POST.get("fingerprint", "")
        try:
            if asked is not None:
                services.pupil_delete_requested(
                    actor=request.user, pupil=pupil, data_request=asked, fingerprint=fingerprint
                )
            else:
                services.pupil_delete(actor=request.user, pupil=pupil, fingerprint=fingerprint)
        except ValidationError as error:
            errors = error_messages(error)
        else:
            messages.success(request, f"{name} was removed, with all their records.")
            if request.access.has(*ADMINS):
                return redirect("rosters:pupils", school_id=school_id)
            return redirect("rosters:classes", school_id=school_id)
    plan = services.pupil_delete_impact(pupil=pupil)
    _read(request, "rosters.pupil.viewed", target=pupil, data={"for": "delete"})
    context = {
        "pupil": pupil,
        "plan": plan,
        "errors": errors,
        "asked": asked,
        "cancel": reverse("rosters:pupil_detail", args=[school_id, pupil.pk]),
    }
    return render(request, "rosters/pupil_delete.html", context, status=409 if errors else 200)


@admin_post
def pupil_parents(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """Link a parent or carer to the pupil, or unlink one (TEN-3)."""
    pupil = access_pupil(request, pupil_id)
    if request.POST.get("action") == "unlink":
        link = selectors.pupil_parents(pupil).filter(pk=request.POST.get("link") or 0).first()
        if link is None:
            raise Http404
        services.guardian_link_delete(actor=request.user, link=link)
        messages.success(request, f"{link.parent.email} is no longer linked.")
    else:
        form = forms.ParentLinkForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError({k: list(v) for k, v in form.errors.items()})
            link = services.guardian_link_create(
                actor=request.user, school=school_of(request), pupil=pupil, **form.cleaned_data
            )
        except ValidationError as error:
            for message in error_messages(error):
                messages.error(request, message)
        else:
            messages.success(request, f"{link.parent.email} is now linked to {pupil.display_name}.")
    return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)


def me(request: AccessRequest, school_id: int) -> HttpResponse:
    """A pupil's own page."""
    require_role(request, "pupil")
    pupil = Pupil.objects.filter(user=request.user).first()
    if pupil is None:
        raise Http404
    return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)


# --- Classes ----------------------------------------------------------------


def classes(request: AccessRequest, school_id: int) -> HttpResponse:
    """Administrators see every class; a teacher the classes they teach (TEN-3).
    Filtered by name, subject, year group and teacher, paginated; htmx swaps the
    results, and without JavaScript the same form is a plain GET."""
    require_role(request, *STAFF)
    admin = request.access.has(*ADMINS)
    visible = selectors.classes_visible_to(request.user, request.access)
    query = request.GET.get("q", "").strip()[:100]
    year = request.GET.get("year", "")
    year = year if year in dict(YEAR_GROUPS) else ""
    subjects = selectors.class_subjects(visible)
    subject = request.GET.get("subject", "")
    subject = subject if subject in subjects else ""
    teachers = list(selectors.staff()) if admin else []
    teacher = posted_id(request.GET.get("teacher"))
    teacher = teacher if any(t.pk == teacher for t in teachers) else 0
    current = years.academic_year_current(school_of(request))
    all_years = list(selectors.academic_years())
    chosen = request.GET.get("academic_year", "")
    academic_year = next(
        (y for y in all_years if str(y.pk) == chosen), None if chosen == "all" else current
    )
    rows = selectors.class_search(
        selectors.classes_in_year(visible, academic_year),
        query=query,
        subject=subject,
        year_group=year,
        teacher_id=teacher,
    ).prefetch_related("teacher_links__teacher")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {"q": query, "subject": subject, "year": year, "teacher": teacher or ""}
    chosen_year = {"academic_year": chosen} if chosen else {}
    context = {
        "classes": list(page.object_list),
        "page": page,
        "admin": admin,
        "filters": filters,
        "filtered": any(filters.values()),
        "query_string": urlencode({**{k: v for k, v in filters.items() if v}, **chosen_year}),
        "subjects": subjects,
        "teachers": teachers,
        "year_groups": YEAR_GROUPS,
        "years": all_years,
        "academic_year": academic_year,
        # DSR-7: the teacher's pupils who asked to have their account deleted.
        "deletion_requests": _deletion_requests_count(request),
    }
    template = "rosters/classes.html#results" if is_htmx(request) else "rosters/classes.html"
    return render(request, template, context)


def _class_form_page(
    request: AccessRequest, school_id: int, teaching_class: TeachingClass | None
) -> HttpResponse:
    require_role(request, *ADMINS)
    initial = (
        {
            "name": teaching_class.name,
            "subject": teaching_class.subject,
            "year_group": teaching_class.year_group,
            "academic_year": teaching_class.academic_year,
        }
        if teaching_class
        else {"academic_year": years.academic_year_current(school_of(request))}
    )
    form = forms.ClassForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if teaching_class is None:
                teaching_class = services.class_create(
                    actor=request.user, school=school_of(request), **form.cleaned_data
                )
            else:
                services.class_update(
                    actor=request.user, teaching_class=teaching_class, **form.cleaned_data
                )
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, f"{teaching_class.name} saved.")
            return redirect("rosters:class_detail", school_id=school_id, class_id=teaching_class.pk)
    return render(
        request, "rosters/class_form.html", {"form": form, "teaching_class": teaching_class}
    )


def class_new(request: AccessRequest, school_id: int) -> HttpResponse:
    return _class_form_page(request, school_id, None)


def class_edit(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    return _class_form_page(request, school_id, access_class(request, class_id))


def _deletion_requests_count(request: AccessRequest) -> int:
    if not request.access.has("teacher"):
        return 0
    from markbook.rights.selectors import pupil_deletion_requests_for

    return pupil_deletion_requests_for(request.user).count()


def _class_context(request: AccessRequest, teaching_class: TeachingClass) -> dict[str, Any]:
    admin = request.access.has(*ADMINS)
    fields = selectors.pupil_fields_visible(
        request.user,
        request.access,
        teaching_class=teaching_class,
    )
    context: dict[str, Any] = {
        "teaching_class": teaching_class,
        "admin": admin,
        "fields": fields,
        "deletion_requests": _deletion_requests_count(request),
        "can_print_cards": may_reset_class_signin(request, teaching_class),
        "planning_labels": [_field_labels()[name] for name in fields.planning],
        "pupil_rows": [
            (e.pupil, [_pupil_value(e.pupil, name) for name in fields.planning])
            for e in teaching_class.enrolments.all()
        ],
    }
    if admin:
        attached = {link.teacher_id for link in teaching_class.teacher_links.all()}
        context["staff_choices"] = [u for u in selectors.staff() if u.pk not in attached]
        context["other_classes"] = selectors.classes_current(
            selectors.classes_visible_to(
                request.user,
                request.access,
            )
        ).exclude(pk=teaching_class.pk)
    return context


def class_detail(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """A class with its teachers and pupils: its teachers and administrators (TEN-3)."""
    require_role(request, *STAFF)
    teaching_class = access_class(request, class_id)
    context = _class_context(request, teaching_class)
    _read(
        request,
        "rosters.class.viewed",
        target=teaching_class,
        data={"count": len(teaching_class.enrolments.all())},
        fields=context["fields"],
        pupils=[e.pupil for e in teaching_class.enrolments.all()],
    )
    return render(request, "rosters/class_detail.html", context)


def _class_changed(
    request: AccessRequest, school_id: int, class_id: int, partial: str, problems: list[str]
) -> HttpResponse:
    """After a change on the class page: the refreshed section for htmx, else a redirect."""
    if is_htmx(request):
        teaching_class = access_class(request, class_id)
        context = _class_context(request, teaching_class)
        context["problems"] = problems
        if partial == "pupils" and context["fields"].planning:  # the list is shown again
            enrolled = [e.pupil for e in teaching_class.enrolments.all()]
            _read(
                request,
                "rosters.class.viewed",
                target=teaching_class,
                data={"count": len(enrolled), "for": "change"},
                fields=context["fields"],
                pupils=enrolled,
            )
        return render(request, f"rosters/class_detail.html#{partial}", context)
    for problem in problems:
        messages.error(request, problem)
    return redirect("rosters:class_detail", school_id=school_id, class_id=class_id)


@admin_post
def class_teachers(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """Attach or detach a teacher (ROS-1), without a full reload under htmx."""
    teaching_class = access_class(request, class_id)
    problems: list[str] = []
    teacher = selectors.staff().filter(pk=posted_id(request.POST.get("teacher"))).first()
    try:
        if teacher is None:
            raise ValidationError({"teacher": ["Choose a member of staff."]})
        if request.POST.get("action") == "detach":
            services.class_teacher_detach(
                actor=request.user, teaching_class=teaching_class, teacher=teacher
            )
        else:
            services.class_teacher_attach(
                actor=request.user, teaching_class=teaching_class, teacher=teacher
            )
    except ValidationError as error:
        problems = error_messages(error)
    return _class_changed(request, school_id, class_id, "teachers", problems)


@admin_post
def class_pupils(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """Enrol a pupil (by username), remove one, or move one to another class (ROS-1)."""
    teaching_class = access_class(request, class_id)
    action = request.POST.get("action", "add")
    problems: list[str] = []
    try:
        if action == "add":
            username = request.POST.get("username", "").strip()
            pupil = Pupil.objects.filter(username__iexact=username).first() if username else None
            if pupil is None:
                raise ValidationError({"username": [f"No pupil has the username {username!r}."]})
            services.enrolment_add(actor=request.user, teaching_class=teaching_class, pupil=pupil)
        else:
            pupil = Pupil.objects.filter(
                pk=posted_id(request.POST.get("pupil")), enrolments__teaching_class=teaching_class
            ).first()
            if pupil is None:
                raise ValidationError({"pupil": ["Choose a pupil of this class."]})
            if action == "move":
                to_class = (
                    TeachingClass.objects.filter(pk=posted_id(request.POST.get("to_class")))
                    .exclude(pk=teaching_class.pk)
                    .first()
                )
                if to_class is None:
                    raise ValidationError({"to_class": ["Choose the class to move to."]})
                services.pupil_move(
                    actor=request.user, pupil=pupil, from_class=teaching_class, to_class=to_class
                )
            else:
                services.enrolment_remove(
                    actor=request.user, teaching_class=teaching_class, pupil=pupil
                )
    except ValidationError as error:
        problems = error_messages(error)
    return _class_changed(request, school_id, class_id, "pupils", problems)


@never_cache
def class_signin_cards(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """Sign-in cards for the whole class (ACC-2): first a page saying whose codes will
    be reset, then, on confirming, the cards to print, shown once and never stored."""
    teaching_class = access_class_for_signin_cards(request, class_id)
    school = school_of(request)
    if request.method != "POST":
        pupils = signin_cards.signin_card_pupils(teaching_class)
        context = {"teaching_class": teaching_class, "pupils": pupils}
        return render(request, "rosters/class_signin_cards_confirm.html", context)
    cards = signin_cards.signin_cards_issue(actor=request.user, teaching_class=teaching_class)
    signin_url = request.build_absolute_uri(
        reverse("pupil_signin_code_entry", kwargs={"signin_slug": school.signin_slug})
    )
    response = render(
        request,
        "rosters/class_signin_cards.html",
        {
            "teaching_class": teaching_class,
            "cards": cards,
            "signin_url": signin_url,
            "days": CODE_LIFETIME.days,
        },
    )
    patch_cache_control(response, no_store=True)
    return response


# --- Staff ------------------------------------------------------------------


def teachers(request: AccessRequest, school_id: int) -> HttpResponse:
    """The staff list with an add form; a new account's temporary password is shown
    once, on the page that answers the form, and never stored (ACC-2)."""
    require_role(request, *ADMINS)
    form = forms.StaffForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            user, password = services.staff_create(
                actor=request.user, school=school_of(request), **form.cleaned_data
            )
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            created = {"user": user, "password": password}
            form = forms.StaffForm()
    roles = selectors.staff_roles()
    rows = [(u, roles.get(u.pk, [])) for u in selectors.staff()]
    from markbook.accounts.registration import registration_requests_pending

    response = render(
        request,
        "rosters/teachers.html",
        {
            "rows": rows,
            "form": form,
            "created": created,
            "registrations": registration_requests_pending(),  # ACC-4
        },
    )
    if created:
        patch_cache_control(response, no_store=True)
    return response


def staff_edit(request: AccessRequest, school_id: int, user_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    member = access_staff(request, user_id)
    roles = selectors.staff_roles().get(member.pk, [])
    initial = {
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "role": "school_admin" if "school_admin" in roles else "teacher",
    }
    form = forms.StaffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(
                actor=request.user, school=school_of(request), user=member, **form.cleaned_data
            )
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, f"{member.display_name} saved.")
            return redirect("rosters:teachers", school_id=school_id)
    return render(request, "rosters/staff_form.html", {"form": form, "member": member})


def staff_remove(request: AccessRequest, school_id: int, user_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    member = access_staff(request, user_id)
    if request.method == "POST":
        try:
            services.staff_remove(actor=request.user, school=school_of(request), user=member)
        except ValidationError as error:
            for message in error_messages(error):
                messages.error(request, message)
        else:
            messages.success(request, f"{member.display_name} was removed from the school.")
        return redirect("rosters:teachers", school_id=school_id)
    return _confirm(
        request,
        member.display_name,
        "They lose access to the school and are detached from their classes.",
        reverse("rosters:teachers", args=[school_id]),
    )
