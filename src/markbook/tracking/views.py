"""Tracking pages (ASM-4): subjects, grade scales and bands, data drops and their
completion, target rules and targets. Thin: check the role, fetch through access and
selectors, call one service, render. The school's set-up (built-in scales, bands,
default target rules) is installed the first time the pages are used."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from markbook.admission import ADMINS, STAFF, AccessRequest, admin_post, require_role, school_of
from markbook.rosters.access import access_class
from markbook.rosters.models import Pupil
from markbook.tracking import drops as drop_services
from markbook.tracking import forms, selectors
from markbook.tracking import scales as scale_services
from markbook.tracking import targets as target_services
from markbook.tracking.access import (
    access_drop,
    access_scale,
    access_subject,
    access_target_pupil,
    access_tracked_class,
)
from markbook.tracking.models import Band, Grade, GradeScale, Subject, Target
from markbook.tracking.services import tracking_setup
from markbook.web import posted_id


def _set_up(request: AccessRequest) -> None:
    """First use: the school gets its bands, built-in scales and target rules."""
    if not Band.objects.exists():
        tracking_setup(school=school_of(request), actor=request.user)


def _error(request: AccessRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def home(request: AccessRequest, school_id: int) -> HttpResponse:
    require_role(request, *STAFF)
    _set_up(request)
    context = {
        "admin": request.access.has(*ADMINS),
        "drops": selectors.drops(),
        "subject_count": selectors.subjects().count(),
    }
    return render(request, "tracking/home.html", context)


# --- Subjects ---------------------------------------------------------------------


def subjects(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's subjects with their scales, and a form to add one."""
    require_role(request, *ADMINS)
    _set_up(request)
    form = forms.SubjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subject = scale_services.subject_create(
                actor=request.user, school=school_of(request), **form.cleaned_data
            )
        except ValidationError as error:
            forms.add_errors(form, error)
        else:
            messages.success(request, f"{subject.name} added.")
            return redirect("tracking:subjects", school_id=school_id)
    context = {
        "subjects": selectors.subjects(),
        "form": form,
        "unlinked": selectors.unlinked_classes().count(),
    }
    return render(request, "tracking/subjects.html", context)


def subject_edit(request: AccessRequest, school_id: int, subject_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    subject = access_subject(request, subject_id)
    initial = {"name": subject.name, "code": subject.code, "scale": subject.scale}
    form = forms.SubjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            scale_services.subject_update(actor=request.user, subject=subject, **form.cleaned_data)
        except ValidationError as error:
            forms.add_errors(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect("tracking:subject_classes", school_id=school_id, subject_id=subject.pk)
    return render(request, "tracking/subject_form.html", {"form": form, "subject": subject})


def subject_classes(request: AccessRequest, school_id: int, subject_id: int) -> HttpResponse:
    """The classes tracked in a subject; administrators link and unlink them."""
    require_role(request, *ADMINS)
    subject = access_subject(request, subject_id)
    if request.method == "POST":
        teaching_class = access_class(request, posted_id(request.POST.get("class")))
        if request.POST.get("action") == "unlink":
            scale_services.subject_class_unlink(
                actor=request.user, subject=subject, teaching_class=teaching_class
            )
            messages.success(request, f"{teaching_class.name} is no longer tracked in {subject}.")
        else:
            scale_services.subject_class_link(
                actor=request.user, subject=subject, teaching_class=teaching_class
            )
            messages.success(request, f"{teaching_class.name} is tracked in {subject}.")
        return redirect("tracking:subject_classes", school_id=school_id, subject_id=subject.pk)
    context = {
        "subject": subject,
        "classes": selectors.subject_classes(subject),
        "unlinked": selectors.unlinked_classes(),
    }
    return render(request, "tracking/subject_classes.html", context)


def subject_delete(request: AccessRequest, school_id: int, subject_id: int) -> HttpResponse:
    """Say what deleting a subject takes with it (targets, drop grades, class links),
    then delete it on the confirming POST."""
    require_role(request, *ADMINS)
    subject = access_subject(request, subject_id)
    held = scale_services.subject_holdings(subject)
    if request.method == "POST":
        try:
            scale_services.subject_delete(
                actor=request.user, subject=subject, confirm=request.POST.get("confirm") == "1"
            )
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, f"{subject.name} was deleted.")
            return redirect("tracking:subjects", school_id=school_id)
    context = {
        "thing": subject.name,
        "held": held,
        "lines": [
            f"{held['targets']} pupil target{'s' if held['targets'] != 1 else ''}",
            f"{held['entries']} drop grade{'s' if held['entries'] != 1 else ''}",
            f"its link{'s' if held['classes'] != 1 else ''} to {held['classes']} "
            f"class{'es' if held['classes'] != 1 else ''} (the classes stay)",
        ],
        "holds_data": bool(held["targets"] or held["entries"]),
        "cancel": reverse("tracking:subjects", kwargs={"school_id": school_id}),
    }
    return render(request, "tracking/delete_confirm.html", context)


def subject_autolink(request: AccessRequest, school_id: int) -> HttpResponse:
    """Preview which classes match a subject by their own subject name; then link them."""
    require_role(request, *ADMINS)
    matches = selectors.subject_autolink_preview()
    if request.method == "POST":
        count = scale_services.subject_autolink(
            actor=request.user, school=school_of(request), matches=matches
        )
        messages.success(request, f"{count} class{'es' if count != 1 else ''} linked.")
        return redirect("tracking:subjects", school_id=school_id)
    return render(request, "tracking/subject_autolink.html", {"matches": matches})


# --- Scales and bands -----------------------------------------------------------------


def scales(request: AccessRequest, school_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    _set_up(request)
    return render(request, "tracking/scales.html", {"scales": selectors.scales()})


def scale_new(request: AccessRequest, school_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    form = forms.ScaleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        numeric = form.cleaned_data["numeric"]
        specs = form.grade_specs(numeric)
        if not form.errors:
            try:
                scale = scale_services.scale_create(
                    actor=request.user,
                    school=school_of(request),
                    name=form.cleaned_data["name"],
                    grades=specs,
                    numeric=numeric,
                    minimum=form.cleaned_data["minimum"],
                    maximum=form.cleaned_data["maximum"],
                )
            except ValidationError as error:
                forms.add_errors(form, error)
            else:
                messages.success(
                    request, f"{scale.name} added; map its grades onto the bands below."
                )
                return redirect("tracking:bands", school_id=school_id)
    return render(request, "tracking/scale_form.html", {"form": form, "scale": None})


def scale_edit(request: AccessRequest, school_id: int, scale_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    scale = access_scale(request, scale_id)
    if scale.kind != GradeScale.Kind.CUSTOM:
        messages.info(request, f"{scale.name} is built in: its bands can be changed here.")
        return redirect("tracking:bands", school_id=school_id)
    initial = {
        "name": scale.name,
        "minimum": scale.minimum,
        "maximum": scale.maximum,
        "grades": forms.ScaleForm.grades_text(scale),
    }
    form = forms.ScaleForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        specs = form.grade_specs(scale.numeric)
        if not form.errors:
            try:
                scale_services.scale_update(
                    actor=request.user,
                    scale=scale,
                    name=form.cleaned_data["name"],
                    grades=specs,
                    minimum=form.cleaned_data["minimum"],
                    maximum=form.cleaned_data["maximum"],
                )
            except ValidationError as error:
                forms.add_errors(form, error)
            else:
                messages.success(request, "Changes saved.")
                return redirect("tracking:scales", school_id=school_id)
    return render(request, "tracking/scale_form.html", {"form": form, "scale": scale})


@admin_post
def scale_delete(request: AccessRequest, school_id: int, scale_id: int) -> HttpResponse:
    scale = access_scale(request, scale_id)
    try:
        scale_services.scale_delete(actor=request.user, scale=scale)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, f"{scale.name} was deleted.")
    return redirect("tracking:scales", school_id=school_id)


def bands(request: AccessRequest, school_id: int) -> HttpResponse:
    """The common bands' names, and which band each grade of every scale maps onto."""
    require_role(request, *ADMINS)
    _set_up(request)
    all_bands = list(selectors.bands())
    all_scales = list(selectors.scales())
    if request.method == "POST":
        try:
            for band in all_bands:
                name = request.POST.get(f"band-{band.pk}")
                if name is not None:
                    scale_services.band_rename(actor=request.user, band=band, name=name)
            mapping: dict[int, int | None] = {
                g.pk: posted_id(request.POST.get(f"grade-{g.pk}")) or None
                for s in all_scales
                for g in s.grades.all()
                if f"grade-{g.pk}" in request.POST
            }
            scale_services.band_mapping_update(
                actor=request.user, school=school_of(request), mapping=mapping
            )
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, "Bands saved.")
            return redirect("tracking:bands", school_id=school_id)
    return render(request, "tracking/bands.html", {"bands": all_bands, "scales": all_scales})


def target_rules(request: AccessRequest, school_id: int, scale_id: int) -> HttpResponse:
    """The school's table from KS2 average to a target on one scale."""
    require_role(request, *ADMINS)
    scale = access_scale(request, scale_id)
    rules = selectors.target_rules(scale)
    text = "\n".join(f"{r.ks2_minimum} {r.grade.label}" for r in rules)
    form = forms.TargetRulesForm(request.POST or None, initial={"rules": text})
    if request.method == "POST" and form.is_valid():
        grades = {g.label.casefold(): g for g in Grade.objects.filter(scale=scale)}
        rows: list[tuple[int, Grade]] = []
        for line in form.cleaned_data["rules"].splitlines():
            score, _, label = line.strip().partition(" ")
            if not line.strip():
                continue
            grade = grades.get(label.strip().casefold())
            if not score.isdigit() or grade is None:
                form.add_error(
                    "rules", f"{line.strip()}: write a KS2 score, then a grade of {scale}."
                )
                continue
            rows.append((int(score), grade))
        if not form.errors:
            try:
                target_services.target_rules_set(actor=request.user, scale=scale, rows=rows)
            except ValidationError as error:
                forms.add_errors(form, error)
            else:
                messages.success(request, "Target rules saved.")
                return redirect("tracking:scales", school_id=school_id)
    return render(request, "tracking/target_rules.html", {"form": form, "scale": scale})


# --- Drops ----------------------------------------------------------------------------


def drops(request: AccessRequest, school_id: int) -> HttpResponse:
    require_role(request, *STAFF)
    _set_up(request)
    context = {"drops": selectors.drops(), "admin": request.access.has(*ADMINS)}
    return render(request, "tracking/drops.html", context)


def _drop_values(form: forms.DropForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "date": data["date"],
        "deadline": data["deadline"],
        "year_groups": data["year_groups"],
        "fields": form.field_specs(),
    }


def drop_new(request: AccessRequest, school_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    form = forms.DropForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = _drop_values(form)
        if not form.errors:
            try:
                drop = drop_services.drop_create(
                    actor=request.user, school=school_of(request), **values
                )
            except ValidationError as error:
                forms.add_errors(form, error)
            else:
                messages.success(request, f"{drop.name} added.")
                return redirect("tracking:drop_completion", school_id=school_id, drop_id=drop.pk)
    return render(request, "tracking/drop_form.html", {"form": form, "drop": None})


def drop_edit(request: AccessRequest, school_id: int, drop_id: int) -> HttpResponse:
    require_role(request, *ADMINS)
    drop = access_drop(request, drop_id)
    initial = {
        "name": drop.name,
        "date": drop.date,
        "deadline": drop.deadline,
        "year_groups": drop.year_groups,
        "fields": forms.DropForm.fields_text(list(drop.fields.select_related("scale"))),
    }
    form = forms.DropForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = _drop_values(form)
        if not form.errors:
            try:
                drop_services.drop_update(actor=request.user, drop=drop, **values)
            except ValidationError as error:
                forms.add_errors(form, error)
            else:
                messages.success(request, "Changes saved.")
                return redirect("tracking:drop_completion", school_id=school_id, drop_id=drop.pk)
    return render(request, "tracking/drop_form.html", {"form": form, "drop": drop})


@admin_post
def drop_lock(request: AccessRequest, school_id: int, drop_id: int) -> HttpResponse:
    """Lock the drop against entry, or (action=unlock) open it again."""
    drop = access_drop(request, drop_id)
    if request.POST.get("action") == "unlock":
        drop_services.drop_unlock(actor=request.user, drop=drop)
        messages.success(request, f"{drop.name} is open for entry again.")
    else:
        drop_services.drop_lock(actor=request.user, drop=drop)
        messages.success(request, f"{drop.name} is locked: no more entries can be made.")
    return redirect("tracking:drop_completion", school_id=school_id, drop_id=drop.pk)


def drop_delete(request: AccessRequest, school_id: int, drop_id: int) -> HttpResponse:
    """Say how many entries deleting a drop takes with it, then delete it on the
    confirming POST."""
    require_role(request, *ADMINS)
    drop = access_drop(request, drop_id)
    held = drop_services.drop_holdings(drop)
    if request.method == "POST":
        try:
            drop_services.drop_delete(
                actor=request.user, drop=drop, confirm=request.POST.get("confirm") == "1"
            )
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, f"{drop.name} was deleted.")
            return redirect("tracking:drops", school_id=school_id)
    entries, pupils = held["entries"], held["pupils"]
    context = {
        "thing": drop.name,
        "held": held,
        "lines": [
            f"{entries} entr{'ies' if entries != 1 else 'y'} for {pupils} "
            f"pupil{'s' if pupils != 1 else ''} in {held['subjects']} "
            f"subject{'s' if held['subjects'] != 1 else ''}",
        ],
        "holds_data": bool(entries),
        "cancel": reverse(
            "tracking:drop_completion", kwargs={"school_id": school_id, "drop_id": drop.pk}
        ),
    }
    return render(request, "tracking/delete_confirm.html", context)


def entry_url(school_id: int, drop_id: int, class_id: int) -> str:
    """Where a class's entries for a drop are made: the class's drop-entry grid (ASM-4)."""
    return reverse(
        "markbook:class_drop",
        kwargs={"school_id": school_id, "class_id": class_id, "drop_id": drop_id},
    )


def drop_completion(request: AccessRequest, school_id: int, drop_id: int) -> HttpResponse:
    """How much of the drop each class's teachers have entered, with links to the gaps:
    administrators every class, a teacher their own."""
    require_role(request, *STAFF)
    drop = access_drop(request, drop_id)
    rows = selectors.drop_completion(drop, request.user, request.access)
    for row in rows:
        row.url = entry_url(school_id, drop.pk, row.teaching_class.pk)  # type: ignore[attr-defined]
    expected = sum(r.expected for r in rows)
    entered = sum(r.entered for r in rows)
    context = {
        "drop": drop,
        "fields": list(drop.fields.select_related("scale")),
        "rows": rows,
        "expected": expected,
        "entered": entered,
        "percent": round(100 * entered / expected) if expected else 100,
        "admin": request.access.has(*ADMINS),
    }
    return render(request, "tracking/drop_completion.html", context)


# --- Targets ---------------------------------------------------------------------------


def targets_import(request: AccessRequest, school_id: int) -> HttpResponse:
    """Upload a targets CSV, see each row checked, then confirm: all or nothing."""
    require_role(request, *ADMINS)
    form = forms.TargetsImportForm(request.POST or None, request.FILES or None)
    school = school_of(request)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and "confirm" in request.POST:
        text = request.POST.get("text", "")
        try:
            counts = target_services.targets_import(actor=request.user, school=school, text=text)
        except ValidationError as error:
            context["preview"] = target_services.targets_import_preview(school=school, text=text)
            context["text"] = text
            _error(request, error)
        else:
            messages.success(
                request,
                f"Targets imported: {counts['created']} new, {counts['changed']} changed.",
            )
            return redirect("tracking:home", school_id=school_id)
    elif request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read(5_000_000)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", "The file must be a CSV saved as UTF-8.")
        else:
            context["preview"] = target_services.targets_import_preview(school=school, text=text)
            context["text"] = text
    return render(request, "tracking/targets_import.html", context)


@admin_post
def targets_from_ks2(request: AccessRequest, school_id: int) -> HttpResponse:
    counts = target_services.targets_from_ks2(
        actor=request.user,
        school=school_of(request),
        overwrite=request.POST.get("overwrite") == "1",
    )
    messages.success(
        request,
        f"Targets from KS2: {counts['created']} new, {counts['changed']} changed, "
        f"{counts['skipped']} kept or without KS2 results."
        + (
            f" {counts['restricted']} restricted pupils were left out: their data is not "
            "processed while the restriction is in force."
            if counts["restricted"]
            else ""
        ),
    )
    return redirect("tracking:home", school_id=school_id)


def class_targets(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """A class's pupils and their targets in its subject; its teachers (and
    administrators) set them, each change audited with old and new."""
    teaching_class = access_tracked_class(request, class_id)
    subject = selectors.class_subject(teaching_class)
    if subject is None:
        return render(request, "tracking/class_targets.html", {"teaching_class": teaching_class})
    grades = list(Grade.objects.filter(scale=subject.scale).order_by("rank"))
    by_id = {g.pk: g for g in grades}
    rows = selectors.class_targets(teaching_class, subject)
    if request.method == "POST":
        changed = 0
        try:
            with transaction.atomic():  # all the class's changes, or none
                changed = _targets_save(request, subject, rows, by_id)
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, f"Targets saved ({changed} changed).")
            return redirect("tracking:class_targets", school_id=school_id, class_id=class_id)
    context = {
        "teaching_class": teaching_class,
        "subject": subject,
        "rows": rows,
        "grades": grades,
        "paths": Target.Path.choices,
    }
    return render(request, "tracking/class_targets.html", context)


def _targets_save(
    request: AccessRequest,
    subject: Subject,
    rows: list[tuple[Pupil, Target | None]],
    by_id: dict[int, Grade],
) -> int:
    changed = 0
    for pupil, target in rows:
        grade = by_id.get(posted_id(request.POST.get(f"grade-{pupil.pk}")))
        if grade is None:
            continue
        path = request.POST.get(f"path-{pupil.pk}", Target.Path.FLAT)
        start = by_id.get(posted_id(request.POST.get(f"start-{pupil.pk}")))
        same = target is not None and (
            target.grade_id,
            target.path,
            target.starting_grade_id,
        ) == (grade.pk, path, start.pk if start and path == Target.Path.STEPPED else None)
        if same:
            continue
        access_target_pupil(request, subject, pupil.pk)
        target_services.target_set(
            actor=request.user,
            pupil=pupil,
            subject=subject,
            grade=grade,
            path=path,
            starting_grade=start,
        )
        changed += 1
    return changed
