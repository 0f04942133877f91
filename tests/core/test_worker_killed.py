"""A worker killed in the middle of its work (RET-4, DSR-2, DSR-9, SEC-1): real processes,
really killed with SIGKILL, against a database they share with the test.

- A retention run (`markbook retention_run`, as cron runs it) is killed after it has
  erased some of the pupils due: each person is erased wholly or not at all, the run's
  row keeps the counts of what it did erase, the next run (once the dead one is stale)
  marks it failed, writes its counts to the access log and erases the rest, each person
  exactly once; the counts in the access log add up to everyone due, and the chains
  verify.
- A subject access export being built by `markbook db_worker` is killed: no archive is
  served meanwhile, the hourly sweep queues it again once it is stale, a new worker
  builds it, and the archive holds exactly what a build from the same data holds.
- An MIS import being run by `markbook db_worker` is killed once it has begun (checking
  the file or writing it, ROS-2, ROS-4): nothing of it is written, the job keeps its encrypted upload and
  shows as stalled once silent for the stall time, the administrator's retry is run by
  a new worker, and every pupil of the file is there exactly once.

No slow-down hook: there is simply enough to do (many pupils due; an export of a pupil
with many marks), and the test waits, polling the database, until the work is under
way before killing it. On SQLite the test's in-memory database is copied to a file
that both the test and the processes use (`shared_db`); on PostgreSQL the processes
connect to the test database itself. The processes skip Django's system checks
(`--skip-checks`: seconds of start-up, nothing to do with the work); what runs after a
kill where the process is not the point (the next hourly sweep) runs in the test's own
process.
"""

import base64
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.privacy.models import RetentionRun
from markbook.privacy.retention import engine
from markbook.privacy.retention import rules as R
from markbook.rosters.models import Enrolment, Pupil
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
MARKBOOK = [sys.executable, "-m", "markbook"]
# Only a guard against a test hanging for ever: no assertion is about time.
PATIENCE = 300

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_db(transactional_db, tmp_path, settings) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """The environment of a process that sees the test's database.

    SQLite: the test database is in memory, where no other process can see it. It is
    copied (migrated, empty) to a file, and this process's connection is pointed at the
    file for the test; the in-memory one is kept aside (closing it would destroy it)
    and put back afterwards. PostgreSQL: the test database as it is (the test's
    transactions are real ones)."""
    head_file = tmp_path / "audit-heads.log"
    settings.MARKBOOK_AUDIT_HEAD_FILE = str(head_file)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "markbook.settings",
        "MARKBOOK_AUDIT_HEAD_FILE": str(head_file),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("MARKBOOK_DEBUG", None)
    db = connection.settings_dict
    if connection.vendor != "sqlite":
        user = quote(db["USER"] or "", safe="")
        password = quote(db["PASSWORD"] or "", safe="")
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        env["DATABASE_URL"] = f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"
        yield env
        return
    path = tmp_path / "markbook.sqlite3"
    connection.ensure_connection()
    memory = connection.connection
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    name = db["NAME"]
    db["NAME"] = str(path)
    connection.connection = None  # the next query opens the file (WAL, as in production)
    env["DATABASE_URL"] = f"sqlite:///{path}"
    try:
        yield env
    finally:
        connection.close()
        db["NAME"] = name
        connection.connection = memory


@pytest.fixture
def spawn(shared_db) -> Iterator[Callable[..., subprocess.Popen[str]]]:  # type: ignore[no-untyped-def]
    """Start a `markbook` command in a process of its own, seeing the test's database;
    one the test has not killed by its end (it failed first) is killed then."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [*MARKBOOK, *args],
            cwd=ROOT,
            env=shared_db,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=PATIENCE)
        if proc.stdout:
            proc.stdout.close()


def _run(env: dict[str, str], *args: str) -> str:
    """Run a command in a process of its own, to its end."""
    done = subprocess.run(
        [*MARKBOOK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=PATIENCE
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _here(*args: str) -> str:
    """Run a command in this process (the same database): what cron runs next, where
    the process is not what the test is about (it spares a start-up)."""
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _wait_until(proc: subprocess.Popen[str], ready: Callable[[], bool], what: str) -> None:
    """Poll the database until `ready()`; fail if the process ends first (it finished
    or broke before the point the test kills it at)."""
    give_up = time.monotonic() + PATIENCE
    while not ready():
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"the process ended (status {proc.returncode}) before {what}:\n{out}")
        if time.monotonic() > give_up:
            proc.kill()
            pytest.fail(f"still not {what} after {PATIENCE} s")
        time.sleep(0.02)


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=PATIENCE)
    assert proc.returncode == -signal.SIGKILL


def _verify_chains() -> None:
    """The access log's chains verify, and match the heads written along the way
    (`audit_heads_write`, as cron runs it): a broken one raises CommandError."""
    _here("audit_heads_write")
    assert _here("audit_verify").startswith("ok: ")


# --- A retention run (RET-4) -------------------------------------------------------

LEAVERS = 12


def _school_with_leavers() -> tuple[Any, list[int], Pupil]:
    """A school with LEAVERS pupils who left two years ago (due under the one-year
    rule), each with an account and a class, and one pupil still on roll."""
    with all_schools():
        school = f.SchoolFactory(name="Oakfield Academy")
        teacher = f.member(school, Membership.Role.TEACHER, email="teacher@oakfield.sch.uk")
        stays = f.pupil_with_account(school, first_name="Sam", last_name="Stays", username="sam")
        leavers = [f.pupil_with_account(school, username=f"left.{n}") for n in range(LEAVERS)]
        f.teaching_class(school, "7A Maths", teachers=[teacher], pupils=[stays, *leavers])
    ids = [p.pk for p in leavers]
    with school_scope(school):
        Pupil.objects.filter(pk__in=ids).update(
            status=Pupil.Status.LEFT, left_on=timezone.localdate() - timedelta(days=730)
        )
    return school, ids, stays


def _wholly_or_not_at_all(school: Any, ids: list[int], accounts: dict[int, int]) -> set[int]:
    """The leavers erased: each is gone with their account, membership and enrolment, or
    has all of them, never some. Each erased one has one erasure record."""
    with school_scope(school):
        pupils = set(Pupil.objects.filter(pk__in=ids).values_list("pk", flat=True))
        enrolled = set(
            Enrolment.objects.filter(pupil_id__in=ids).values_list("pupil_id", flat=True)
        )
        members = set(
            Membership.objects.filter(user_id__in=accounts.values()).values_list(
                "user_id", flat=True
            )
        )
        erasures = AuditEvent.objects.filter(action="privacy.erasure.done").count()
    with all_schools():
        users = set(User.objects.filter(pk__in=accounts.values()).values_list("pk", flat=True))
    for pk in ids:
        there = [pk in pupils, pk in enrolled, accounts[pk] in users, accounts[pk] in members]
        assert all(there) or not any(there), f"pupil {pk} half erased: {there}"
    gone = set(ids) - pupils
    assert erasures == len(gone)  # each erased once
    return gone


def _deleted_in_log(school: Any) -> int:
    """Pupils who left, as the access log's retention records count them."""
    with school_scope(school):
        events = AuditEvent.objects.filter(action__startswith="privacy.retention.")
        return sum(int(e.data.get("deleted", {}).get(R.PUPILS_LEFT, 0)) for e in events)


def test_a_retention_run_killed_midway_is_finished_by_the_next_without_loss(spawn):
    school, ids, stays = _school_with_leavers()
    with all_schools():
        accounts = dict(Pupil.objects.filter(pk__in=ids).values_list("pk", "user_id"))

    def under_way() -> bool:
        with school_scope(school):
            return RetentionRun.objects.filter(
                state=RetentionRun.State.RUNNING, progress_done__gte=3
            ).exists()

    proc = spawn("markbook_import_jobs_sweep", "--skip-checks")  # the hourly sweep, from cron
    _wait_until(proc, under_way, "three pupils were erased")
    _kill(proc)

    gone = _wholly_or_not_at_all(school, ids, accounts)
    assert 3 <= len(gone) < LEAVERS  # killed midway
    _verify_chains()
    with school_scope(school):
        dead = RetentionRun.objects.get()
    assert dead.state == RetentionRun.State.RUNNING  # nobody said it ended
    # What it erased is recorded, though it never finished (RET-4).
    assert dead.counts[R.PUPILS_LEFT] == len(gone)
    assert dead.progress_done == len(gone)

    # While it looks alive the next run waits; once stale it is marked failed.
    out = _here("retention_run", "--school", str(school.pk))
    assert "skipped" in out and "Another retention run" in out
    with school_scope(school):
        RetentionRun.objects.filter(pk=dead.pk).update(
            heartbeat_at=timezone.now() - engine.STALE - timedelta(minutes=1)
        )
    out = _here("markbook_import_jobs_sweep")  # the next hour's
    assert f"deleted pupils left: {LEAVERS - len(gone)}" in out

    assert _wholly_or_not_at_all(school, ids, accounts) == set(ids)  # all gone, once each
    with school_scope(school):
        dead.refresh_from_db()
        assert dead.state == RetentionRun.State.FAILED
        assert dead.counts[R.PUPILS_LEFT] == len(gone)
        last = RetentionRun.objects.exclude(pk=dead.pk).get(state=RetentionRun.State.DONE)
        assert last.counts[R.PUPILS_LEFT] == LEAVERS - len(gone)
        assert Pupil.objects.filter(pk=stays.pk).exists()
    assert _deleted_in_log(school) == LEAVERS  # the access log adds up
    with school_scope(school):
        stopped = AuditEvent.objects.get(action="privacy.retention.stopped")
    assert stopped.data["deleted"][R.PUPILS_LEFT] == len(gone)
    _verify_chains()


# --- A subject access export (DSR-2, DSR-9) ----------------------------------------

MARKS = 20_000  # a pupil's marks: enough that building the archive takes a while


def _marks(school: Any, teaching_class: Any, pupil: Pupil, teacher: User) -> None:
    """MARKS assignments of the class, each with a mark of the pupil's, written by SQL
    copies of a first one (the ORM would take longer than the export)."""
    from markbook.assessment.models import Assignment, Mark

    with school_scope(school):
        first = Assignment.objects.create(
            school=school, teaching_class=teaching_class, title="Test 0", max_mark=20
        )
        mark = Mark.objects.create(
            school=school,
            assignment=first,
            pupil=pupil,
            score=7,
            feedback="Good work on fractions; check the signs.",
            updated_by=teacher,
        )
        a, m = Assignment._meta.db_table, Mark._meta.db_table
        columns = [f.column for f in Assignment._meta.concrete_fields if not f.primary_key]
        chosen = [("'Test ' || n" if c == "title" else f"a.{c}") for c in columns]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {a} ({', '.join(columns)}) "
                "WITH RECURSIVE counter(n) AS "
                "(SELECT 1 UNION ALL SELECT n + 1 FROM counter WHERE n < %s) "
                f"SELECT {', '.join(chosen)} FROM {a} a, counter WHERE a.id = %s",
                [MARKS - 1, first.pk],
            )
            columns = [f.column for f in Mark._meta.concrete_fields if not f.primary_key]
            chosen = [("a.id" if c == "assignment_id" else f"m.{c}") for c in columns]
            cursor.execute(
                f"INSERT INTO {m} ({', '.join(columns)}) "
                f"SELECT {', '.join(chosen)} FROM {m} m, {a} a "
                "WHERE m.id = %s AND a.teaching_class_id = %s AND a.id <> %s",
                [mark.pk, teaching_class.pk, first.pk],
            )
        assert Mark.objects.filter(pupil=pupil).count() == MARKS


def _school_with_amy_and_marks() -> tuple[Any, User, Pupil]:
    """A school with its data protection lead and Amy, who has MARKS marks: enough
    that building her export takes a while."""
    with all_schools():
        school = f.SchoolFactory(name="Oakfield Academy")
        lead = f.member(school, Membership.Role.DPO, email="dpo@oakfield.sch.uk")
        teacher = f.member(school, Membership.Role.TEACHER, email="teacher@oakfield.sch.uk")
        amy = f.pupil_with_account(school, first_name="Amy", last_name="Adams", username="amy")
        class_7a = f.teaching_class(school, "7A Maths", teachers=[teacher], pupils=[amy])
    _marks(school, class_7a, amy, teacher)
    return school, lead, amy


def test_an_export_whose_worker_is_killed_is_built_again_whole(spawn, shared_db):
    from django.tasks import TaskResultStatus
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    from markbook.privacy.export import archive as zipper
    from markbook.privacy.export import services as exports
    from markbook.privacy.export.collect import collect, person_of
    from markbook.privacy.models import ExportArchive

    school, lead, amy = _school_with_amy_and_marks()
    with school_scope(school):
        item = exports.export_start(school=school, requested_by=lead, pupil=amy)
    first_task = item.task_id

    def claimed() -> bool:
        with school_scope(school):
            return ExportArchive.objects.filter(
                pk=item.pk, state=ExportArchive.State.RUNNING, progress_done__gt=0
            ).exists()

    # As the systemd unit runs it (docs/deployment.md); never reloading (a reloading
    # worker runs its tasks in a child process, which SIGKILL would not reach).
    worker = spawn("db_worker", "--skip-checks", "--no-reload", "--no-startup-delay")
    _wait_until(worker, claimed, "the worker was building the export")
    _kill(worker)

    with school_scope(school):
        item.refresh_from_db()
    assert item.state == ExportArchive.State.RUNNING  # killed while building
    assert 0 < item.progress_done < item.progress_total
    assert (item.archive, item.size, item.digest, item.ready_at) == (None, 0, "", None)
    client = Client()
    client.force_login(lead)
    download_url = reverse(
        "school_privacy:download", kwargs={"school_id": school.pk, "export_id": item.pk}
    )
    answer = client.get(download_url)
    assert answer.status_code == 409 and exports.NOT_READY in answer.content.decode()
    with school_scope(school):
        assert not AuditEvent.objects.filter(action="privacy.export.ready").exists()
    _verify_chains()

    # The sweep leaves it while it may still be alive; once stale, it queues it again.
    out = _here("markbook_import_jobs_sweep")
    assert "stalled subject access exports queued again: 0" in out
    with school_scope(school):
        ExportArchive.objects.filter(pk=item.pk).update(
            heartbeat_at=timezone.now() - timedelta(minutes=exports.STALE_MINUTES + 1)
        )
    out = _here("markbook_import_jobs_sweep")
    assert "stalled subject access exports queued again: 1" in out
    with school_scope(school):
        item.refresh_from_db()
    assert item.state == ExportArchive.State.QUEUED and item.task_id != first_task
    assert DBTaskResult.objects.get(id=first_task).status == TaskResultStatus.FAILED

    # A new worker (systemd restarts it), here one that stops when the queue is empty.
    _run(shared_db, "db_worker", "--skip-checks", "--no-reload", "--batch", "--no-startup-delay")

    with school_scope(school):
        item.refresh_from_db()
        assert item.state == ExportArchive.State.READY, item.error
        assert item.attempts == 2
        assert AuditEvent.objects.filter(action="privacy.export.ready").count() == 1
        # Whole: the very bytes a build from the same data gives.
        person = person_of(school=school, pupil=amy)
        person.log_until = item.log_until
        person.exclude = {"privacy.ExportArchive": {item.pk}}
        expected = zipper.build(collect(person), exports._about(item))
    download = client.get(download_url)
    assert download.status_code == 200
    data = b"".join(download.streaming_content) if download.streaming else download.content
    assert data == expected
    assert hashlib.sha256(data).hexdigest() == item.digest and len(data) == item.size
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        marks = json.loads(archive.read("json/assessment-mark.json"))["rows"]
    assert len(marks) == MARKS
    _verify_chains()


def test_an_access_request_whose_worker_is_killed_is_finished_whole_once(spawn, shared_db):
    """DSR-9: a parent's subject access request, approved, is being carried out (its
    export being built) when the worker is killed. The request stays in progress, then
    shows as stalled; the lead tries it again and a new worker finishes it with the same
    export, built whole once, not a second one."""
    from markbook.privacy.export import services as exports
    from markbook.privacy.models import ExportArchive
    from markbook.rights import services as rights
    from markbook.rights.models import DataRequest

    stage = DataRequest.Stage
    school, lead, amy = _school_with_amy_and_marks()
    with all_schools():
        parent = f.UserFactory(email="parent@example.com")
        f.link_parent(parent, amy)
    with school_scope(school):
        request = rights.data_request_create(
            actor=parent,
            school=school,
            kind="access",
            subject_pupil=amy,
            requester_kind="parent",
            requester_user=parent,
            channel="own_page",
            details="A copy of Amy's data, please.",
        )
        rights.data_request_check_identity(actor=lead, data_request=request, method="signed_in")
        request = rights.data_request_approve(actor=lead, data_request=request)

    def building() -> bool:
        with school_scope(school):
            return ExportArchive.objects.filter(
                request_id=request.pk, state=ExportArchive.State.RUNNING, progress_done__gt=0
            ).exists()

    worker = spawn("db_worker", "--skip-checks", "--no-reload", "--no-startup-delay")
    _wait_until(worker, building, "the worker was building the request's export")
    _kill(worker)

    with school_scope(school):
        request.refresh_from_db()
        [item] = ExportArchive.objects.filter(request_id=request.pk)
    assert request.stage == stage.IN_PROGRESS and not rights.is_stalled(request)
    assert request.checkpoint == {"export": item.pk}  # what the next attempt picks up
    assert item.archive is None and item.ready_at is None
    with pytest.raises(ValidationError, match="failed or stalled"), school_scope(school):
        rights.data_request_retry(actor=lead, data_request=request)

    # Silent for the stall time, it shows as stalled and the lead tries it again.
    later = timezone.now() - timedelta(minutes=rights.STALL_MINUTES + 1)
    with school_scope(school):
        DataRequest.objects.filter(pk=request.pk).update(updated_at=later)
        ExportArchive.objects.filter(pk=item.pk).update(
            heartbeat_at=timezone.now() - timedelta(minutes=exports.STALE_MINUTES + 1)
        )
        request.refresh_from_db()
        assert rights.is_stalled(request)
    # The hourly sweep leaves the request's export to the request.
    assert "stalled subject access exports queued again: 0" in _here("markbook_import_jobs_sweep")
    with school_scope(school):
        request = rights.data_request_retry(actor=lead, data_request=request)
    assert request.stage == stage.APPROVED and request.attempt == 2
    _run(shared_db, "db_worker", "--skip-checks", "--no-reload", "--batch", "--no-startup-delay")

    with school_scope(school):
        request.refresh_from_db()
        assert request.stage == stage.DONE, request.error
        [item] = ExportArchive.objects.filter(request_id=request.pk)  # still the one
        assert item.state == ExportArchive.State.READY and request.result["export"] == item.pk
        assert item.attempts == 2
        assert AuditEvent.objects.filter(action="privacy.export.ready").count() == 1
        assert AuditEvent.objects.filter(action="rights.request.started").count() == 2
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(item.archive))) as archive:
        assert archive.testzip() is None
        marks = json.loads(archive.read("json/assessment-mark.json"))["rows"]
    assert len(marks) == MARKS
    _verify_chains()


# --- An MIS import (ROS-2, ROS-4) --------------------------------------------------

IMPORTED = 2_000  # pupils in the file: enough that the worker is killed before it commits


def test_an_import_whose_worker_is_killed_writes_nothing_and_its_retry_imports_whole(
    spawn, shared_db
):
    from markbook.rosters.imports.jobs import import_job_create
    from markbook.rosters.imports.stalled import import_job_retry
    from markbook.rosters.models import ImportJob, stall_cutoffs

    with all_schools():
        school = f.SchoolFactory(name="Oakfield Academy")
        admin = f.member(school, Membership.Role.SCHOOL_ADMIN, email="admin@oakfield.sch.uk")
    rows = "".join(f"Pupil{n},Test,A{n:05d},7\n" for n in range(IMPORTED))
    data = ("Surname,Forename,Admission No,Year\n" + rows).encode()
    with school_scope(school):
        job = import_job_create(
            actor=admin, school=school, kind=ImportJob.Kind.MIS, data=data, filename="mis.csv"
        )

    def begun() -> bool:
        with school_scope(school):
            return ImportJob.objects.filter(
                pk=job.pk, status=ImportJob.Status.RUNNING, progress_done__gt=0
            ).exists()

    worker = spawn("db_worker", "--skip-checks", "--no-reload", "--no-startup-delay")
    _wait_until(worker, begun, "the worker had begun the import")
    _kill(worker)

    with school_scope(school):
        job.refresh_from_db()
        assert not Pupil.objects.exists()  # nothing of the file was written
    # Killed while checking the file or writing it (the writing's progress is inside its
    # transaction, so the last progress seen is at most all rows checked).
    assert job.status == ImportJob.Status.RUNNING and 0 < job.progress_done <= IMPORTED
    assert job.upload_kept and not job.stalled  # silent, but not yet for the stall time
    _verify_chains()

    # Silent for longer than the stall time: the job page offers the retry.
    running_cutoff = stall_cutoffs(timezone.now())[ImportJob.Status.RUNNING]
    with school_scope(school):
        ImportJob.objects.filter(pk=job.pk).update(
            heartbeat_at=running_cutoff - timedelta(minutes=1)
        )
        job.refresh_from_db()
        assert job.stalled
        job = import_job_retry(actor=admin, job=job)
    assert (job.status, job.attempt) == (ImportJob.Status.QUEUED, 2)

    # A new worker (systemd restarts it), here one that stops when the queue is empty.
    _run(shared_db, "db_worker", "--skip-checks", "--no-reload", "--batch", "--no-startup-delay")

    with school_scope(school):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, job.error
        assert job.summary["added"] == IMPORTED and not job.upload_kept
        numbers = list(Pupil.objects.values_list("mis_id", flat=True))
        assert AuditEvent.objects.filter(action="rosters.import.retried").count() == 1
    assert sorted(numbers) == [f"A{n:05d}" for n in range(IMPORTED)]  # each once
    _verify_chains()
