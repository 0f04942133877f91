"""Roster imports run by the background worker (ROS-2, ROS-4, TEN-4, SEC-2).

A confirmed import that is large is not run in the request: `import_job_create`
keeps the upload, encrypted with the school's key, in an `ImportJob` and queues
`markbook.rosters.tasks.run_import_job`; the worker opens the school's scope and
calls `import_job_run`, which runs the import with progress and records the result
(counts only, never pupil data). The upload is blanked as soon as the job has run,
whether it succeeded or failed.

Decision: on the MIS and OneRoster upload pages a confirmed file of fewer than
`INLINE_ROWS` rows (pupils for MIS; records added, changed, matched or removed for
OneRoster) is still imported in the request (the answer is immediate, and it takes
well under a second); larger files go to the worker. The API always queues a
confirmed import.

Previews are kept the same way (ROS-2, ROS-4, SEC-2): checking a file keeps its
upload, encrypted with the school's key, as an `ImportJob` in status `preview`
(`import_preview_keep`), so that confirming needs no second upload: the page or the
API names the preview (its id) and the signature of the file and choices previewed,
and the confirm imports exactly that file (`upload_signature`). A preview is deleted
once confirmed or cancelled, and after PREVIEW_MINUTES: reading an expired one deletes
it (`import_preview_data`), and the daily sweep deletes those nobody came back to.

A retry never starts a run beside a live one (retries and stalled jobs:
imports/stalled.py). Each transition is a conditional UPDATE naming the attempt it
expects: the worker claims queued -> running for its attempt only; progress (with
the job's heartbeat) and the result are saved for the current attempt only, and an
attempt that finds its job retried or cancelled stops before it writes.
"""

import base64
import functools
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypedDict

from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.rosters.imports import mis
from markbook.rosters.imports.common import WRITTEN, Report
from markbook.rosters.models import ImportJob
from markbook.rosters.oneroster.import_ import Result as OneRosterResult
from markbook.rosters.oneroster.import_ import oneroster_import
from markbook.schools.models import School

logger = logging.getLogger(__name__)

INLINE_ROWS = 200  # the upload pages import smaller confirmed files in the request
MAX_PROBLEMS = 50  # positions of problems kept in a failed job's summary
CRASHED = (
    "The import stopped because of an error in Markbook, so nothing was changed. "
    "Try again; if it happens again, contact support with the job number."
)


PREVIEW_MINUTES = 60  # how long a previewed upload waits for its confirmation
PREVIEW_EXPIRED = "This preview has expired; upload the file again."


class ImportPreviewExpired(Exception):
    """The previewed upload is older than PREVIEW_MINUTES; it has been deleted."""

    def __init__(self) -> None:
        super().__init__(PREVIEW_EXPIRED)


def upload_signature(data: bytes, *choices: Any) -> str:
    """Ties a confirmation to the exact file and choices that were previewed."""
    digest = hashlib.sha256(data)
    digest.update(json.dumps(choices).encode())
    return digest.hexdigest()


def preview_expired_before(now: datetime) -> datetime:
    """Previews created before this have expired."""
    return now - timedelta(minutes=PREVIEW_MINUTES)


def import_preview_keep(
    *,
    actor: User | None,
    school: School,
    kind: str,
    data: bytes,
    filename: str,
    options: dict[str, Any] | None = None,
) -> ImportJob:
    """Keep a previewed upload, encrypted with the school's key, for its confirmation
    (ROS-2, ROS-4, SEC-2); the same person's earlier previews of this kind go."""
    if kind not in ImportJob.Kind.values:
        raise ValueError(f"unknown import kind {kind!r}")
    with transaction.atomic():
        ImportJob.objects.filter(
            status=ImportJob.Status.PREVIEW, kind=kind, created_by=actor
        ).delete()
        job = ImportJob(
            school=school,
            kind=kind,
            status=ImportJob.Status.PREVIEW,
            filename=filename[:200],
            options=options or {},
            created_by=actor,
        )
        job.upload = base64.b64encode(data).decode("ascii")
        job.save()
        audit.record(
            actor=actor,
            school=school,
            action="rosters.import.previewed",
            target=job,
            data={"kind": kind, "bytes": len(data)},
        )
    return job


def import_preview_data(*, job: ImportJob, now: datetime | None = None) -> bytes:
    """The previewed upload; an expired preview is deleted and ImportPreviewExpired
    raised (ROS-2, SEC-2)."""
    if job.created_at < preview_expired_before(now or timezone.now()):
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).delete()
        raise ImportPreviewExpired
    return base64.b64decode(job.upload or "")


def import_preview_discard(*, actor: User | None, kind: str, cancelled: bool = False) -> None:
    """Delete the person's kept preview of this kind, with its upload: once its file is
    confirmed (or refused), or cancelled (recorded)."""
    with transaction.atomic():
        previews = ImportJob.objects.filter(
            status=ImportJob.Status.PREVIEW, kind=kind, created_by=actor
        )
        school_ids = set(previews.values_list("school_id", flat=True))
        deleted, _ = previews.delete()
        if deleted and cancelled:
            for school_id in school_ids:
                audit.record(
                    actor=actor,
                    school=school_id,
                    action="rosters.import.preview_cancelled",
                    data={"kind": kind},
                )


class ImportJobSuperseded(Exception):
    """This run's job was retried or cancelled meanwhile: stop before writing."""


def import_job_enqueue(job: ImportJob) -> None:
    """Queue the task that runs the job's current attempt; keep its id."""
    from markbook.rosters.tasks import run_import_job

    queued = run_import_job.enqueue(job.school_id, job.pk, job.attempt)
    job.task_id = str(queued.id)[:64]
    ImportJob.objects.filter(pk=job.pk).update(task_id=job.task_id)


def import_job_create(
    *,
    actor: User | None,
    school: School,
    kind: str,
    data: bytes,
    filename: str,
    options: dict[str, Any] | None = None,
) -> ImportJob:
    """Keep the upload encrypted and queue its import; the job and its task are
    created together or not at all."""
    if kind not in ImportJob.Kind.values:
        raise ValueError(f"unknown import kind {kind!r}")
    with transaction.atomic():
        job = ImportJob(
            school=school,
            kind=kind,
            filename=filename[:200],
            options=options or {},
            created_by=actor,
        )
        job.upload = base64.b64encode(data).decode("ascii")
        job.save()
        audit.record(
            actor=actor,
            school=school,
            action="rosters.import.queued",
            target=job,
            data={"kind": kind, "bytes": len(data)},
        )
        import_job_enqueue(job)
    return job


def _import_or_queue[R: (mis.MisImportResult, OneRosterResult)](
    check: Callable[..., R],
    *,
    rows: Callable[[R], int],
    inline_below: int | None,
    job: dict[str, Any],
) -> tuple[R, ImportJob | None]:
    """The confirm step of every upload: `check(confirm=False)` checks the file again,
    writing nothing; a file with problems is neither imported nor queued; one of fewer
    than `inline_below` rows (INLINE_ROWS by default) is imported now; a larger one is
    queued (`import_job_create(**job)`). The check (or the applied import) and the
    job, if queued."""
    result = check(confirm=False)
    if not result.ok:
        return result, None
    if rows(result) < (INLINE_ROWS if inline_below is None else inline_below):
        return check(confirm=True), None
    return result, import_job_create(**job)


class _Upload(TypedDict):
    """The arguments an import and its job share."""

    actor: User | None
    school: School
    data: bytes
    filename: str


def mis_import_confirm(
    *,
    actor: User | None,
    school: School,
    data: bytes,
    filename: str,
    mapping: dict[str, str],
    full: bool,
    inline_below: int | None = None,
    restore_erased: bool = False,
) -> tuple[mis.MisImportResult, ImportJob | None]:
    """Import a confirmed MIS file now if it is small, else queue it (ROS-2). Pupils
    erased at the school's request are brought back only with `restore_erased` (DSR-4)."""
    file: _Upload = {"actor": actor, "school": school, "data": data, "filename": filename}
    options: dict[str, Any] = {"mapping": mapping, "full": full}
    if restore_erased:
        options["restore_erased"] = True
    return _import_or_queue(
        functools.partial(
            mis.mis_import, **file, mapping=mapping, full=full, restore_erased=restore_erased
        ),
        rows=lambda result: result.rows,
        inline_below=inline_below,
        job={**file, "kind": ImportJob.Kind.MIS, "options": options},
    )


def oneroster_rows(result: OneRosterResult) -> int:
    """A OneRoster import's size, as INLINE_ROWS counts it: the records it adds,
    changes, matches or removes."""
    return sum(result.counts().values())


def oneroster_import_confirm(
    *,
    actor: User | None,
    school: School,
    data: bytes,
    filename: str,
    inline_below: int | None = None,
    restore_erased: bool = False,
) -> tuple[OneRosterResult, ImportJob | None]:
    """Import a confirmed OneRoster zip now if it is small, else queue it (ROS-4). People
    erased at the school's request are brought back only with `restore_erased` (DSR-4)."""
    return _import_or_queue(
        functools.partial(
            oneroster_import,
            actor=actor,
            school=school,
            data=data,
            restore_erased=restore_erased,
        ),
        rows=oneroster_rows,
        inline_below=inline_below,
        job={
            "actor": actor,
            "school": school,
            "data": data,
            "filename": filename,
            "kind": ImportJob.Kind.ONEROSTER,
            "options": {"restore_erased": True} if restore_erased else {},
        },
    )


def _progress(job: ImportJob) -> Report:
    """The import's progress callback: saves progress and the heartbeat for this
    attempt only, and stops an attempt whose job was retried or cancelled meanwhile
    (before it writes: the call after writing reports done == total; the reports of
    records written, while it writes, never stop it)."""

    def report(done: int, total: int, stage: str = "") -> None:
        saved = ImportJob.objects.filter(
            pk=job.pk, attempt=job.attempt, status=ImportJob.Status.RUNNING
        ).update(
            progress_done=done,
            progress_total=total,
            progress_stage=stage[:40],
            heartbeat_at=timezone.now(),
        )
        job.progress_done, job.progress_total, job.progress_stage = done, total, stage[:40]
        if not saved and done < total and not stage.endswith(WRITTEN):
            raise ImportJobSuperseded

    return report


def _failed_to(positions: list[tuple[int | None, str]]) -> tuple[dict[str, Any], str]:
    """The summary and message of an import refused when it ran. Positions only: the
    problems' messages may quote pupils' data, which a job keeps none of."""
    shown = "; ".join(
        f"row {row}, {column}" if row and column else (f"row {row}" if row else "the whole file")
        for row, column in positions[:5]
    )
    more = f" and {len(positions) - 5} more" if len(positions) > 5 else ""
    message = (
        f"The file could not be imported: {len(positions)} problem"
        f"{'' if len(positions) == 1 else 's'} found when the import ran ({shown}{more}). "
        "Nothing was changed. Check the file again on the import page to see each problem."
    )
    summary = {
        "problems": [{"row": row, "column": column} for row, column in positions[:MAX_PROBLEMS]]
    }
    return summary, message


def _run_mis(job: ImportJob, data: bytes) -> tuple[dict[str, Any], str]:
    result = mis.mis_import(
        actor=job.created_by,
        school=job.school,
        data=data,
        filename=job.filename,
        mapping=dict(job.options.get("mapping") or {}),
        full=bool(job.options.get("full")),
        confirm=True,
        progress=_progress(job),
        restore_erased=bool(job.options.get("restore_erased")),
    )
    if not result.ok:
        return _failed_to([(p.row, p.column) for p in result.errors])
    return {
        "rows": result.rows,
        "added": len(result.added),
        "changed": len([p for p in result.changed if p.changes]),
        "unchanged": len(result.unchanged),
        "left": len(result.leavers),
        "warnings": len(result.warnings),
    }, ""


def _run_oneroster(job: ImportJob, data: bytes) -> tuple[dict[str, Any], str]:
    result = oneroster_import(
        actor=job.created_by,
        school=job.school,
        data=data,
        confirm=True,
        progress=_progress(job),
        restore_erased=bool(job.options.get("restore_erased")),
    )
    if result.problems:
        return _failed_to(
            [
                (p.row, f"{p.file} {p.column}".strip() if p.file else p.column)
                for p in result.problems
            ]
        )
    return result.counts(), ""


def import_job_run(*, job: ImportJob, attempt: int | None = None) -> ImportJob:
    """Run one attempt of a queued job (its current one by default), inside its
    school's scope (the caller opens it, TEN-4): queued -> running -> done or failed,
    with the upload blanked either way. The claim is a conditional UPDATE, so a task
    delivered twice, or one whose attempt a retry replaced, does nothing."""
    attempt = job.attempt if attempt is None else attempt
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.QUEUED, attempt=attempt
    ).update(status=ImportJob.Status.RUNNING, started_at=now, heartbeat_at=now)
    job.refresh_from_db()
    if not claimed:
        return job  # a job's attempt runs once
    summary: dict[str, Any]
    try:
        data = base64.b64decode(job.upload or "")
        runner = _run_mis if job.kind == ImportJob.Kind.MIS else _run_oneroster
        summary, error = runner(job, data)
    except ImportJobSuperseded:
        logger.warning("Import job %s attempt %s stopped: retried or cancelled", job.pk, attempt)
        job.refresh_from_db()
        return job
    except Exception:
        # The import writes in one transaction, so nothing of it was kept.
        logger.exception("Import job %s of school %s failed", job.pk, job.school_id)
        summary, error = {}, CRASHED
    return _finish(job, attempt, summary, error)


def _finish(job: ImportJob, attempt: int, summary: dict[str, Any], error: str) -> ImportJob:
    """Record the attempt's outcome, unless a retry has replaced the attempt. A job
    cancelled while this attempt was silently writing gets the real outcome."""
    status = ImportJob.Status.FAILED if error else ImportJob.Status.DONE
    now = timezone.now()
    recorded = ImportJob.objects.filter(pk=job.pk, attempt=attempt).update(
        status=status,
        summary=summary,
        error=error,
        upload=None,
        finished_at=now,
        heartbeat_at=now,
        progress_done=job.progress_done,
        progress_total=job.progress_total,
        progress_stage=job.progress_stage,
    )
    counts = {k: v for k, v in summary.items() if k != "problems"}
    audit.record(
        actor=job.created_by,
        school=job.school,
        action=f"rosters.import.{status}" if recorded else "rosters.import.superseded",
        target=job,
        data={"kind": job.kind, **counts, **({} if recorded else {"attempt": attempt})},
    )
    job.refresh_from_db()
    return job
