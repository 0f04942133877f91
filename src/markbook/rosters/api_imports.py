"""API: roster imports and exports of one school (ROS-2, ROS-3, ROS-4, TEN-3, TEN-4).

As on the pages, administrators (school and trust) only; everyone else 404. An
upload is previewed by default: the report names each problem by row and column,
and a file with errors answers 422 with each problem (`problems`). A preview that can
be imported is kept, encrypted, for an hour: its report gives `upload_id` and
`signature`, and `confirm=true` with them (and no file) imports exactly that file with
the choices previewed (409 if the choices differ; 422 once the preview has expired);
`confirm=true` with a file checks it again. A confirmed import is queued for the
background worker: 202 with the job, whose status and progress
`GET .../imports/{job_id}` answers. A job whose worker died, or
that no worker started, is `stalled` (imports/stalled.py): the caller stops polling
and retries it (`POST .../retry`) or cancels it (`POST .../cancel`), naming the
attempt it saw; 409 if the job is not (or no longer) stalled at that attempt.
"""

import json
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from ninja import File, Form, Router, Schema, Status, UploadedFile
from pydantic import Field

from markbook.admission import ADMINS, AccessRequest, require_role, school_of
from markbook.core.api import ErrorOut, InputSchema, ProblemOut, responses
from markbook.rosters.access import access_import_job, access_import_preview
from markbook.rosters.imports import jobs, mis, stalled
from markbook.rosters.imports.classlist import classlist_import
from markbook.rosters.imports.common import Problem, size_message, upload_read
from markbook.rosters.models import ImportJob
from markbook.rosters.oneroster.export import oneroster_export
from markbook.rosters.oneroster.import_ import oneroster_import

router = Router(tags=["imports"])

SCHOOL = "/schools/{school_id}"


KEPT = (
    "The previewed file, kept encrypted for an hour: send it with `confirm=true` (and no "
    "file) to import it."
)
SIGNATURE = "Send it with the confirmation: it ties the import to the file and choices previewed."


class MisCountsOut(Schema):
    added: int
    changed: int
    unchanged: int
    leavers: int


class MisReportOut(Schema):
    """What importing the file would do; nothing has been written."""

    filename: str
    ok: bool
    rows: int
    full: bool
    errors: list[ProblemOut]
    warnings: list[ProblemOut]
    counts: MisCountsOut
    columns: dict[str, str] = Field(description="File header -> the pupil field it fills.")
    unknown_columns: list[str]
    not_kept_columns: list[str]
    upload_id: int | None = Field(None, description=KEPT)
    signature: str = Field("", description=SIGNATURE)
    expires_at: datetime | None = Field(None, description="When the kept file is deleted.")


class OneRosterCountsOut(Schema):
    pupils_created: int
    pupils_updated: int
    pupils_matched: int
    pupils_left: int
    classes_created: int
    teacher_links_added: int
    teacher_links_removed: int
    enrolments_added: int
    enrolments_removed: int
    assignments_created: int
    assignments_updated: int
    assignments_deleted: int
    marks_recorded: int
    marks_removed: int
    parents_created: int
    parents_matched: int
    parent_links_added: int
    parent_links_removed: int
    parents_skipped: int


class OneRosterReportOut(Schema):
    """What importing the zip would do; nothing has been written."""

    ok: bool
    version: str
    errors: list[ProblemOut]
    notes: list[str]
    counts: OneRosterCountsOut
    upload_id: int | None = Field(None, description=KEPT)
    signature: str = Field("", description=SIGNATURE)
    expires_at: datetime | None = Field(None, description="When the kept file is deleted.")


class ProgressOut(Schema):
    done: int
    total: int = Field(description="Rows of the file; 0 while not yet known.")


class ImportJobOut(Schema):
    id: int
    kind: str
    status: str = Field(description="queued, running, done or failed")
    filename: str
    progress: ProgressOut
    summary: dict[str, Any] = Field(description="Counts when done; problem positions if failed.")
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime = Field(
        description="Its last sign of life: queued, started or progress saved."
    )
    attempt: int = Field(description="Its run: 1, then one more for each retry.")
    stalled: bool = Field(
        description="Queued or running with no sign of life for too long: it will not "
        "finish by itself, and has written nothing. Stop polling; retry or cancel it."
    )
    retryable: bool = Field(description="Stalled, with its file still kept.")
    notice: str = Field(description="What happened to a stalled job and what to do.")
    url: str = Field(description="The progress page.")


class JobActionIn(InputSchema):
    attempt: int = Field(
        ge=1,
        description="The attempt you saw: a job retried or changed since answers 409.",
    )


def _import_responses(report: Any) -> dict[int, Any]:
    return {**responses(report), 202: ImportJobOut, 409: ErrorOut}


def _job(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "filename": job.filename,
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "summary": job.summary,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "heartbeat_at": job.heartbeat_at,
        "attempt": job.attempt,
        "stalled": job.stalled,
        "retryable": job.retryable,
        "notice": stalled.stall_notice(job),
        "url": reverse("rosters:import_job", args=[job.school_id, job.pk]),
    }


def _read(upload: UploadedFile) -> bytes:
    """The upload, one byte past the limit at most: the import refuses it by size."""
    return upload_read(upload)


def _the_upload(
    request: AccessRequest,
    kind: str,
    file: UploadedFile | None,
    upload_id: int | None,
    default: str,
) -> tuple[bytes, str, ImportJob | None]:
    """(data, filename, the kept preview): the file sent, else the preview named by
    `upload_id` (another school's or person's: 404; expired: 422, and deleted)."""
    if file is not None:
        return _read(file), (file.name or default)[:200], None
    if upload_id is None:
        raise ValidationError({"file": ["Send the file, or the upload_id of its preview."]})
    preview = access_import_preview(request, upload_id, kind)
    try:
        return jobs.import_preview_data(job=preview), preview.filename, preview
    except jobs.ImportPreviewExpired as expired:
        raise ValidationError({"upload_id": [str(expired)]}) from None


STALE = "The file or the choices differ from the preview: preview it again, then confirm."


def _kept(
    request: AccessRequest, kind: str, upload: tuple[bytes, str, ImportJob | None], signature: str
) -> dict[str, Any]:
    """After a preview that can be imported: the kept upload's id, signature and expiry."""
    data, name, preview = upload
    if preview is None:
        preview = jobs.import_preview_keep(
            actor=request.user,
            school=school_of(request),
            kind=kind,
            data=data,
            filename=name,
        )
    expires = preview.created_at + timedelta(minutes=jobs.PREVIEW_MINUTES)
    return {"upload_id": preview.pk, "signature": signature, "expires_at": expires}


def _problem(p: Problem, file: str = "") -> dict[str, Any]:
    return {"file": file, "row": p.row, "column": p.column, "message": p.message}


def _key(p: dict[str, Any]) -> str:
    where = [p["file"]] if p["file"] else []
    if p["row"] is not None:
        where.append(f"row {p['row']}")
    if p["column"]:
        where.append(p["column"])
    return ", ".join(where) or "file"


def _refuse(detail: str, problems: list[dict[str, Any]]) -> Status:
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(_key(p), []).append(p["message"])
    return Status(422, {"detail": detail, "errors": errors, "problems": problems})


def _mapping(raw: str) -> dict[str, str]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(
            {
                "mapping": [
                    'A JSON object of column header to pupil field, like {"Tutor Grp": '
                    '"registration_group"}.'
                ]
            }
        )
    return value


def _mis_report(result: mis.MisImportResult) -> dict[str, Any]:
    return {
        "filename": result.filename,
        "ok": result.ok,
        "rows": result.rows,
        "full": result.full,
        "errors": [_problem(p) for p in result.errors],
        "warnings": [_problem(p) for p in result.warnings],
        "counts": {
            "added": len(result.added),
            "changed": len(result.changed),
            "unchanged": len(result.unchanged),
            "leavers": len(result.leavers),
        },
        "columns": result.columns,
        "unknown_columns": result.unknown_columns,
        "not_kept_columns": result.not_kept_columns,
    }


class ClassListReportOut(Schema):
    """The class list, imported: what it did."""

    filename: str
    rows: int
    classes_created: int
    pupils_created: int
    pupils_matched: int
    enrolments_added: int
    ignored_columns: list[str]


@router.post(
    f"{SCHOOL}/imports/class-list",
    response=responses(ClassListReportOut),
    summary="Import a class list",
)
def import_classlist(
    request: AccessRequest,
    school_id: int,
    file: File[UploadedFile],
    restore_erased: Form[bool] = False,
) -> Any:
    """Upload a class-list CSV (ROS-1, ROS-2, ROS-3), as on the class-list page: every
    row is checked, then all of it is imported, or nothing (422 naming each problem by
    row and column). Classes missing in the current academic year are created."""
    require_role(request, *ADMINS)
    name = (file.name or "classlist.csv")[:200]
    result = classlist_import(
        actor=request.user,
        school=school_of(request),
        data=_read(file),
        filename=name,
        restore_erased=restore_erased,
    )
    if not result.ok:
        count = len(result.problems)
        detail = f"{name} cannot be imported: {count} problem{'' if count == 1 else 's'}."
        return _refuse(detail, [_problem(p) for p in result.problems])
    return {
        "filename": name,
        "rows": result.rows,
        "classes_created": result.classes_created,
        "pupils_created": result.pupils_created,
        "pupils_matched": result.pupils_matched,
        "enrolments_added": result.enrolments_added,
        "ignored_columns": result.ignored_columns,
    }


@router.post(
    f"{SCHOOL}/imports/mis",
    response=_import_responses(MisReportOut),
    summary="Check, preview or import an MIS export",
)
def import_mis(
    request: AccessRequest,
    school_id: int,
    file: File[UploadedFile] = None,  # type: ignore[assignment]
    preview: Form[bool] = True,
    confirm: Form[bool] = False,
    full: Form[bool] = False,
    mapping: Form[str] = "",
    upload_id: Form[int | None] = None,
    signature: Form[str] = "",
    restore_erased: Form[bool] = False,
) -> Any:
    """Upload an MIS export (CSV UTF-8 or .xlsx; ROS-2, ROS-3, ROS-5). By default a
    preview: 200 with the report (and the kept file's `upload_id` and `signature`), or
    422 naming each error by row and column. `confirm=true` (or `preview=false`) with
    `upload_id` and `signature` imports the previewed file; with a file, checks it
    again; either way the import is queued: 202 with the job. `full=true` marks pupils
    missing from the file as left. `mapping` is a JSON object naming the pupil field of
    unknown columns (or "ignore"). A pupil erased at the school's request is not added
    again (a warning names the row) unless `restore_erased=true`."""
    require_role(request, *ADMINS)
    school = school_of(request)
    upload = _the_upload(request, ImportJob.Kind.MIS, file, upload_id, "upload.csv")
    data, name, kept = upload
    choices = _mapping(mapping)
    signed = jobs.upload_signature(data, sorted(choices.items()), full)
    the_file: dict[str, Any] = {
        "actor": request.user,
        "school": school,
        "data": data,
        "filename": name,
        "mapping": choices,
        "full": full,
        "restore_erased": restore_erased,
    }
    if confirm or not preview:
        if kept is not None and signature != signed:
            return Status(409, {"detail": STALE})
        result, job = jobs.mis_import_confirm(**the_file, inline_below=0)
        jobs.import_preview_discard(actor=request.user, kind=ImportJob.Kind.MIS)
    else:
        result, job = mis.mis_import(**the_file), None
    report = _mis_report(result)
    if not result.ok:
        jobs.import_preview_discard(actor=request.user, kind=ImportJob.Kind.MIS)
        count = len(result.errors)
        detail = f"{name} cannot be imported: {count} error{'' if count == 1 else 's'}."
        return _refuse(detail, report["errors"])
    if job is not None:
        return Status(202, _job(job))
    return {**report, **_kept(request, ImportJob.Kind.MIS, upload, signed)}


@router.post(
    f"{SCHOOL}/imports/oneroster",
    response=_import_responses(OneRosterReportOut),
    summary="Check, preview or import a OneRoster zip",
)
def import_oneroster(
    request: AccessRequest,
    school_id: int,
    file: File[UploadedFile] = None,  # type: ignore[assignment]
    preview: Form[bool] = True,
    confirm: Form[bool] = False,
    upload_id: Form[int | None] = None,
    signature: Form[str] = "",
    restore_erased: Form[bool] = False,
) -> Any:
    """Upload a OneRoster 1.2 CSV zip (ROS-4). People erased at the school's request are
    left out (noted) unless `restore_erased=true` (DSR-4). By default a preview: 200 with exactly
    what importing it would do (and the kept file's `upload_id` and `signature`), or
    422 naming each problem by file, row and column. `confirm=true` (or
    `preview=false`), with `upload_id` and `signature` or with the file, queues the
    import: 202 with the job."""
    require_role(request, *ADMINS)
    school = school_of(request)
    upload = _the_upload(request, ImportJob.Kind.ONEROSTER, file, upload_id, "oneroster.zip")
    data, name, kept = upload
    if too_large := size_message(data):
        problem = {"file": "", "row": None, "column": "", "message": too_large}
        return _refuse("The zip is too large.", [problem])
    signed = jobs.upload_signature(data)
    if confirm or not preview:
        if kept is not None and signature != signed:
            return Status(409, {"detail": STALE})
        result, job = jobs.oneroster_import_confirm(
            actor=request.user,
            school=school,
            data=data,
            filename=name,
            inline_below=0,
            restore_erased=restore_erased,
        )
        jobs.import_preview_discard(actor=request.user, kind=ImportJob.Kind.ONEROSTER)
    else:
        result = oneroster_import(
            actor=request.user,
            school=school,
            data=data,
            confirm=False,
            restore_erased=restore_erased,
        )
        job = None
    problems = [
        {"file": p.file, "row": p.row, "column": p.column, "message": p.message}
        for p in result.problems
    ]
    if problems:
        jobs.import_preview_discard(actor=request.user, kind=ImportJob.Kind.ONEROSTER)
        count = len(problems)
        detail = f"The zip cannot be imported: {count} problem{'' if count == 1 else 's'}."
        return _refuse(detail, problems)
    if job is not None:
        return Status(202, _job(job))
    return {
        "ok": True,
        "version": result.version,
        "errors": [],
        "notes": result.notes,
        "counts": result.counts(),
        **_kept(request, ImportJob.Kind.ONEROSTER, upload, signed),
    }


@router.get(
    f"{SCHOOL}/imports/{{job_id}}",
    response=responses(ImportJobOut),
    summary="Get an import's status and progress",
)
def import_job(request: AccessRequest, school_id: int, job_id: int) -> Any:
    """A queued import: queued, running (rows done of total), done (counts) or failed
    (the error; the uploaded file is deleted either way). `stalled` if it will not
    finish by itself: retry or cancel it."""
    require_role(request, *ADMINS)
    return _job(access_import_job(request, job_id))


def _job_action(
    request: AccessRequest, job_id: int, payload: JobActionIn, service: Any, status: int
) -> Status:
    require_role(request, *ADMINS)
    job = access_import_job(request, job_id)
    try:
        return Status(status, _job(service(actor=request.user, job=job, attempt=payload.attempt)))
    except stalled.ImportJobStateError as error:
        return Status(409, {"detail": str(error)})


@router.post(
    f"{SCHOOL}/imports/{{job_id}}/retry",
    response={**responses(ImportJobOut, status=202), 409: ErrorOut},
    summary="Retry a stalled import",
)
def import_job_retry(
    request: AccessRequest, school_id: int, job_id: int, payload: JobActionIn
) -> Any:
    """Queue a stalled import again while its file is kept (ROS-2, ROS-4): 202 with the
    job, queued as its next attempt. 409 if it is not stalled at `attempt`, or its
    file has been deleted."""
    return _job_action(request, job_id, payload, stalled.import_job_retry, 202)


@router.post(
    f"{SCHOOL}/imports/{{job_id}}/cancel",
    response={**responses(ImportJobOut), 409: ErrorOut},
    summary="Cancel a stalled import",
)
def import_job_cancel(
    request: AccessRequest, school_id: int, job_id: int, payload: JobActionIn
) -> Any:
    """Cancel a stalled import (ROS-2, ROS-4, SEC-2): the job, failed, its file deleted.
    409 if it is not stalled at `attempt`."""
    return _job_action(request, job_id, payload, stalled.import_job_cancel, 200)


ZIP = {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}


@router.get(
    f"{SCHOOL}/exports/oneroster",
    response={**responses(None)},
    summary="Export the roster as a OneRoster zip",
    openapi_extra={"responses": {200: {"description": "A OneRoster 1.2 CSV zip", **ZIP}}},
)
def export_oneroster(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's roster as a OneRoster 1.2 CSV zip (ROS-4); logged as a read (SEC-1)."""
    require_role(request, *ADMINS)
    data = oneroster_export(actor=request.user, school=school_of(request))
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="oneroster.zip"'
    patch_cache_control(response, no_store=True, private=True)
    return response
