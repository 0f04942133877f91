"""Stalled background imports (ROS-2, ROS-4, SEC-1, SEC-2): the heartbeat, the stall
rule, the page that says so, retry and cancel (services and pages), and runs that
never overlap. The sweep command: tests/rosters/test_import_jobs_sweep.py."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from markbook.core.tenancy import school_scope
from markbook.rosters.imports import jobs, mis, stalled
from markbook.rosters.models import ImportJob, stall_cutoffs
from tests import factories as f
from tests.conftest import World
from tests.rosters.conftest import actions
from tests.rosters.test_import_jobs import (
    fetch,
    job_url,
    mis_ids,
    queue,
    raw_upload,
    run_worker,
    set_state,
)

RUNNING, QUEUED = ImportJob.Status.RUNNING, ImportJob.Status.QUEUED


def tasks_of(job: ImportJob) -> list[tuple[list, str]]:
    """(args, status) of every task queued for the job, oldest first."""
    rows = DBTaskResult.objects.order_by("enqueued_at")
    return [(r.args_kwargs["args"], r.status) for r in rows if r.args_kwargs["args"][1] == job.pk]


def stall(job: ImportJob, status: str = RUNNING) -> None:
    """What a worker that died (running) or never came (queued) leaves behind."""
    set_state(job, status=status, heartbeat_at=stall_cutoffs(timezone.now())[status] - timedelta(1))


def meanwhile(monkeypatch, after_write: bool, **changes) -> None:  # type: ignore[no-untyped-def]
    """While the worker runs, someone changes the job (a retry, a cancel): before its
    first progress save, or only once it has written (its last one, done == total)."""
    real = jobs._progress

    def progress(job):  # type: ignore[no-untyped-def]
        report = real(job)

        def interfered(done: int, total: int, stage: str = "") -> None:
            if done == total or not after_write:
                ImportJob.objects.filter(pk=job.pk).update(**changes)
            report(done, total, stage)

        return interfered

    monkeypatch.setattr(jobs, "_progress", progress)


def run_now(job: ImportJob) -> ImportJob:
    with school_scope(job.school_id):
        return jobs.import_job_run(job=ImportJob.objects.get(pk=job.pk))


# --- the heartbeat and the rule ------------------------------------------------------------


def test_claim_and_each_progress_save_a_heartbeat(world: World, monkeypatch):
    monkeypatch.setattr(mis, "PROGRESS_EVERY", 1)
    beats: list = []
    real = jobs._progress

    def spy(job):  # type: ignore[no-untyped-def]
        report = real(job)

        def wrapped(done: int, total: int, stage: str = "") -> None:
            before = ImportJob.objects.values_list("heartbeat_at", flat=True).get(pk=job.pk)
            report(done, total, stage)
            beats.append((before, ImportJob.objects.get(pk=job.pk).heartbeat_at))

        return wrapped

    monkeypatch.setattr(jobs, "_progress", spy)
    job = queue(world)
    queued_at = fetch(job).heartbeat_at
    run_worker()
    done = fetch(job)
    assert done.status == "done" and done.attempt == 1
    assert queued_at <= done.started_at == beats[0][0]  # claimed: a heartbeat
    # Three rows checked, the pupils written, the rows imported (ROS-2).
    assert len(beats) == 5 and all(before <= after for before, after in beats)
    assert [after for _, after in beats] == sorted(after for _, after in beats)
    assert done.heartbeat_at >= beats[-1][1]


@pytest.mark.parametrize(
    ("status", "idle", "stalled_"),
    [
        (RUNNING, timedelta(minutes=14), False),
        (RUNNING, timedelta(minutes=16), True),
        (QUEUED, timedelta(minutes=119), False),
        (QUEUED, timedelta(minutes=121), True),
        (ImportJob.Status.DONE, timedelta(days=30), False),
        (ImportJob.Status.FAILED, timedelta(days=30), False),
    ],
)
def test_stalled_after_15_minutes_running_or_2_hours_queued(
    world: World, status: str, idle: timedelta, stalled_: bool
):
    """The defaults (settings.py): and the property and the filter agree."""
    job = queue(world)
    set_state(job, status=status, heartbeat_at=timezone.now() - idle)
    with school_scope(world.a):
        job = ImportJob.objects.get(pk=job.pk)
        assert job.stalled is stalled_
        assert ImportJob.objects.filter(ImportJob.stalled_q(timezone.now())).exists() is stalled_


@override_settings(MARKBOOK_IMPORT_STALL_MINUTES=60, MARKBOOK_IMPORT_QUEUE_HOURS=24)
def test_the_cutoffs_are_settings(world: World):
    job = queue(world)
    set_state(job, status=RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=30))
    assert not fetch(job).stalled
    set_state(job, status=QUEUED, heartbeat_at=timezone.now() - timedelta(hours=3))
    assert not fetch(job).stalled
    set_state(job, heartbeat_at=timezone.now() - timedelta(hours=25))
    assert fetch(job).stalled


# --- the page ------------------------------------------------------------------------------


def test_page_of_a_stalled_job_says_so_stops_polling_and_offers_retry_and_cancel(
    client_for, world: World
):
    job = queue(world)
    stall(job)
    client = client_for("admin")
    for page in (
        client.get(job_url(world, job)).content.decode(),
        client.get(job_url(world, job), HTTP_HX_REQUEST="true").content.decode(),
    ):
        assert 'role="alert"' in page and "The import stopped responding" in page
        assert "Nothing was written" in page and "Retry it, or cancel it" in page
        assert "hx-trigger" not in page  # the polling stops
        assert "Retry the import" in page and "Cancel the import" in page
        assert 'name="attempt" value="1"' in page
        assert reverse("rosters:import_job_retry", args=[world.a.pk, job.pk]) in page


def test_page_of_a_job_queued_for_hours_says_no_worker_started_it(client_for, world: World):
    job = queue(world)
    stall(job, QUEUED)
    page = client_for("trust_admin").get(job_url(world, job)).content.decode()
    assert "The import has not started" in page and "background worker" in page
    assert "hx-trigger" not in page and "Retry the import" in page


def test_stalled_job_without_its_file_can_only_be_cancelled(client_for, world: World):
    job = f.stalled_import_job(world.a, actor=world.admin, data=None)
    page = client_for("admin").get(job_url(world, job)).content.decode()
    assert "Its file has been deleted" in page
    assert "Cancel the import" in page and "Retry the import" not in page


def test_a_job_that_is_merely_slow_still_polls(client_for, world: World):
    job = queue(world)
    set_state(job, status=RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=5))
    page = client_for("admin").get(job_url(world, job)).content.decode()
    assert 'hx-trigger="every 1s"' in page and "Importing." in page
    assert "Retry the import" not in page


def test_polling_a_healthy_job_never_reads_its_file(client_for, world: World):
    """A progress page polls every second: it leaves the (large, encrypted) file in the
    database unless the job is stalled and the page offers a retry (SEC-2)."""
    job = queue(world)
    client = client_for("admin")
    with CaptureQueriesContext(connection) as polled:
        client.get(job_url(world, job), HTTP_HX_REQUEST="true")
    assert not [q for q in polled if '"upload"' in q["sql"]]
    stall(job)
    with CaptureQueriesContext(connection) as stalled_page:
        client.get(job_url(world, job), HTTP_HX_REQUEST="true")
    assert len([q for q in stalled_page if '"upload"' in q["sql"]]) == 1


def test_recent_imports_show_a_stalled_job_as_stalled(client_for, world: World):
    job = queue(world)
    stall(job)
    page = client_for("admin").get(reverse("rosters:mis_upload", args=[world.a.pk]))
    assert "<td>Stalled</td>" in page.content.decode()
    assert [j.pk for j in page.context["recent_jobs"]] == [job.pk]


# --- retry -----------------------------------------------------------------------------------


def post_action(client, world: World, job: ImportJob, action: str, attempt: int = 1):  # type: ignore[no-untyped-def]
    url = reverse(f"rosters:import_job_{action}", args=[world.a.pk, job.pk])
    return client.post(url, {"attempt": attempt}, follow=True)


def test_admin_retries_a_stalled_job_and_the_worker_runs_it_once(client_for, world: World):
    job = queue(world)
    stall(job)
    page = post_action(client_for("admin"), world, job, "retry")
    assert page.redirect_chain == [(job_url(world, job), 302)]
    html = page.content.decode()
    assert "The import is queued again." in html and "Waiting to start" in html
    retried = fetch(job)
    assert (retried.status, retried.attempt, retried.started_at) == ("queued", 2, None)
    assert not retried.stalled and raw_upload(retried)
    [event] = actions(world.a, "rosters.import.retried")
    assert (event.actor_id, event.data) == (world.admin.pk, {"kind": "mis", "attempt": 2})
    assert [args for args, _ in tasks_of(job)] == [[world.a.pk, job.pk, 1], [world.a.pk, job.pk, 2]]

    run_worker()
    done = fetch(job)
    assert done.status == "done" and done.attempt == 2 and raw_upload(done) is None
    assert mis_ids(world.a) == {"A001", "A002", "A003"}
    # The first attempt's task, delivered at last, found its attempt replaced: it did nothing.
    assert len(actions(world.a, "rosters.import.done")) == 1


def test_a_second_retry_of_the_same_attempt_changes_nothing(client_for, world: World):
    job = queue(world)
    stall(job)
    post_action(client_for("admin"), world, job, "retry")
    stall(job, QUEUED)  # stalled again, at attempt 2: a click on the old page names attempt 1
    page = post_action(client_for("trust_admin"), world, job, "retry").content.decode()
    assert "This import cannot be retried: it changed since you looked" in page
    assert fetch(job).attempt == 2 and len(tasks_of(job)) == 2
    assert len(actions(world.a, "rosters.import.retried")) == 1


def test_retry_refused_unless_stalled_with_the_file_kept(world: World):
    running = queue(world)
    set_state(running, status=RUNNING, heartbeat_at=timezone.now())
    finished = queue(world)
    set_state(finished, status="done", upload=None)
    gone = f.stalled_import_job(world.a, data=None)
    with school_scope(world.a):
        for job, why in [
            (running, "it is running and not stalled"),
            (finished, "it has finished (done)"),
            (gone, "its file has been deleted"),
        ]:
            with pytest.raises(stalled.ImportJobStateError, match=re.escape(why)):
                stalled.import_job_retry(actor=world.admin, job=ImportJob.objects.get(pk=job.pk))
    assert fetch(running).attempt == 1 and fetch(running).status == "running"
    assert actions(world.a, "rosters.import.retried") == []


def test_the_retry_is_a_conditional_update_on_the_attempt_seen(world: World):
    """Two administrators holding the same stalled job: one retry goes through."""
    job = queue(world)
    stall(job)
    with school_scope(world.a):
        first, second = ImportJob.objects.get(pk=job.pk), ImportJob.objects.get(pk=job.pk)
        stalled.import_job_retry(actor=world.admin, job=first)
        stall(job, QUEUED)  # even stalled again
        with pytest.raises(stalled.ImportJobStateError):
            stalled.import_job_retry(actor=world.trust_admin, job=second)
    assert fetch(job).attempt == 2 and len(tasks_of(job)) == 2


def test_a_replaced_attempt_stops_before_it_writes(world: World, monkeypatch):
    """The worker was only slow: it comes back after the retry, finds its attempt
    replaced at its next progress save, and stops without writing."""
    monkeypatch.setattr(mis, "PROGRESS_EVERY", 1)
    meanwhile(monkeypatch, after_write=False, attempt=2, status=QUEUED)
    after = run_now(queue(world))
    assert (after.status, after.attempt) == ("queued", 2) and raw_upload(after)
    assert mis_ids(world.a) == set()
    assert actions(world.a, "rosters.import.done") == []


def test_an_attempt_replaced_after_it_wrote_leaves_the_job_to_the_retry(world: World, monkeypatch):
    """The one window left (imports/stalled.py): silent while writing, retried meanwhile.
    Its outcome is logged, not recorded over the retry; re-importing changes nothing."""
    meanwhile(monkeypatch, after_write=True, attempt=2, status=QUEUED)
    job = queue(world)
    after = run_now(job)
    assert (after.status, after.attempt) == ("queued", 2)
    [event] = actions(world.a, "rosters.import.superseded")
    assert event.data["attempt"] == 1 and event.data["added"] == 3
    monkeypatch.undo()
    again = run_now(job)
    assert again.status == "done" and again.summary["added"] == 0
    assert again.summary["unchanged"] == 3


def test_admin_cancels_a_stalled_job_its_file_is_deleted(client_for, world: World):
    job = queue(world)
    stall(job)
    html = post_action(client_for("trust_admin"), world, job, "cancel").content.decode()
    assert "The import is cancelled; its file is deleted." in html
    assert "The import failed." in html and "Cancelled by an administrator" in html
    cancelled = fetch(job)
    assert cancelled.status == "failed" and cancelled.error == stalled.CANCELLED
    assert raw_upload(cancelled) is None and cancelled.finished_at
    [event] = actions(world.a, "rosters.import.cancelled")
    assert event.actor_id == world.trust_admin.pk
    assert event.data == {"kind": "mis", "attempt": 1, "was": "running"}
    run_worker()  # its task, if a worker ever comes, does nothing
    assert fetch(job).status == "failed" and mis_ids(world.a) == set()


def test_cancel_refused_for_a_job_that_is_not_stalled(client_for, world: World):
    job = queue(world)
    html = post_action(client_for("admin"), world, job, "cancel").content.decode()
    assert "This import cannot be cancelled: it is queued and not stalled." in html
    assert fetch(job).status == "queued" and raw_upload(fetch(job))
    assert actions(world.a, "rosters.import.cancelled") == []


def test_a_cancelled_job_whose_worker_was_only_writing_records_what_happened(
    world: World, monkeypatch
):
    """Cancelled while its attempt was silently writing: the import did happen, and
    the job says so rather than "nothing was written"."""
    meanwhile(monkeypatch, after_write=True, status="failed", error=stalled.CANCELLED, upload=None)
    after = run_now(queue(world))
    assert after.status == "done" and after.error == "" and after.summary["added"] == 3


@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_get_is_not_allowed_and_other_schools_get_404(client_for, world: World, action: str):
    job = f.stalled_import_job(world.a, actor=world.admin)
    url = reverse(f"rosters:import_job_{action}", args=[world.a.pk, job.pk])
    assert client_for("admin").get(url).status_code == 405
    # School B's administrator, through their own school's address: no such job.
    own = reverse(f"rosters:import_job_{action}", args=[world.b.pk, job.pk])
    assert client_for("other_admin").post(own, {"attempt": 1}).status_code == 404
    assert fetch(job).status == "running" and fetch(job).attempt == 1
