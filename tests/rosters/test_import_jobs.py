"""Background roster imports (ROS-2, ROS-4, TEN-4, SEC-2): queued -> running -> done or
failed, with progress; the upload kept only encrypted and only until the job has run;
the worker works in the job's school and nowhere else; the progress page."""

import base64
import re
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from markbook.core.tenancy import all_schools, school_scope
from markbook.rosters.imports import jobs, mis
from markbook.rosters.models import ImportJob, Pupil
from tests import factories as f
from tests.conftest import World
from tests.rosters.test_mis_import import GOOD, UPN1, post, upn


def run_worker() -> None:
    """What `markbook db_worker` does, once over every queued task, in this thread."""
    # The worker closes stale connections between tasks; in a test that would end the
    # test's transaction on PostgreSQL (Django's test client skips it the same way).
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)


def queue(world: World, data: bytes = GOOD, school=None, actor=None, **options):  # type: ignore[no-untyped-def]
    school = school or world.a
    with school_scope(school):
        return jobs.import_job_create(
            actor=actor or world.admin,
            school=school,
            kind=ImportJob.Kind.MIS,
            data=data,
            filename="mis.csv",
            options=options,
        )


def fetch(job: ImportJob) -> ImportJob:
    with school_scope(job.school_id):
        return ImportJob.objects.get(pk=job.pk)


def raw_upload(job: ImportJob) -> str | None:
    with school_scope(job.school_id), connection.cursor() as cursor:
        cursor.execute(f"SELECT upload FROM {ImportJob._meta.db_table} WHERE id = %s", [job.pk])
        return cursor.fetchone()[0]


def mis_ids(school) -> set[str]:  # type: ignore[no-untyped-def]
    with school_scope(school):
        return set(Pupil.objects.exclude(mis_id="").values_list("mis_id", flat=True))


# --- the job's life --------------------------------------------------------------------


def test_queued_job_runs_to_done_with_counts_and_its_upload_deleted(world: World):
    job = queue(world)
    assert fetch(job).status == "queued" and job.task_id
    assert mis_ids(world.a) == set()
    run_worker()
    done = fetch(job)
    assert done.status == "done", done.error
    assert (done.progress_done, done.progress_total) == (3, 3)
    assert done.summary == {
        "rows": 3,
        "added": 3,
        "changed": 0,
        "unchanged": 0,
        "left": 0,
        "warnings": done.summary["warnings"],
    }
    assert done.upload is None and raw_upload(done) is None
    assert done.started_at <= done.finished_at
    assert mis_ids(world.a) == {"A001", "A002", "A003"}


def test_upload_is_stored_encrypted_not_as_plaintext(world: World):
    job = queue(world)
    stored = raw_upload(job)
    assert stored and stored.startswith("v1:")
    for clear in ("Evans", UPN1, "RXZhbnM", "A001"):  # "RXZhbnM" is base64 of "Evans"
        assert clear not in stored
    assert mis_ids(world.a) == set()
    assert b"Evans" in base64.b64decode(fetch(job).upload)  # the job itself can read it


def test_progress_is_reported_while_running_and_reaches_the_total(world: World, monkeypatch):
    monkeypatch.setattr(mis, "PROGRESS_EVERY", 1)
    seen: list[tuple] = []
    real = jobs._progress

    def spy(job):  # type: ignore[no-untyped-def]
        report = real(job)

        def wrapped(done: int, total: int, stage: str = "") -> None:
            report(done, total, stage)
            row = ImportJob.objects.values_list(
                "status", "progress_done", "progress_total", "progress_stage"
            )
            seen.append(row.get(pk=job.pk))

        return wrapped

    monkeypatch.setattr(jobs, "_progress", spy)
    job = queue(world)
    run_worker()
    checked, written = "rows checked", "pupil records written"
    # ROS-2: the write phase reports too (3 new pupils), not only the rows checked.
    assert seen == [
        ("running", 1, 3, checked),
        ("running", 2, 3, checked),
        ("running", 3, 3, checked),
        ("running", 3, 3, written),
        ("running", 3, 3, "rows imported"),
    ]
    assert fetch(job).status == "done"


def test_file_refused_when_the_job_runs_fails_with_positions_and_writes_nothing(world: World):
    bad = GOOD.replace(b"Year 7", b"Year 14")
    job = queue(world, bad)
    run_worker()
    failed = fetch(job)
    assert failed.status == "failed"
    assert "1 problem found when the import ran (row 2, year group)" in failed.error
    assert "Nothing was changed" in failed.error
    assert failed.summary == {"problems": [{"row": 2, "column": "year group"}]}
    assert "Evans" not in failed.error  # positions only, never the file's data
    assert failed.upload is None and raw_upload(failed) is None
    assert mis_ids(world.a) == set()


def test_crash_is_recorded_as_a_failure_and_the_upload_deleted(world: World, monkeypatch):
    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(mis, "mis_import", broken)
    job = queue(world)
    run_worker()
    failed = fetch(job)
    assert failed.status == "failed"
    assert failed.error == jobs.CRASHED and "disk on fire" not in failed.error
    assert raw_upload(failed) is None


def test_a_job_runs_once(world: World):
    job = queue(world)
    run_worker()
    with school_scope(world.a):
        again = jobs.import_job_run(job=ImportJob.objects.get(pk=job.pk))
    assert again.status == "done" and again.summary["added"] == 3
    with school_scope(world.a):
        assert Pupil.objects.filter(mis_id="A001").count() == 1


def test_task_works_in_its_own_school_only(world: World):
    """A full import of School B marks B's pupils missing from the file as left, and
    touches nothing of School A, though the worker starts outside any scope."""
    eli = f.PupilFactory(school=world.b, first_name="Eli", username="eli", year_group="5")
    data = (
        f"Surname,Forename,UPN,Year\nDavies,Dee,{world.dee.upn},5\n"
        f"New,Nia,{upn('801200026009')},5\n"
    ).encode()
    job = queue(world, data, school=world.b, actor=world.other_admin, full=True)
    run_worker()
    assert fetch(job).status == "done", fetch(job).error
    assert fetch(job).summary["left"] == 1
    with school_scope(world.b):
        assert Pupil.objects.get(pk=eli.pk).status == Pupil.Status.LEFT
        assert Pupil.objects.get(pk=world.dee.pk).status == Pupil.Status.ON_ROLL
        assert Pupil.objects.filter(first_name="Nia").count() == 1
    with school_scope(world.a):
        assert set(Pupil.objects.values_list("status", flat=True)) == {Pupil.Status.ON_ROLL}
        assert not Pupil.objects.filter(first_name="Nia").exists()


def test_another_schools_scope_does_not_see_the_job(world: World):
    job = queue(world, school=world.b, actor=world.other_admin)
    with school_scope(world.a):
        assert not ImportJob.objects.filter(pk=job.pk).exists()
    with all_schools():
        assert ImportJob.objects.filter(pk=job.pk).exists()


# --- the MIS page and the progress page ------------------------------------------------


def set_state(job: ImportJob, **values) -> None:  # type: ignore[no-untyped-def]
    with school_scope(job.school_id):
        ImportJob.objects.filter(pk=job.pk).update(**values)


def job_url(world: World, job: ImportJob, school=None) -> str:  # type: ignore[no-untyped-def]
    return reverse("rosters:import_job", args=[(school or world.a).pk, job.pk])


def test_confirmed_large_file_goes_to_the_worker_and_the_page_follows_it(
    client_for, world: World, monkeypatch
):
    monkeypatch.setattr(jobs, "INLINE_ROWS", 3)
    client = client_for("admin")
    html = post(client, world, GOOD).content.decode()
    signature = re.search(r'name="signature" value="([0-9a-f]{64})"', html)[1]
    response = post(client, world, GOOD, action="confirm", signature=signature)
    with school_scope(world.a):
        job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(world, job)
    assert mis_ids(world.a) == set()  # not imported in the request

    page = client.get(job_url(world, job)).content.decode()
    assert "Waiting to start" in page and 'hx-trigger="every 1s"' in page

    set_state(job, status="running", progress_done=100, progress_total=250)
    partial = client.get(job_url(world, job), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'hx-trigger="every 1s"' in partial
    assert '<progress aria-label="Import progress" max="250" value="100">' in partial
    assert "100 of 250 rows" in partial
    # ROS-2: the write phase says what it counts.
    set_state(job, progress_done=1000, progress_total=2500, progress_stage="pupil records written")
    partial = client.get(job_url(world, job), HTTP_HX_REQUEST="true").content.decode()
    assert "1000 of 2500 pupil records written." in partial
    set_state(job, status="queued", progress_done=0, progress_total=0, progress_stage="")

    run_worker()
    done = client.get(job_url(world, job), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done  # the polling stops
    assert "Imported." in done and "Pupils added: 3" in done and "3 of 3 rows" in done
    assert mis_ids(world.a) == {"A001", "A002", "A003"}


def test_small_confirmed_file_is_still_imported_in_the_request(client_for, world: World):
    client = client_for("admin")
    html = post(client, world, GOOD).content.decode()
    signature = re.search(r'name="signature" value="([0-9a-f]{64})"', html)[1]
    done = post(client, world, GOOD, action="confirm", signature=signature).content.decode()
    assert "3 pupils added" in done
    with school_scope(world.a):
        assert not ImportJob.objects.exists()


def test_progress_page_shows_a_failure_as_an_alert(client_for, world: World):
    job = queue(world, GOOD.replace(b"Year 7", b"Year 14"))
    run_worker()
    page = client_for("trust_admin").get(job_url(world, job)).content.decode()
    assert 'role="alert"' in page and "The import failed." in page
    assert "row 2, year group" in page and "hx-trigger" not in page


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("trust_admin", 200),
        ("teacher", 404),
        ("colleague", 404),
        ("pupil", 404),
        ("parent", 404),
        ("other_admin", 404),
        ("other_teacher", 404),
        ("platform_staff", 404),
    ],
)
def test_progress_page_per_role(client_for, world: World, role: str, status: int):
    job = queue(world)
    assert client_for(role).get(job_url(world, job)).status_code == status


def test_admin_of_other_school_gets_404_for_a_job_through_their_own_school(
    client_for, world: World
):
    job = queue(world)
    response = client_for("other_admin").get(job_url(world, job, school=world.b))
    assert response.status_code == 404
    other = queue(world, school=world.b, actor=world.other_admin)
    assert client_for("admin").get(job_url(world, other)).status_code == 404


def test_mis_page_lists_the_schools_recent_background_imports_only(client_for, world: World):
    mine = queue(world)
    queue(world, school=world.b, actor=world.other_admin)
    page = client_for("admin").get(reverse("rosters:mis_upload", args=[world.a.pk]))
    jobs_shown = list(page.context["recent_jobs"])
    assert jobs_shown == [mine]
    assert job_url(world, mine) in page.content.decode()
    assert world.admin.email in page.content.decode()


def test_recent_imports_cost_the_same_queries_however_many(client_for, world: World):
    client = client_for("admin")
    url = reverse("rosters:mis_upload", args=[world.a.pk])
    queue(world)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(6):
        queue(world)
    with CaptureQueriesContext(connection) as seven:
        client.get(url)
    assert len(seven) == len(one)


def test_every_count_a_job_summary_holds_has_a_label():
    """The job page names each count in words, never as a raw key (ROS-2, ROS-4)."""
    from markbook.rosters.oneroster.import_ import COUNTS
    from markbook.rosters.views_imports import JOB_SUMMARY_LABELS

    mis_counts = {"rows", "added", "changed", "unchanged", "left", "warnings"}
    assert set(COUNTS) | mis_counts <= set(JOB_SUMMARY_LABELS)
