"""Subject access exports as stored, resumable work (DSR-2, DSR-9, SEC-1, SEC-2).

`export_start` records the request and queues the background task; the worker calls
`export_run`, which collects the person's data from the inventory (collect.py), builds
the zip (archive.py) and keeps it encrypted with the school's key, with progress saved
as it goes. `export_run` is idempotent and resumable: a ready archive is left alone,
a failed or interrupted one is built again from the start, and the same data gives
the same bytes (the access log is read as of the request, the zip has no build time).
Each claim is a conditional UPDATE, so two workers never build one archive at once.

A worker killed while it builds an archive (SIGKILL, the machine restarting) leaves the
export "running" with no archive, and its task claimed for ever (django-tasks-db runs a
task once): nothing is served meanwhile, since the archive and the ready state are
written in one transaction at the end. `exports_requeue_stalled` (the hourly sweep) puts
an export with no progress for STALE_MINUTES back in the queue with a new task, and a
worker builds it again from the start; after MAX_ATTEMPTS it is failed instead, so an
export that kills its worker every time is not tried for ever
(tests/core/test_worker_killed.py kills a real worker).

The archive can be downloaded (`export_download`) by the person who asked for it or
by the school's data protection lead until `expires_at` (`DOWNLOAD_DAYS` after it is
ready); each download is in the access log. `exports_expire` deletes the bytes of
every archive past its window (the hourly sweep runs it).
"""

import base64
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models, transaction
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.privacy.export import archive as zipper
from markbook.privacy.export.collect import collect, person_of
from markbook.privacy.models import ExportArchive
from markbook.rosters.models import Pupil
from markbook.schools.models import School

logger = logging.getLogger(__name__)

DOWNLOAD_DAYS = 7  # the download window (DSR-9)
# A running export with no progress for this long has stopped (its worker died).
STALE_MINUTES = 15
FAILED = (
    "The export stopped because of an error in Markbook. Start it again; nothing was "
    "sent to anyone."
)
# A stalled export is queued again this many attempts in all, then failed (STALLED).
MAX_ATTEMPTS = 3
STALLED = (
    "The export stopped before it finished, each time it was tried. Start it again; "
    "nothing was sent to anyone."
)


class ExportError(ValueError):
    """A request Markbook refuses, with a message saying why."""


class ExportUnavailable(Exception):
    """The archive cannot be downloaded: not ready yet, or its window has ended."""

    def __init__(self, message: str, *, gone: bool) -> None:
        super().__init__(message)
        self.gone = gone


EXPIRED = (
    "This export's download window has ended and the file has been deleted. Ask the "
    "school's data protection lead for a new one."
)
NOT_READY = "This export is not ready yet."


def _subject_kind(school: School, pupil: Pupil | None, user: User | None) -> str:
    if (pupil is None) == (user is None):
        raise ExportError("Name one person to export: a pupil, or a parent or member of staff.")
    if pupil is not None:
        if pupil.school_id != school.pk:
            raise ExportError("That pupil is not in this school.")
        return "pupil"
    assert user is not None
    roles = set(Membership.objects.filter(user=user, school=school).values_list("role", flat=True))
    if not roles:
        raise ExportError("That person is not a member of this school.")
    if roles & {"teacher", "school_admin", "dpo"}:
        return "staff"
    return "parent" if "parent" in roles else "pupil"


def _log_end(school: School) -> int:
    last = AuditEvent.objects.filter(school=school).aggregate(m=models.Max("seq"))["m"]
    return int(last or 0)


def export_start(
    *,
    school: School,
    requested_by: User | None,
    pupil: Pupil | None = None,
    user: User | None = None,
    request_id: int | None = None,
    enqueue: bool = True,
) -> ExportArchive:
    """Record an export of one person and queue its building (DSR-2). Refused with a
    clear message for someone not in the school, or for no one or two people."""
    kind = _subject_kind(school, pupil, user)
    with transaction.atomic():
        item = ExportArchive.objects.create(
            school=school,
            pupil=pupil,
            user=user,
            requested_by=requested_by,
            request_id=request_id,
            log_until=_log_end(school),
            created_at=timezone.now().replace(microsecond=0),
        )
        audit.record(
            actor=requested_by,
            school=school,
            action="privacy.export.started",
            target=item,
            data={
                "subject": kind,
                **_subject_ref(item),
                **({"request": request_id} if request_id else {}),
            },
        )
        if enqueue:
            export_enqueue(item)
    return item


def _subject_ref(item: ExportArchive) -> dict[str, int]:
    """Whose data, for the access log (it names them: describe.DATA_REFERENCES)."""
    if item.pupil_id is not None:
        return {"pupil": item.pupil_id}
    return {"person": item.user_id} if item.user_id is not None else {}


def export_enqueue(item: ExportArchive) -> None:
    """Queue the task that builds the archive; keep its id."""
    from markbook.privacy.tasks import run_export

    queued = run_export.enqueue(item.school_id, item.pk)
    item.task_id = str(queued.id)[:64]
    ExportArchive.objects.filter(pk=item.pk).update(task_id=item.task_id)


def _about(item: ExportArchive) -> dict[str, object]:
    subject: Pupil | User | None = item.pupil if item.pupil_id else item.user
    name = subject.display_name if subject is not None else ""
    return {
        "school": item.school.name,
        "subject_kind": "pupil" if item.pupil_id else "person",
        "subject_name": name,
        "requested_at": item.created_at.isoformat(),
        "requested_on": f"{item.created_at:%-d %B %Y}",
    }


def _claim(item: ExportArchive, now: datetime) -> bool:
    """queued, failed or stalled (running, no sign of life for STALE_MINUTES) -> running,
    for one worker only: a conditional UPDATE."""
    stale = now - timedelta(minutes=STALE_MINUTES)
    runnable = models.Q(state__in=[ExportArchive.State.QUEUED, ExportArchive.State.FAILED]) | (
        models.Q(state=ExportArchive.State.RUNNING, heartbeat_at__lt=stale)
    )
    return bool(
        ExportArchive.objects.filter(runnable, pk=item.pk).update(
            state=ExportArchive.State.RUNNING,
            error="",
            progress_done=0,
            attempts=models.F("attempts") + 1,
            heartbeat_at=now,
        )
    )


BEAT_SECONDS = 0.5  # progress is saved at most this often (and at the end)


def _beat(item: ExportArchive) -> Callable[[int, int], None]:
    """The progress callback of a run: saves progress, and the heartbeat, of this
    running export, at most every BEAT_SECONDS and when it reaches the total."""
    last = [0.0]

    def beat(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < BEAT_SECONDS:
            return
        last[0] = now
        ExportArchive.objects.filter(pk=item.pk, state=ExportArchive.State.RUNNING).update(
            progress_done=done, progress_total=total, heartbeat_at=timezone.now()
        )

    return beat


def export_run(archive_id: int) -> ExportArchive:
    """Build the archive of an export (the caller opens the school's scope). Idempotent:
    a ready or expired one is returned unchanged, and one another worker is building is
    left to it; a queued, failed or stalled one is built (again) from the start."""
    item = ExportArchive.objects.select_related("school", "pupil", "user").get(pk=archive_id)
    if item.state in (ExportArchive.State.READY, ExportArchive.State.EXPIRED):
        return item
    if not _claim(item, timezone.now()):
        item.refresh_from_db()
        return item
    try:
        person = person_of(school=item.school, pupil=item.pupil, user=item.user)
        person.log_until = item.log_until
        person.exclude = {"privacy.ExportArchive": {item.pk}}
        tables = collect(person, progress=_beat(item))
        data = zipper.build(tables, _about(item))
    except Exception:
        logger.exception("Export %s of school %s failed", item.pk, item.school_id)
        ExportArchive.objects.filter(pk=item.pk).update(
            state=ExportArchive.State.FAILED, error=FAILED
        )
        audit.record(
            actor=item.requested_by,
            school=item.school,
            action="privacy.export.failed",
            target=item,
        )
        item.refresh_from_db()
        return item
    ready = timezone.now()
    with transaction.atomic():
        item.archive = base64.b64encode(data).decode("ascii")
        item.size = len(data)
        item.digest = hashlib.sha256(data).hexdigest()
        item.state = ExportArchive.State.READY
        item.ready_at = ready
        item.expires_at = ready + timedelta(days=DOWNLOAD_DAYS)
        item.save(update_fields=["archive", "size", "digest", "state", "ready_at", "expires_at"])
        audit.record(
            actor=item.requested_by,
            school=item.school,
            action="privacy.export.ready",
            target=item,
            data={"rows": sum(len(t.rows) for t in tables), "bytes": len(data)},
        )
    item.refresh_from_db()
    return item


def exports_requeue_stalled(*, school: School, now: datetime | None = None) -> int:
    """Queue again this school's exports whose worker died while building them (DSR-2,
    DSR-9): running, with no progress saved for STALE_MINUTES. Each goes back to
    queued with a new task (a conditional UPDATE and the task in one transaction: a live
    build is left alone, and two sweeps queue it once); one already tried MAX_ATTEMPTS
    times is failed instead. How many were queued again. The caller opens the school's
    scope. Idempotent.

    An export made by a data-subject request is left to the request: the request shows
    as stalled, and trying it again builds the same export (rights.engines), so a sweep
    and a retry never race for it."""
    now = now or timezone.now()
    stale = models.Q(
        state=ExportArchive.State.RUNNING,
        heartbeat_at__lt=now - timedelta(minutes=STALE_MINUTES),
        request_id__isnull=True,
    )
    queued = 0
    for item in ExportArchive.objects.filter(stale).order_by("pk"):
        rows = ExportArchive.objects.filter(stale, pk=item.pk, attempts=item.attempts)
        with transaction.atomic():
            if item.attempts >= MAX_ATTEMPTS:
                if rows.update(state=ExportArchive.State.FAILED, error=STALLED):
                    _task_abandoned(item.task_id, now)
                    audit.record(
                        actor=None,
                        school=school,
                        action="privacy.export.failed",
                        target=item,
                        data={"attempts": item.attempts},
                    )
                continue
            if not rows.update(state=ExportArchive.State.QUEUED, progress_done=0):
                continue
            _task_abandoned(item.task_id, now)
            export_enqueue(item)
            queued += 1
    if queued:
        audit.record(
            actor=None,
            school=school,
            action="privacy.export.requeued",
            data={"archives": queued},
        )
    return queued


class WorkerStopped(Exception):
    """The worker running a task stopped (was killed) before the task finished."""


def _task_abandoned(task_id: str, now: datetime) -> None:
    """The dead worker's task, claimed and never finished (django-tasks-db leaves it
    running for ever): failed, so it counts as finished and is cleared like the rest."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    try:
        key = uuid.UUID(task_id)
    except ValueError:
        return  # not a django-tasks-db task (another backend), or none
    DBTaskResult.objects.filter(id=key, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{__name__}.{WorkerStopped.__qualname__}",
        traceback="The worker stopped before the task finished; the export was queued again.",
    )


def _per_school(work: Callable[..., int], now: datetime | None) -> dict[int, int]:
    """`work(school=, now=)` for every school not suspended, each in its own scope; its
    non-zero counts per school."""
    from markbook.schools.lifecycle import is_paused

    counts = {}
    for school in School.objects.order_by("pk"):
        if is_paused(school.pk):
            continue  # suspended: its background work waits until it is lifted (ACC-6)
        with school_scope(school):
            count = work(school=school, now=now)
        if count:
            counts[school.pk] = count
    return counts


def exports_requeue_stalled_all(now: datetime | None = None) -> dict[int, int]:
    """`exports_requeue_stalled` for every school not suspended; queued again per school."""
    return _per_school(exports_requeue_stalled, now)


def may_download(item: ExportArchive, *, user: User, is_dpo: bool) -> bool:
    """The person who asked for the export, or the school's data protection lead."""
    return is_dpo or (item.requested_by_id is not None and item.requested_by_id == user.pk)


@dataclass(frozen=True)
class Download:
    filename: str
    data: bytes


def export_download(*, item: ExportArchive, actor: User, now: datetime | None = None) -> Download:
    """The archive's bytes within its window, counted and recorded (DSR-9, SEC-1);
    ExportUnavailable otherwise (gone=True once the window has ended)."""
    now = now or timezone.now()
    if item.state == ExportArchive.State.EXPIRED or (
        item.expires_at is not None and item.expires_at <= now
    ):
        # Asked for after its window: deleted now rather than at the next sweep.
        ExportArchive.objects.filter(pk=item.pk, state=ExportArchive.State.READY).update(
            state=ExportArchive.State.EXPIRED, archive=None
        )
        raise ExportUnavailable(EXPIRED, gone=True)
    if item.state != ExportArchive.State.READY:
        raise ExportUnavailable(NOT_READY, gone=False)
    data = base64.b64decode(item.archive or "")
    with transaction.atomic():
        ExportArchive.objects.filter(pk=item.pk).update(downloads=models.F("downloads") + 1)
        audit.record(
            actor=actor,
            school=item.school_id,
            action="privacy.export.downloaded",
            target=item,
            data={"bytes": len(data), **_subject_ref(item)},
        )
    item.downloads += 1
    return Download(f"markbook-export-{item.created_at:%Y-%m-%d}-{item.pk}.zip", data)


def exports_expire(*, school: School, now: datetime | None = None) -> int:
    """Delete the archives of this school's exports past their window (DSR-9); how many.
    The caller opens the school's scope. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        due = ExportArchive.objects.filter(
            state=ExportArchive.State.READY, expires_at__lte=now
        ).select_for_update()
        ids = list(due.values_list("pk", flat=True))
        if not ids:
            return 0
        ExportArchive.objects.filter(pk__in=ids).update(
            state=ExportArchive.State.EXPIRED, archive=None
        )
        audit.record(
            actor=None,
            school=school,
            action="privacy.export.expired",
            data={"archives": len(ids)},
        )
    return len(ids)


def exports_expire_all(now: datetime | None = None) -> dict[int, int]:
    """`exports_expire` for every school not suspended; deleted per school."""
    return _per_school(exports_expire, now)
