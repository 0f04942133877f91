"""`markbook_import_jobs_sweep` (ROS-2, ROS-4, RET-1, RET-4, SEC-1, SEC-2): stalled jobs
failed and their files deleted, files finished jobs still hold deleted, previewed
uploads deleted after an hour, job records deleted after 365 days; school by school in each school's scope; counts, never
contents, in each school's access log; a dry run lists and changes nothing; a
second run finds nothing to do."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from markbook.core.tenancy import school_scope
from markbook.rosters.imports import stalled
from markbook.rosters.imports.jobs import import_preview_keep
from markbook.rosters.models import ImportJob
from tests import factories as f
from tests.conftest import World
from tests.rosters.conftest import actions
from tests.rosters.test_import_jobs import fetch, queue, raw_upload, run_worker, set_state

SWEPT = "rosters.import_jobs.swept"


def sweep(*args: str) -> str:
    out = io.StringIO()
    call_command("markbook_import_jobs_sweep", *args, stdout=out)
    return out.getvalue()


def preview(world: World, actor) -> ImportJob:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return import_preview_keep(
            actor=actor, school=world.a, kind="mis", data=b"a,b\n", filename="mis.csv"
        )


def exists(job: ImportJob) -> bool:
    with school_scope(job.school_id):
        return ImportJob.objects.filter(pk=job.pk).exists()


@pytest.fixture
def mess(world: World) -> dict[str, ImportJob]:
    """One of each: in School A a healthy queued job, a stalled running one, a stalled
    queued one, a finished job still holding its file (a crash between the import and
    blanking it, or a job from before blanking), a job of 366 days ago and one of 364,
    a previewed upload of 61 minutes ago and one of 59; in School B a stalled job."""
    now = timezone.now()
    jobs = {
        "healthy": queue(world),
        "stalled": f.stalled_import_job(world.a, actor=world.admin),
        "stalled_queued": f.stalled_import_job(world.a, actor=world.admin, status="queued"),
        "done_with_file": queue(world),
        "old": queue(world),
        "not_so_old": queue(world),
        "b_stalled": f.stalled_import_job(world.b, actor=world.other_admin),
        "old_preview": preview(world, world.admin),
        "preview": preview(world, world.teacher),
    }
    set_state(jobs["old_preview"], created_at=now - timedelta(minutes=61))
    set_state(jobs["preview"], created_at=now - timedelta(minutes=59))
    set_state(jobs["done_with_file"], status="done", finished_at=now)
    set_state(jobs["old"], status="done", upload=None, created_at=now - timedelta(days=366))
    set_state(jobs["not_so_old"], status="done", upload=None, created_at=now - timedelta(days=364))
    return jobs


def test_dry_run_lists_what_it_would_do_and_changes_nothing(world: World, mess):
    before = {name: (fetch(j).status, raw_upload(j)) for name, j in mess.items()}
    out = sweep("--dry-run")
    assert (
        f"school {world.a.pk} ({world.a.name}): 2 stalled, 1 files of finished imports, 1 expired"
        " records, 1 expired previews" in out
    )
    assert f"school {world.b.pk} ({world.b.name}): 1 stalled, 0 files" in out
    for name, verb in [
        ("stalled", "would fail"),
        ("stalled_queued", "would fail"),
        ("done_with_file", "would delete the file of"),
        ("old", "would delete"),
        ("b_stalled", "would fail"),
        ("old_preview", "would delete preview"),
    ]:
        assert f"  {verb} job {mess[name].pk} (" in out, name
    for name in ("healthy", "not_so_old", "preview"):
        assert f"job {mess[name].pk} (" not in out
    assert "mis.csv" not in out  # ids, kinds and states only: a file name may name someone
    assert out.endswith(
        "dry run, nothing changed: 3 stalled imports, 1 files of finished imports, "
        "1 expired import records, 1 expired previews\n"
    )
    assert {name: (fetch(j).status, raw_upload(j)) for name, j in mess.items()} == before
    assert actions(world.a, SWEPT) == [] and actions(world.b, SWEPT) == []


def test_real_run_acts_and_records_counts_per_school(world: World, mess):
    out = sweep()
    assert f"  failed job {mess['stalled'].pk} (" in out
    assert out.endswith(
        "done: 3 stalled imports, 1 files of finished imports, 1 expired import records, "
        "1 expired previews\n"
    )
    assert f"  deleted preview job {mess['old_preview'].pk} (" in out
    assert not exists(mess["old_preview"]) and exists(mess["preview"])
    for name in ("stalled", "stalled_queued", "b_stalled"):
        job = fetch(mess[name])
        assert job.status == "failed" and job.error == stalled.SWEPT, name
        assert raw_upload(job) is None and job.finished_at
    kept = fetch(mess["done_with_file"])
    assert kept.status == "done" and raw_upload(kept) is None
    assert not exists(mess["old"]) and exists(mess["not_so_old"])
    healthy = fetch(mess["healthy"])
    assert healthy.status == "queued" and raw_upload(healthy)
    [a] = actions(world.a, SWEPT)
    [b] = actions(world.b, SWEPT)
    assert (a.actor_id, a.data) == (
        None,
        {"failed": 2, "uploads_blanked": 1, "deleted": 1, "previews_deleted": 1},
    )
    assert b.data == {"failed": 1, "uploads_blanked": 0, "deleted": 0, "previews_deleted": 0}
    # The healthy job still runs.
    run_worker()
    assert fetch(mess["healthy"]).status == "done"
    assert fetch(mess["stalled_queued"]).status == "failed"  # its task found it failed


def test_second_run_does_nothing(world: World, mess):
    sweep()
    events = len(actions(world.a, SWEPT)) + len(actions(world.b, SWEPT))
    out = sweep()
    assert (
        "done: 0 stalled imports, 0 files of finished imports, 0 expired import records, "
        "0 expired previews" in out
    )
    assert "  failed" not in out and "  deleted" not in out
    assert len(actions(world.a, SWEPT)) + len(actions(world.b, SWEPT)) == events == 2
    assert "would" not in sweep("--dry-run").split("dry run")[0]


def test_one_school_only(world: World, mess):
    out = sweep("--school", str(world.b.pk))
    assert f"school {world.a.pk}" not in out and f"school {world.b.pk}" in out
    assert fetch(mess["stalled"]).status == "running"
    assert fetch(mess["b_stalled"]).status == "failed"
    with pytest.raises(CommandError, match="no school with id 0"):
        sweep("--school", "0")


def test_each_school_is_swept_in_its_own_scope(world: World, mess, monkeypatch):
    """TEN-4: the service sees only the school whose scope is open; it is never given
    every school at once."""
    seen: list[tuple[int, set[int]]] = []
    real = stalled.import_jobs_sweep

    def spy(*, school, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((school.pk, set(ImportJob.objects.values_list("school_id", flat=True))))
        return real(school=school, **kwargs)

    monkeypatch.setattr(
        "markbook.rosters.management.commands.markbook_import_jobs_sweep.import_jobs_sweep", spy
    )
    sweep()
    assert seen == [(world.a.pk, {world.a.pk}), (world.b.pk, {world.b.pk})]


def test_a_job_the_sweep_failed_cannot_be_retried_but_says_why(world: World, mess):
    sweep()
    with school_scope(world.a), pytest.raises(stalled.ImportJobStateError, match="finished"):
        stalled.import_job_retry(
            actor=world.admin, job=ImportJob.objects.get(pk=mess["stalled"].pk)
        )
