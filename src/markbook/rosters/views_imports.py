"""Roster import and export pages (ROS-2, ROS-3, ROS-4, ROS-5): the class-list, MIS
and OneRoster uploads with their previews, the OneRoster download, and a background
import's progress page with retry and cancel. Thin, like views.py, whose helpers they
share; the API's twin is api_imports.py."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.text import capfirst

from markbook.admission import ADMINS, AccessRequest, admin_post, require_role, school_of
from markbook.rosters import forms, selectors
from markbook.rosters.access import access_import_job, access_import_preview
from markbook.rosters.imports import jobs, mis, stalled
from markbook.rosters.imports.classlist import classlist_import
from markbook.rosters.imports.common import size_message, upload_read
from markbook.rosters.models import ImportJob
from markbook.rosters.oneroster.export import oneroster_export
from markbook.rosters.oneroster.import_ import oneroster_import
from markbook.schools import years
from markbook.web import is_htmx, posted_id

# --- Class-list upload ------------------------------------------------------


def classlist_upload(request: AccessRequest, school_id: int) -> HttpResponse:
    """Upload a class-list CSV: every problem listed by row and column, all or nothing."""
    require_role(request, *ADMINS)
    form = forms.ClassListUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload_read(upload)
        result = classlist_import(
            actor=request.user,
            school=school_of(request),
            data=data,
            filename=upload.name,
            restore_erased=form.cleaned_data["restore_erased"],
        )
    return render(
        request,
        "rosters/classlist_upload.html",
        {
            "form": form,
            "result": result,
            "academic_year": years.academic_year_current(school_of(request)),
        },
    )


# --- OneRoster ---------------------------------------------------------------


def oneroster_page(request: AccessRequest, school_id: int) -> HttpResponse:
    """Upload a OneRoster zip: a preview of what it will do, then, confirmed, its
    import: in the request when small, else in the background with the progress page,
    as on the MIS page (ROS-4). The checked zip is kept for the confirmation (see
    _upload)."""
    require_role(request, *ADMINS)
    form = forms.OneRosterUploadForm(request.POST or None, request.FILES or None)
    result, signature, stale, preview = None, "", False, None
    if request.method == "POST" and form.is_valid():
        upload = _upload(request, form, ImportJob.Kind.ONEROSTER)
        if isinstance(upload, HttpResponse):
            return upload
        if upload is not None and (too_large := size_message(upload[0])):
            form.add_error("file", too_large)
        elif upload is not None:
            data, filename, preview = upload
            signature = jobs.upload_signature(data)
            confirm, stale = _confirming(request, signature)
            if confirm:
                result, job = jobs.oneroster_import_confirm(
                    actor=request.user,
                    school=school_of(request),
                    data=data,
                    filename=filename,
                    restore_erased=form.cleaned_data["restore_erased"],
                )
                _done_with(request, ImportJob.Kind.ONEROSTER)
                preview = None
                if job is not None:
                    return _follow(job)
            else:
                result = oneroster_import(
                    actor=request.user,
                    school=school_of(request),
                    data=data,
                    confirm=False,
                    restore_erased=form.cleaned_data["restore_erased"],
                )
                preview = _keep(request, ImportJob.Kind.ONEROSTER, result.ok, upload)
    return render(
        request,
        "rosters/oneroster.html",
        {
            "form": form,
            "result": result,
            "signature": signature,
            "stale": stale,
            "preview": preview,
            "inline_rows": jobs.INLINE_ROWS,
            "recent_jobs": selectors.import_jobs_recent(),
        },
    )


def oneroster_download(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's roster as a OneRoster 1.2 zip (ROS-4); logged as a read (SEC-1)."""
    require_role(request, *ADMINS)
    data = oneroster_export(actor=request.user, school=school_of(request))
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="oneroster.zip"'
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- MIS import ---------------------------------------------------------------


Upload = tuple[bytes, str, ImportJob | None]


def _upload(request: AccessRequest, form: Any, kind: str) -> Upload | HttpResponse | None:
    """The file of an upload page's post: a new file chosen, else the previewed upload
    the page names (`upload`, kept encrypted for the confirmation: imports/jobs.py).
    (data, filename, the kept preview or None); None with the form's error when there
    is no file, or an expired preview; a redirect once a preview is cancelled."""
    kept = request.POST.get("upload")
    if kept and request.POST.get("action") == "cancel":
        preview = access_import_preview(request, kept, kind)
        jobs.import_preview_discard(actor=request.user, kind=kind, cancelled=True)
        messages.success(request, f"{preview.filename} was not imported, and has been deleted.")
        return redirect(request.path)
    chosen = form.cleaned_data.get("file")
    if chosen is not None:
        # Read one byte past the limit, so an oversized file is refused without reading it
        # all; the real size is kept for the message (upload_read).
        return upload_read(chosen), chosen.name, None
    if not kept:
        form.add_error("file", "Choose the file to check.")
        return None
    preview = access_import_preview(request, kept, kind)
    try:
        data = jobs.import_preview_data(job=preview)
    except jobs.ImportPreviewExpired as expired:
        form.add_error("file", str(expired))
        return None
    return data, preview.filename, preview


def _keep(request: AccessRequest, kind: str, ok: bool, upload: Upload) -> ImportJob | None:
    """After a preview: the upload kept for the confirmation if the file can be
    imported (a kept one stays as it is), else none kept."""
    data, filename, preview = upload
    if not ok:
        _done_with(request, kind)
        return None
    if preview is not None:
        return preview
    return jobs.import_preview_keep(
        actor=request.user, school=school_of(request), kind=kind, data=data, filename=filename
    )


def _done_with(request: AccessRequest, kind: str) -> None:
    """A confirmed (or refused) file's kept preview is deleted."""
    jobs.import_preview_discard(actor=request.user, kind=kind)


def _confirming(request: AccessRequest, signature: str) -> tuple[bool, bool]:
    """(confirmed, stale) of an upload page's post: the administrator confirmed the
    previewed file, or confirmed after the file or the choices changed (a new preview)."""
    wants = request.POST.get("action") == "confirm"
    stale = wants and request.POST.get("signature") != signature
    return wants and not stale, stale


def _follow(job: ImportJob) -> HttpResponse:
    """A queued import's progress page (see imports/jobs.py)."""
    return redirect("rosters:import_job", school_id=job.school_id, job_id=job.pk)


def mis_upload(request: AccessRequest, school_id: int) -> HttpResponse:
    """Upload an MIS export, check it and preview it; import it only after confirming
    (ROS-2, ROS-3, ROS-5). The checked file is kept, encrypted, for the confirmation
    (see _upload), which imports it only if it is the file and choices previewed."""
    require_role(request, *ADMINS)
    form = forms.MisUploadForm(request.POST or None, request.FILES or None)
    result, signature, stale, preview = None, "", False, None
    mapping_rows: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = _upload(request, form, ImportJob.Kind.MIS)
        if isinstance(upload, HttpResponse):
            return upload
        if upload is not None:
            data, filename, preview = upload
            mapping, full = form.mapping(), form.cleaned_data["full"]
            signature = jobs.upload_signature(data, sorted(mapping.items()), full)
            confirm, stale = _confirming(request, signature)
            the_file: dict[str, Any] = {
                "actor": request.user,
                "school": school_of(request),
                "data": data,
                "filename": filename,
                "mapping": mapping,
                "full": full,
                "restore_erased": form.cleaned_data["restore_erased"],
            }
            if confirm:
                # A large file is imported by the background worker (see imports/jobs.py).
                result, job = jobs.mis_import_confirm(**the_file)
                _done_with(request, ImportJob.Kind.MIS)
                preview = None
                if job is not None:
                    return _follow(job)
            else:
                result = mis.mis_import(**the_file)
                preview = _keep(request, ImportJob.Kind.MIS, result.ok, upload)
            mapping_rows = [*mapping.items(), *result.suggestions.items()]
    choices = [(mis.IGNORE, "Ignore this column")] + [
        (f.name, capfirst(f.label)) for f in mis.FIELDS
    ]
    return render(
        request,
        "rosters/mis_upload.html",
        {
            "form": form,
            "result": result,
            "signature": signature,
            "stale": stale,
            "preview": preview,
            "choices": choices,
            "mapping_rows": mapping_rows,
            "fields": mis.FIELDS,
            "school": school_of(request),
            "inline_rows": jobs.INLINE_ROWS,
            "recent_jobs": selectors.import_jobs_recent(),
        },
    )


JOB_SUMMARY_LABELS = {
    "rows": "Rows in the file",
    "added": "Pupils added",
    "changed": "Pupils changed",
    "unchanged": "Pupils unchanged",
    "left": "Pupils marked as left",
    "warnings": "Warnings",
    "pupils_created": "Pupils added",
    "pupils_updated": "Pupils changed",
    "pupils_matched": "Pupils matched",
    "pupils_left": "Pupils marked as left",
    "classes_created": "Classes added",
    "teacher_links_added": "Teachers attached to classes",
    "teacher_links_removed": "Teachers detached from classes",
    "enrolments_added": "Enrolments added",
    "enrolments_removed": "Enrolments removed",
    "assignments_created": "Assignments added",
    "assignments_updated": "Assignments changed",
    "assignments_deleted": "Assignments deleted",
    "marks_recorded": "Marks recorded",
    "marks_removed": "Marks removed",
    "parents_created": "Parents added",
    "parents_matched": "Parents matched",
    "parent_links_added": "Parents linked to pupils",
    "parent_links_removed": "Parents unlinked from pupils",
    "parents_skipped": "Parents not linked (an account of another school)",
}


def import_job(request: AccessRequest, school_id: int, job_id: int) -> HttpResponse:
    """A background import's progress, then its result or error (ROS-2, ROS-4); a
    stalled one says so, with retry and cancel. Under htmx only the progress partial,
    which polls itself until the job has run or stalled."""
    require_role(request, *ADMINS)
    job = access_import_job(request, job_id)
    template = "rosters/import_job.html#progress" if is_htmx(request) else "rosters/import_job.html"
    summary = [
        (JOB_SUMMARY_LABELS.get(name, name.replace("_", " ")), value)
        for name, value in job.summary.items()
        if name != "problems"
    ]
    context = {"job": job, "summary": summary, "stall_notice": stalled.stall_notice(job)}
    return render(request, template, context)


def _job_action(request: AccessRequest, job_id: int, service: Any, done: str) -> HttpResponse:
    """Retry or cancel a stalled job, as the administrator saw it: the form names the
    attempt shown, so a second click, or a click on a stale page, changes nothing."""
    job = access_import_job(request, job_id)
    try:
        service(actor=request.user, job=job, attempt=posted_id(request.POST.get("attempt")))
    except stalled.ImportJobStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return _follow(job)


@admin_post
def import_job_retry(request: AccessRequest, school_id: int, job_id: int) -> HttpResponse:
    """Queue a stalled import again while its file is kept (ROS-2, ROS-4)."""
    return _job_action(request, job_id, stalled.import_job_retry, "The import is queued again.")


@admin_post
def import_job_cancel(request: AccessRequest, school_id: int, job_id: int) -> HttpResponse:
    """Cancel a stalled import: its file is deleted (ROS-2, ROS-4, SEC-2)."""
    return _job_action(
        request, job_id, stalled.import_job_cancel, "The import is cancelled; its file is deleted."
    )
