"""The OneRoster import writes pupils, enrolments and teacher links in bulk (ROS-4,
ACC-2, SEC-1): the same rows and access log events as the services, one event per
pupil or link, and a number of queries that does not grow with the file."""

import csv
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from markbook.rosters.imports import jobs
from markbook.rosters.models import ClassTeacher, Enrolment, ImportJob, Pupil, TeachingClass
from markbook.rosters.oneroster import spec
from markbook.rosters.oneroster.import_ import PHASES, oneroster_import
from tests import factories as f
from tests.rosters.conftest import actions
from tests.rosters.test_stalled_jobs import meanwhile

pytestmark = pytest.mark.django_db


def roster_zip(
    school,
    pupils: int,
    *,
    family: str = "Pike",
    teacher: str = "",
    first: int = 0,
    classes: int = 2,
    **extra,
) -> bytes:  # type: ignore[no-untyped-def]
    """A bulk zip for `school`'s org: `pupils` pupils in year 7, each in every class."""
    org = "org-1"
    rows: dict[str, list[dict[str, str]]] = {
        "orgs": [{"sourcedId": org, "name": school.name, "type": "school"}],
        "academicSessions": [
            {
                "sourcedId": "y1",
                "title": "2026/27",
                "type": "schoolYear",
                "startDate": "2026-09-01",
                "endDate": "2027-08-31",
                "schoolYear": "2027",
            }
        ],
        "classes": [
            {
                "sourcedId": f"c{n}",
                "title": f"7X{n}",
                "grades": "07",
                "courseSourcedId": "",
                "classType": "scheduled",
                "schoolSourcedId": org,
                "termSourcedIds": "y1",
                "subjects": "Maths",
            }
            for n in range(1, classes + 1)
        ],
        "users": [],
        "roles": [],
        "enrollments": [],
    }
    people = [(f"p{i}", "student") for i in range(first, first + pupils)]
    if teacher:
        people.append(("t1", "teacher"))
    for ref, role in people:
        rows["users"].append(
            {
                "sourcedId": ref,
                "enabledUser": "true",
                "username": teacher if role == "teacher" else extra.get(ref, f"pupil{ref}"),
                "givenName": "Teacher" if role == "teacher" else f"Pupil{ref}",
                "familyName": family,
                "email": teacher if role == "teacher" else "",
                "grades": "" if role == "teacher" else "07",
            }
        )
        rows["roles"].append(
            {
                "sourcedId": f"r-{ref}",
                "userSourcedId": ref,
                "roleType": "primary",
                "role": role,
                "orgSourcedId": org,
            }
        )
        for klass in (f"c{n}" for n in range(1, classes + 1)):
            rows["enrollments"].append(
                {
                    "sourcedId": f"e-{klass}-{ref}",
                    "classSourcedId": klass,
                    "schoolSourcedId": org,
                    "userSourcedId": ref,
                    "role": role,
                }
            )
    manifest = [
        ("manifest.version", "1.0"),
        ("oneroster.version", "1.2"),
        *((f"file.{name}", "bulk" if rows.get(name) else "absent") for name in spec.ALL_FILES),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, table in [("manifest", None), *rows.items()]:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\r\n")
            if table is None:
                writer.writerows([spec.MANIFEST_HEADER, *manifest])
            else:
                header = spec.HEADERS_12[name]
                writer.writerows([header, *([r.get(h, "") for h in header] for r in table)])
            archive.writestr(f"{name}.csv", out.getvalue())
    return buffer.getvalue()


def school_with(teacher) -> object:  # type: ignore[no-untyped-def]
    school = f.SchoolFactory(name="Bulkfield School")
    with school_scope(school):
        Membership.objects.create(school=school, user=teacher, role=Membership.Role.TEACHER)
    return school


def run(school, data: bytes, confirm: bool = True):  # type: ignore[no-untyped-def]
    with school_scope(school):
        return oneroster_import(actor=None, school=school, data=data, confirm=confirm)


def test_new_pupils_get_accounts_without_passwords_and_one_created_event_each(world):
    school = school_with(world.teacher)
    result = run(school, roster_zip(school, 4))
    assert result.ok and result.pupils_created == 4, result.problems
    with school_scope(school):
        pupils = {p.oneroster_id: p for p in Pupil.objects.select_related("user")}
        members = set(Membership.objects.filter(role=Membership.Role.PUPIL).values_list("user_id"))
    assert sorted(pupils) == ["p0", "p1", "p2", "p3"]
    for ref, pupil in pupils.items():
        assert (pupil.username, pupil.first_name, pupil.last_name, pupil.year_group) == (
            f"pupil{ref}",
            f"Pupil{ref}",
            "Pike",
            "7",
        )
        assert pupil.user.username == f"pupil.{school.pk}.pupil{ref}"
        assert (pupil.user.first_name, pupil.user.last_name) == (f"Pupil{ref}", "Pike")
        assert not pupil.user.has_usable_password()  # ACC-2
        assert (pupil.user_id,) in members
    created = actions(school, "rosters.pupil.created")
    assert [(e.target_id, e.data) for e in created] == [
        (str(pupils[ref].pk), {"username": f"pupil{ref}", "year_group": "7"})
        for ref in ("p0", "p1", "p2", "p3")
    ]


def test_changed_pupils_are_written_with_one_changed_event_each(world):
    school = school_with(world.teacher)
    assert run(school, roster_zip(school, 3)).ok
    result = run(school, roster_zip(school, 3, family="Pyke"))
    assert (result.pupils_updated, result.pupils_matched) == (3, 0)
    with school_scope(school):
        pupils = list(Pupil.objects.select_related("user").order_by("oneroster_id"))
    assert {(p.last_name, p.user.last_name) for p in pupils} == {("Pyke", "Pyke")}
    changed = actions(school, "rosters.pupil.changed")
    assert [(e.target_id, e.data) for e in changed] == [
        (str(p.pk), {"last_name": {"old": "Pike", "new": "Pyke"}}) for p in pupils
    ]
    again = run(school, roster_zip(school, 3, family="Pyke"))
    assert (again.pupils_updated, again.pupils_matched) == (0, 3)
    assert len(actions(school, "rosters.pupil.changed")) == 3


def test_a_username_twice_in_the_file_is_reported_by_row_and_nothing_is_written(world):
    school = school_with(world.teacher)
    result = run(school, roster_zip(school, 3, p2="pupilp0"))
    assert not result.ok
    assert [(p.file, p.row, p.column) for p in result.problems] == [("users", 4, "username")]
    assert "already used" in result.problems[0].message
    with school_scope(school):
        assert not Pupil.objects.exists()
    assert actions(school, "rosters.pupil.created") == []


def test_enrolments_and_teacher_links_with_one_event_each(world):
    school = school_with(world.teacher)
    result = run(school, roster_zip(school, 3, teacher=world.teacher.email))
    assert (result.enrolments_added, result.teacher_links_added) == (6, 2)
    with school_scope(school):
        pupils = {p.oneroster_id: p.pk for p in Pupil.objects.all()}
        classes = dict(TeachingClass.objects.values_list("name", "pk"))
        assert set(Enrolment.objects.values_list("teaching_class_id", "pupil_id")) == {
            (classes[c], pupils[p]) for c in ("7X1", "7X2") for p in pupils
        }
        assert set(ClassTeacher.objects.values_list("teaching_class_id", "teacher_id")) == {
            (classes["7X1"], world.teacher.pk),
            (classes["7X2"], world.teacher.pk),
        }
    added = actions(school, "rosters.enrolment.added")
    assert [(e.target_id, e.data) for e in added] == [
        (str(classes[c]), {"pupil": pupils[p]}) for p in ("p0", "p1", "p2") for c in ("7X1", "7X2")
    ]
    attached = actions(school, "rosters.class.teacher_attached")
    assert [(e.target_id, e.data) for e in attached] == [
        (str(classes[c]), {"teacher": world.teacher.pk}) for c in ("7X1", "7X2")
    ]
    # A bulk file without p0 and the teacher takes p0 out of both classes; links stay.
    again = run(school, roster_zip(school, 2, first=1))
    assert (again.enrolments_added, again.enrolments_removed) == (0, 2)
    removed = actions(school, "rosters.enrolment.removed")
    assert [(e.target_id, e.data) for e in removed] == [
        (str(classes[c]), {"pupil": pupils["p0"]}) for c in ("7X1", "7X2")
    ]
    with school_scope(school):
        assert Enrolment.objects.count() == 4
        assert not Enrolment.objects.filter(pupil_id=pupils["p0"]).exists()
        assert ClassTeacher.objects.count() == 2


@pytest.mark.parametrize("confirm", [True, False])
def test_importing_3_or_30_new_pupils_with_enrolments_runs_the_same_queries(world, confirm):
    counted = []
    for n in (3, 30):
        school = school_with(world.teacher)
        data = roster_zip(school, n, teacher=world.teacher.email)
        with CaptureQueriesContext(connection) as queries:
            result = run(school, data, confirm=confirm)
        assert (result.pupils_created, result.enrolments_added) == (n, 2 * n)
        assert result.teacher_links_added == 2
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_reimporting_3_or_30_pupils_runs_the_same_queries(world):
    counted = []
    for n in (3, 30):
        school = school_with(world.teacher)
        assert run(school, roster_zip(school, n, teacher=world.teacher.email)).ok
        with CaptureQueriesContext(connection) as queries:
            result = run(school, roster_zip(school, n, family="Pyke", teacher=world.teacher.email))
        assert result.pupils_updated == n
        counted.append(len(queries))
    assert counted[0] == counted[1]


# --- progress of a queued import -------------------------------------------------------


def queue_zip(school, data: bytes, actor):  # type: ignore[no-untyped-def]
    with school_scope(school):
        return jobs.import_job_create(
            actor=actor, school=school, kind=ImportJob.Kind.ONEROSTER, data=data, filename="r.zip"
        )


def run_now(job: ImportJob) -> ImportJob:
    with school_scope(job.school_id):
        return jobs.import_job_run(job=ImportJob.objects.get(pk=job.pk))


def test_a_queued_import_reports_each_phase_and_the_total_once_saved(world, monkeypatch):
    calls: list[tuple[int, int]] = []
    real = jobs._progress

    def spy(job):  # type: ignore[no-untyped-def]
        report = real(job)

        def wrapped(done: int, total: int, stage: str = "") -> None:
            with school_scope(job.school_id):
                pupils = Pupil.objects.count()
            if stage == "steps":  # the records written within phases: below
                calls.append((done, total, pupils))
            report(done, total, stage)

        return wrapped

    monkeypatch.setattr(jobs, "_progress", spy)
    school = school_with(world.teacher)
    job = run_now(queue_zip(school, roster_zip(school, 3), world.admin))
    total = len(PHASES)
    assert job.status == "done", job.message
    assert [(done, t) for done, t, _ in calls] == [(n, total) for n in range(total + 1)]
    # Every phase before the pupils' is reported before anything is written.
    assert [pupils for done, _, pupils in calls if done <= PHASES.index("pupils")] == [0, 0, 0]
    assert (job.progress_done, job.progress_total) == (total, total)


def test_a_replaced_oneroster_attempt_stops_before_it_writes(world, monkeypatch):
    meanwhile(monkeypatch, after_write=False, attempt=2, status="queued")
    school = school_with(world.teacher)
    after = run_now(queue_zip(school, roster_zip(school, 3), world.admin))
    assert (after.status, after.attempt) == ("queued", 2)
    with school_scope(school):
        assert not Pupil.objects.exists()
    assert actions(school, "rosters.pupil.created") == []


def test_classes_are_created_with_one_event_each_and_the_same_queries_for_2_or_20(world):
    counted = []
    for n in (2, 20):
        school = school_with(world.teacher)
        data = roster_zip(school, 3, classes=n, teacher=world.teacher.email)
        with CaptureQueriesContext(connection) as queries:
            result = run(school, data)
        assert (result.classes_created, result.enrolments_added) == (n, 3 * n)
        counted.append(len(queries))
        with school_scope(school):
            made = list(TeachingClass.objects.select_related("academic_year").order_by("pk"))
        assert [(c.name, c.subject, c.year_group, c.academic_year.name) for c in made] == [
            (f"7X{i}", "Maths", "7", "2026/27") for i in range(1, n + 1)
        ]
        created = actions(school, "rosters.class.created")
        assert [(e.target_id, e.data) for e in created] == [
            (str(c.pk), {"name": c.name, "academic_year": "2026/27"}) for c in made
        ]
    assert counted[0] == counted[1]


def test_a_queued_import_reports_the_records_it_writes_batch_by_batch(world, monkeypatch):
    """ROS-4: progress does not stand still while a large import writes: the bulk
    writers report each batch (core.rows.PROGRESS_BATCH), saved with what they count."""
    from markbook.core import rows

    monkeypatch.setattr(rows, "PROGRESS_BATCH", 2)
    seen: list[tuple[int, int, str]] = []
    real = jobs._progress

    def spy(job):  # type: ignore[no-untyped-def]
        report = real(job)

        def wrapped(done: int, total: int, stage: str = "") -> None:
            report(done, total, stage)
            saved = ImportJob.objects.values_list(
                "progress_done", "progress_total", "progress_stage"
            ).get(pk=job.pk)
            seen.append(saved)

        return wrapped

    monkeypatch.setattr(jobs, "_progress", spy)
    school = school_with(world.teacher)
    job = run_now(queue_zip(school, roster_zip(school, 5), world.admin))
    assert job.status == "done", job.message
    pupils = [(done, total) for done, total, stage in seen if stage == "pupil records written"]
    # 5 new pupils and their 5 events, two rows a batch: 2, 4, 5, then 7, 9, 10.
    assert pupils == [(2, 10), (4, 10), (5, 10), (7, 10), (9, 10), (10, 10)]
    enrolments = [d for d, _, stage in seen if stage == "enrolment records written"]
    assert enrolments and enrolments == sorted(enrolments)
