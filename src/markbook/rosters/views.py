"""Roster pages (ROS-1, TEN-3, TEN-5, SEC-1). Thin: check the role, fetch through
access/selectors, call one service, render. Administrators here are school
administrators and the trust administrators of the school's trust; only school
administrators see the encrypted sensitive fields (SEC-2)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.text import capfirst

from markbook.rosters import forms, selectors, services
from markbook.rosters.access import (
    access_class,
    access_pupil,
    access_staff,
    require_role,
)
from markbook.rosters.models import YEAR_GROUPS, Pupil, TeachingClass
from markbook.schools import years

ADMINS = ("school_admin", "trust_admin")
STAFF = ("teacher", "school_admin", "trust_admin")
PAGE_SIZE = 50


def _admin_post(view):  # type: ignore[no-untyped-def]
    """Administrators only (404 for everyone else, TEN-3), then POST only (405)."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_role(request, *ADMINS)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _actor(request: HttpRequest) -> Any:
    return request.user


def _school(request: HttpRequest) -> Any:
    return request.access.school  # type: ignore[attr-defined]


def _read(request: HttpRequest, action: str, target: Any = None, data: dict | None = None) -> None:
    """SEC-1: staff reads of pupil data go to the access log."""
    if request.access.has(*STAFF):  # type: ignore[attr-defined]
        services.roster_read_record(
            actor=_actor(request), school=_school(request), action=action, target=target, data=data
        )


def _confirm(request: HttpRequest, thing: str, consequence: str, cancel: str) -> HttpResponse:
    context = {"thing": thing, "consequence": consequence, "cancel": cancel}
    return render(request, "rosters/confirm_delete.html", context)


def _errors(error: ValidationError) -> list[str]:
    return [m for msgs in error.message_dict.values() for m in msgs]


# --- Pupils -----------------------------------------------------------------


def pupils(request: HttpRequest, school_id: int) -> HttpResponse:
    """Administrators' pupil list: search by name, filter by year group, paginated."""
    require_role(request, *ADMINS)
    query = request.GET.get("q", "").strip()[:100]
    year = request.GET.get("year", "")
    year = year if year in dict(YEAR_GROUPS) else ""
    rows = selectors.pupil_search(
        selectors.pupils_visible_to(request.user, request.access),  # type: ignore[arg-type, attr-defined]
        query=query,
        year_group=year,
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
    template = "rosters/pupils.html#results" if _htmx(request) else "rosters/pupils.html"
    return render(request, template, context)


def pupil_new(request: HttpRequest, school_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    sensitive = request.access.has("school_admin")  # type: ignore[attr-defined]
    form = forms.PupilForm(
        request.POST or None, sensitive=sensitive, kept=_school(request).kept_pupil_fields
    )
    if request.method == "POST" and form.is_valid():
        values = form.values()
        values["username"] = values["username"] or None
        try:
            pupil = services.pupil_create(actor=_actor(request), school=_school(request), **values)
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, f"{pupil.display_name} added with username {pupil.username}.")
            return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)
    return render(request, "rosters/pupil_form.html", {"form": form, "pupil": None})


def _pupil_rows(pupil: Pupil, names: tuple[str, ...]) -> list[tuple[str, Any]]:
    """(label, value) rows, labelled as on the pupil form ("KS2 reading", not "Ks2 reading")."""
    labels = {n: f.label for n, f in forms.PupilForm(sensitive=True).fields.items() if f.label}
    rows = []
    for name in names:
        field = Pupil._meta.get_field(name)
        value = getattr(pupil, name)
        display = getattr(pupil, f"get_{name}_display", None)
        if display is not None and value:
            value = display()
        elif value is True or value is False:
            value = "Yes" if value else "No"
        rows.append((labels.get(name) or capfirst(str(field.verbose_name)), value))
    return rows


MIS_SHOWN = ("upn", *(n for n in services.MIS_FIELDS if n not in services.SENSITIVE_FIELDS))


def pupil_detail(request: HttpRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """One pupil's page: the pupil themself, their parents, their teachers and
    administrators (TEN-3). Teachers see names, username, year group and classes only;
    the email only in a school domain (TEN-5); sensitive fields only school administrators."""
    pupil = access_pupil(request, pupil_id)
    access = request.access  # type: ignore[attr-defined]
    _read(request, "rosters.pupil.viewed", target=pupil)
    is_staff = access.has(*STAFF)
    admin = access.has(*ADMINS)
    context: dict[str, Any] = {
        "pupil": pupil,
        "is_staff": is_staff,
        "email": pupil.email_for_staff() if is_staff else pupil.email,
        "classes": selectors.classes_visible_to(request.user, access).filter(  # type: ignore[arg-type]
            enrolments__pupil=pupil
        ),
        "admin": admin,
    }
    if admin:
        context["mis_rows"] = _pupil_rows(pupil, MIS_SHOWN)
        context["parents"] = selectors.pupil_parents(pupil)
        context["parent_form"] = forms.ParentLinkForm()
    if access.has("school_admin"):
        context["sensitive_rows"] = _pupil_rows(pupil, services.SENSITIVE_FIELDS)
    return render(request, "rosters/pupil_detail.html", context)


def pupil_edit(request: HttpRequest, school_id: int, pupil_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    pupil = access_pupil(request, pupil_id)
    sensitive = request.access.has("school_admin")  # type: ignore[attr-defined]
    form = forms.PupilForm(
        request.POST or None,
        sensitive=sensitive,
        kept=_school(request).kept_pupil_fields,
        initial=forms.PupilForm.initial_for(pupil, sensitive),
    )
    if request.method == "POST" and form.is_valid():
        changes = form.values()
        if not changes["username"]:
            del changes["username"]
        try:
            services.pupil_update(actor=_actor(request), pupil=pupil, **changes)
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)
    else:
        _read(request, "rosters.pupil.viewed", target=pupil, data={"for": "edit"})
    return render(request, "rosters/pupil_form.html", {"form": form, "pupil": pupil})


def pupil_delete(request: HttpRequest, school_id: int, pupil_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    pupil = access_pupil(request, pupil_id)
    if request.method == "POST":
        name = pupil.display_name
        services.pupil_delete(actor=_actor(request), pupil=pupil)
        messages.success(request, f"{name} was removed.")
        return redirect("rosters:pupils", school_id=school_id)
    return _confirm(
        request,
        pupil.display_name,
        "Their enrolments, parent links and sign-in account are removed too.",
        reverse("rosters:pupil_detail", args=[school_id, pupil.pk]),
    )


@_admin_post
def pupil_parents(request: HttpRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """Link a parent or carer to the pupil, or unlink one (TEN-3)."""
    pupil = access_pupil(request, pupil_id)
    if request.POST.get("action") == "unlink":
        link = selectors.pupil_parents(pupil).filter(pk=request.POST.get("link") or 0).first()
        if link is None:
            raise Http404
        services.guardian_link_delete(actor=_actor(request), link=link)
        messages.success(request, f"{link.parent.email} is no longer linked.")
    else:
        form = forms.ParentLinkForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError({k: list(v) for k, v in form.errors.items()})
            link = services.guardian_link_create(
                actor=_actor(request), school=_school(request), pupil=pupil, **form.cleaned_data
            )
        except ValidationError as error:
            for message in _errors(error):
                messages.error(request, message)
        else:
            messages.success(request, f"{link.parent.email} is now linked to {pupil.display_name}.")
    return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)


def me(request: HttpRequest, school_id: int) -> HttpResponse:
    """A pupil's own page."""
    require_role(request, "pupil")
    pupil = Pupil.objects.filter(user=request.user).first()
    if pupil is None:
        raise Http404
    return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)


# --- Classes ----------------------------------------------------------------


def classes(request: HttpRequest, school_id: int) -> HttpResponse:
    """Administrators see every class; a teacher the classes they teach (TEN-3)."""
    require_role(request, *STAFF)
    current = years.academic_year_current(_school(request))
    all_years = list(selectors.academic_years())
    chosen = request.GET.get("year", "")
    year = next((y for y in all_years if str(y.pk) == chosen), None if chosen == "all" else current)
    rows = selectors.classes_in_year(
        selectors.classes_visible_to(request.user, request.access),  # type: ignore[arg-type, attr-defined]
        year,
    ).prefetch_related("teacher_links__teacher")
    return render(
        request,
        "rosters/classes.html",
        {
            "classes": rows,
            "admin": request.access.has(*ADMINS),  # type: ignore[attr-defined]
            "years": all_years,
            "year": year,
        },
    )


def _class_form_page(
    request: HttpRequest, school_id: int, teaching_class: TeachingClass | None
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
        else {"academic_year": years.academic_year_current(_school(request))}
    )
    form = forms.ClassForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if teaching_class is None:
                teaching_class = services.class_create(
                    actor=_actor(request), school=_school(request), **form.cleaned_data
                )
            else:
                services.class_update(
                    actor=_actor(request), teaching_class=teaching_class, **form.cleaned_data
                )
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, f"{teaching_class.name} saved.")
            return redirect("rosters:class_detail", school_id=school_id, class_id=teaching_class.pk)
    return render(
        request, "rosters/class_form.html", {"form": form, "teaching_class": teaching_class}
    )


def class_new(request: HttpRequest, school_id: int) -> HttpResponse:
    return _class_form_page(request, school_id, None)


def class_edit(request: HttpRequest, school_id: int, class_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    return _class_form_page(request, school_id, access_class(request, class_id))


def class_delete(request: HttpRequest, school_id: int, class_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    teaching_class = access_class(request, class_id)
    if request.method == "POST":
        services.class_delete(actor=_actor(request), teaching_class=teaching_class)
        messages.success(request, f"{teaching_class.name} was deleted.")
        return redirect("rosters:classes", school_id=school_id)
    return _confirm(
        request,
        teaching_class.name,
        "Its teachers are detached and its pupils unenrolled; the pupils stay in the school.",
        reverse("rosters:class_detail", args=[school_id, teaching_class.pk]),
    )


def _class_context(request: HttpRequest, teaching_class: TeachingClass) -> dict[str, Any]:
    admin = request.access.has(*ADMINS)  # type: ignore[attr-defined]
    context: dict[str, Any] = {"teaching_class": teaching_class, "admin": admin}
    if admin:
        attached = {link.teacher_id for link in teaching_class.teacher_links.all()}
        context["staff_choices"] = [u for u in selectors.staff() if u.pk not in attached]
        context["other_classes"] = selectors.classes_current(
            selectors.classes_visible_to(
                request.user,  # type: ignore[arg-type]
                request.access,  # type: ignore[attr-defined]
            )
        ).exclude(pk=teaching_class.pk)
    return context


def class_detail(request: HttpRequest, school_id: int, class_id: int) -> HttpResponse:
    """A class with its teachers and pupils: its teachers and administrators (TEN-3)."""
    require_role(request, *STAFF)
    teaching_class = access_class(request, class_id)
    _read(
        request,
        "rosters.class.viewed",
        target=teaching_class,
        data={"count": len(teaching_class.enrolments.all())},
    )
    return render(request, "rosters/class_detail.html", _class_context(request, teaching_class))


def _class_changed(
    request: HttpRequest, school_id: int, class_id: int, partial: str, problems: list[str]
) -> HttpResponse:
    """After a change on the class page: the refreshed section for htmx, else a redirect."""
    if _htmx(request):
        context = _class_context(request, access_class(request, class_id))
        context["problems"] = problems
        return render(request, f"rosters/class_detail.html#{partial}", context)
    for problem in problems:
        messages.error(request, problem)
    return redirect("rosters:class_detail", school_id=school_id, class_id=class_id)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


@_admin_post
def class_teachers(request: HttpRequest, school_id: int, class_id: int) -> HttpResponse:
    """Attach or detach a teacher (ROS-1), without a full reload under htmx."""
    teaching_class = access_class(request, class_id)
    problems: list[str] = []
    teacher = selectors.staff().filter(pk=_int(request.POST.get("teacher"))).first()
    try:
        if teacher is None:
            raise ValidationError({"teacher": ["Choose a member of staff."]})
        if request.POST.get("action") == "detach":
            services.class_teacher_detach(
                actor=_actor(request), teaching_class=teaching_class, teacher=teacher
            )
        else:
            services.class_teacher_attach(
                actor=_actor(request), teaching_class=teaching_class, teacher=teacher
            )
    except ValidationError as error:
        problems = _errors(error)
    return _class_changed(request, school_id, class_id, "teachers", problems)


@_admin_post
def class_pupils(request: HttpRequest, school_id: int, class_id: int) -> HttpResponse:
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
            services.enrolment_add(
                actor=_actor(request), teaching_class=teaching_class, pupil=pupil
            )
        else:
            pupil = Pupil.objects.filter(
                pk=_int(request.POST.get("pupil")), enrolments__teaching_class=teaching_class
            ).first()
            if pupil is None:
                raise ValidationError({"pupil": ["Choose a pupil of this class."]})
            if action == "move":
                to_class = (
                    TeachingClass.objects.filter(pk=_int(request.POST.get("to_class")))
                    .exclude(pk=teaching_class.pk)
                    .first()
                )
                if to_class is None:
                    raise ValidationError({"to_class": ["Choose the class to move to."]})
                services.pupil_move(
                    actor=_actor(request), pupil=pupil, from_class=teaching_class, to_class=to_class
                )
            else:
                services.enrolment_remove(
                    actor=_actor(request), teaching_class=teaching_class, pupil=pupil
                )
    except ValidationError as error:
        problems = _errors(error)
    return _class_changed(request, school_id, class_id, "pupils", problems)


# --- Staff ------------------------------------------------------------------


def teachers(request: HttpRequest, school_id: int) -> HttpResponse:
    """The staff list with an add form; a new account's temporary password is shown
    once, on the page that answers the form, and never stored (ACC-2)."""
    require_role(request, *ADMINS)
    form = forms.StaffForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            user, password = services.staff_create(
                actor=_actor(request), school=_school(request), **form.cleaned_data
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


def staff_edit(request: HttpRequest, school_id: int, user_id: int) -> HttpResponse:
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
                actor=_actor(request), school=_school(request), user=member, **form.cleaned_data
            )
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, f"{member.display_name} saved.")
            return redirect("rosters:teachers", school_id=school_id)
    return render(request, "rosters/staff_form.html", {"form": form, "member": member})


def staff_remove(request: HttpRequest, school_id: int, user_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    member = access_staff(request, user_id)
    if request.method == "POST":
        try:
            services.staff_remove(actor=_actor(request), school=_school(request), user=member)
        except ValidationError as error:
            for message in _errors(error):
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
