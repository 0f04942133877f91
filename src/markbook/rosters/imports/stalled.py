"""Stalled background imports: retry, cancel and the daily sweep (ROS-2, ROS-4,
RET-1, RET-4, SEC-1, SEC-2).

A worker that dies mid-import would leave its job "running", and with no worker a
job stays "queued", each keeping its encrypted upload for ever. A job saves a
heartbeat (`heartbeat_at`) when it is queued, claimed and whenever it saves progress,
and is *stalled* once that is older than MARKBOOK_IMPORT_STALL_MINUTES (running;
default 15) or MARKBOOK_IMPORT_QUEUE_HOURS (queued; default 2); see
`ImportJob.stalled` and settings.py for the reasoning. An import writes in one
transaction, so a stalled job has written nothing.

An administrator retries a stalled job while its upload is kept (`import_job_retry`:
queued again as attempt + 1) or cancels it (`import_job_cancel`: failed, upload
blanked). Both are conditional UPDATEs on the attempt the administrator saw and on
the job still being stalled, so a retry never runs beside a live attempt (see
imports/jobs.py). One window remains, documented rather than closed: an attempt that
stays silent for longer than the stall time (an MIS import while it writes, a
OneRoster import throughout: at most about three minutes for the largest zip,
against 15; see settings.py), and is retried meanwhile, still commits; the retry
then imports the same file again, which changes nothing (ROS-2: re-importing is
idempotent). Cancelled meanwhile, it records its real outcome over the cancellation.

`import_jobs_sweep` (the `markbook_import_jobs_sweep` command, run daily from cron)
fails the stalled jobs nobody handled, blanks any upload a finished job still holds,
deletes previewed uploads nobody confirmed within the hour, and deletes job records
after JOB_RETENTION_DAYS, recording counts in each school's
access log (RET-4).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.privacy.retention.rules import LOGS, RULES
from markbook.rosters.imports.jobs import import_job_enqueue, preview_expired_before
from markbook.rosters.models import ImportJob
from markbook.schools.models import School

CANCELLED = (
    "Cancelled by an administrator after the import stopped responding. Nothing was "
    "written, and the uploaded file has been deleted: upload it again to import it."
)
SWEPT = (
    "The import stopped responding and Markbook's daily clean-up stopped it. Nothing was "
    "written, and the uploaded file has been deleted: upload it again to import it."
)
# RET-1: user ids in logs, read from the same rule the inventory and notice state.
_LOG_PERIOD = RULES[LOGS].period
JOB_RETENTION_DAYS = _LOG_PERIOD.longest_days if _LOG_PERIOD else 365


class ImportJobStateError(Exception):
    """The job is not in a state that allows this (not stalled, finished, or changed
    since the caller looked); the message says which, for the administrator."""


def stall_notice(job: ImportJob) -> str:
    """What a stalled job's page and API read tell the administrator ("" if not stalled)."""
    if not job.stalled:
        return ""
    if job.status == ImportJob.Status.RUNNING:
        what = (
            "The import stopped responding: Markbook has heard nothing from it for more "
            f"than {settings.MARKBOOK_IMPORT_STALL_MINUTES} minutes."
        )
    else:
        what = (
            "The import has not started: it has waited more than "
            f"{settings.MARKBOOK_IMPORT_QUEUE_HOURS} hours for Markbook's background worker."
        )
    todo = (
        "Retry it, or cancel it and upload the file again. If a retry stalls too, "
        "contact support with the job number."
        if job.upload_kept
        else "Its file has been deleted: cancel it and upload the file again."
    )
    return f"{what} Nothing was written: an import saves all of its changes or none. {todo}"


def _refusal(job: ImportJob, verb: str, seen: int) -> ImportJobStateError:
    """Why the conditional UPDATE changed nothing, as the job is now."""
    job.refresh_from_db()
    if job.attempt != seen:
        why = "it changed since you looked; check it again"
    elif job.finished:
        why = f"it has finished ({job.get_status_display().lower()})"
    elif not job.stalled:
        why = f"it is {job.get_status_display().lower()} and not stalled"
    elif verb == "retried" and not job.upload_kept:
        why = "its file has been deleted; cancel it and upload the file again"
    else:
        why = "check it again"
    return ImportJobStateError(f"This import cannot be {verb}: {why}.")


def import_job_retry(
    *, actor: User | None, job: ImportJob, attempt: int | None = None
) -> ImportJob:
    """Queue a stalled job again, as its next attempt, while its upload is kept
    (ROS-2, ROS-4). Only if it is still stalled at the attempt the caller saw
    (`attempt`, else the job's): the conditional UPDATE lets one of two simultaneous
    retries through, and none once the worker has come back to life. Raises
    ImportJobStateError otherwise."""
    now = timezone.now()
    seen = job.attempt if attempt is None else attempt
    with transaction.atomic():
        requeued = (
            ImportJob.objects.filter(pk=job.pk, attempt=seen, upload__isnull=False)
            .filter(ImportJob.stalled_q(now))
            .update(
                status=ImportJob.Status.QUEUED,
                attempt=F("attempt") + 1,
                heartbeat_at=now,
                started_at=None,
                progress_done=0,
                progress_total=0,
            )
        )
        if not requeued:
            raise _refusal(job, "retried", seen)
        job.refresh_from_db()
        import_job_enqueue(job)
        audit.record(
            actor=actor,
            school=job.school_id,
            action="rosters.import.retried",
            target=job,
            data={"kind": job.kind, "attempt": job.attempt},
        )
    return job


def import_job_cancel(
    *, actor: User | None, job: ImportJob, attempt: int | None = None
) -> ImportJob:
    """Stop a stalled job for good (ROS-2, ROS-4, SEC-2): failed, its upload blanked.
    Only if it is still stalled at the attempt the caller saw (`attempt`, else the
    job's; a conditional UPDATE). Raises ImportJobStateError otherwise."""
    now = timezone.now()
    was = job.status
    seen = job.attempt if attempt is None else attempt
    with transaction.atomic():
        cancelled = (
            ImportJob.objects.filter(pk=job.pk, attempt=seen)
            .filter(ImportJob.stalled_q(now))
            .update(
                status=ImportJob.Status.FAILED,
                error=CANCELLED,
                summary={},
                upload=None,
                finished_at=now,
            )
        )
        if not cancelled:
            raise _refusal(job, "cancelled", seen)
        job.refresh_from_db()
        audit.record(
            actor=actor,
            school=job.school_id,
            action="rosters.import.cancelled",
            target=job,
            data={"kind": job.kind, "attempt": job.attempt, "was": was},
        )
    return job


@dataclass
class Sweep:
    """One school's sweep: the jobs found (lines naming ids, kinds and states, never
    file names or contents) and, unless a dry run, the counts of what was done."""

    stalled: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    previews: list[str] = field(default_factory=list)
    failed: int = 0
    blanked: int = 0
    deleted: int = 0
    previews_deleted: int = 0

    @property
    def found(self) -> bool:
        return bool(self.stalled or self.uploads or self.expired or self.previews)


def _line(job: ImportJob, now: datetime) -> str:
    minutes = int((now - job.heartbeat_at).total_seconds() // 60)
    since = (
        f"{minutes // 1440} days"
        if minutes >= 2880
        else (f"{minutes // 60} h" if minutes >= 60 else f"{minutes} min")
    )
    return (
        f"job {job.pk} ({job.get_kind_display()}, {job.status}, attempt {job.attempt}, "
        f"created {job.created_at:%Y-%m-%d}, last sign of life {since} ago)"
    )


def import_jobs_sweep(
    *, school: School, dry_run: bool = False, now: datetime | None = None
) -> Sweep:
    """Tidy one school's import jobs, inside its scope (the caller opens it, TEN-4):
    stalled jobs failed with their uploads blanked (SEC-2), uploads still held by
    finished jobs blanked, expired previews deleted with their uploads (SEC-2), jobs
    older than JOB_RETENTION_DAYS deleted (RET-1). Each job
    counts once: an expired job is only deleted. Idempotent; a dry run lists and
    changes nothing; a real run that changed something records the counts in the
    school's access log (RET-4, SEC-1)."""
    now = now or timezone.now()
    # Previewed uploads nobody confirmed within the hour (imports/jobs.py), with their files.
    previews = ImportJob.objects.filter(
        status=ImportJob.Status.PREVIEW, created_at__lt=preview_expired_before(now)
    )
    expired = ImportJob.objects.filter(
        created_at__lt=now - timedelta(days=JOB_RETENTION_DAYS)
    ).exclude(status=ImportJob.Status.PREVIEW)
    kept = ImportJob.objects.exclude(pk__in=expired.values("pk")).exclude(
        status=ImportJob.Status.PREVIEW
    )
    stalled = kept.filter(ImportJob.stalled_q(now))
    uploads = kept.filter(
        status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED], upload__isnull=False
    )
    sweep = Sweep()
    for lines, jobs in (
        (sweep.stalled, stalled),
        (sweep.uploads, uploads),
        (sweep.expired, expired),
        (sweep.previews, previews),
    ):
        lines.extend(_line(job, now) for job in jobs.defer("upload", "options", "summary"))
    if dry_run or not sweep.found:
        return sweep
    with transaction.atomic():
        sweep.deleted, _ = expired.delete()
        sweep.previews_deleted, _ = previews.delete()
        sweep.failed = stalled.update(
            status=ImportJob.Status.FAILED, error=SWEPT, summary={}, upload=None, finished_at=now
        )
        sweep.blanked = uploads.update(upload=None)
        counts = {
            "failed": sweep.failed,
            "uploads_blanked": sweep.blanked,
            "deleted": sweep.deleted,
            "previews_deleted": sweep.previews_deleted,
        }
        if any(counts.values()):
            audit.record(actor=None, school=school, action="rosters.import_jobs.swept", data=counts)
    return sweep
