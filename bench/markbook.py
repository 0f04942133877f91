"""Benchmark of the markbook grid (ASM-3): a 1,000-pupil, 30-assignment class.

    .venv/bin/python bench/markbook.py [--pupils 1000] [--assignments 30] [--saves 200]

On a throwaway SQLite database (fresh school, every cell marked), through Django's
test client with every middleware (scope, access log), as a teacher of the class:

- grid: the markbook page rendered, best of 5, and its query count; the same count for
  a tenth of the pupils, to show it does not grow with rows;
- grid floor: the same rows (pupils' names, marks) read with one bare SELECT each;
- cell save: the one-cell API (PUT .../marks/{assignment}/{pupil}), `--saves` times on
  different cells, median and p95, and its query count;
- save floor: one bare UPDATE of a mark row in a transaction, median.

Targets: the grid under 0.5 s with a query count that does not grow with rows; a cell
save under 30 ms median. Figures and ratios to the floors are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRID_TARGET_S = 0.5
SAVE_TARGET_MS = 30.0


def _setup_django(data_dir: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["MARKBOOK_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markbook.settings")
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _world(pupils: int, assignments: int):  # type: ignore[no-untyped-def]
    """A school, a teacher and a class of `pupils` with `assignments`, every cell marked."""
    from django.conf import settings

    from markbook.accounts.models import Membership, User
    from markbook.assessment.models import Assignment, Mark
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import ClassTeacher, Enrolment, Pupil, TeachingClass
    from markbook.schools.models import School, TermsAcceptance
    from markbook.schools.years import academic_year_current

    school = School.objects.create(
        name=f"Bench {pupils}", urn=f"9{pupils:05d}", status=School.Status.ACTIVE
    )
    teacher = User.objects.create(email=f"bench{pupils}@example.org", username=f"bench{pupils}")
    with school_scope(school):
        Membership.objects.create(school=school, user=teacher, role=Membership.Role.TEACHER)
        TermsAcceptance.objects.create(
            school=school, version=settings.MARKBOOK_TERMS_VERSION, accepted_by_name="Bench"
        )
        group = TeachingClass.objects.create(
            school=school, name="11X Maths", academic_year=academic_year_current(school)
        )
        ClassTeacher.objects.create(school=school, teaching_class=group, teacher=teacher)
        people = Pupil.objects.bulk_create(
            Pupil(
                school=school, first_name=f"Pupil{i}", last_name=f"Bench{i:04d}", username=f"p{i}"
            )
            for i in range(pupils)
        )
        Enrolment.objects.bulk_create(
            Enrolment(school=school, teaching_class=group, pupil=p) for p in people
        )
        work = Assignment.objects.bulk_create(
            Assignment(school=school, teaching_class=group, title=f"Test {j + 1:02d}", max_mark=50)
            for j in range(assignments)
        )
        Mark.objects.bulk_create(
            (
                Mark(school=school, assignment=a, pupil=p, score=(i * 7 + j) % 51)
                for i, p in enumerate(people)
                for j, a in enumerate(work)
            ),
            batch_size=2000,
        )
    return school, teacher, group, people, work


def _client(teacher):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(teacher)
    return client


def _grid(client, school, group, repeat: int = 5) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/s/{school.pk}/markbook/classes/{group.pk}/"
    best = float("inf")
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            best = min(best, time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
        queries = len(captured)
    return best, queries


def _grid_floor(group, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    from django.db import connection

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.id, p.first_name, p.last_name FROM rosters_pupil p JOIN "
                "rosters_enrolment e ON e.pupil_id = p.id WHERE e.teaching_class_id = %s "
                "ORDER BY p.last_name, p.first_name",
                [group.pk],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT m.pupil_id, m.assignment_id, m.score, m.status, m.version FROM "
                "assessment_mark m JOIN assessment_assignment a ON a.id = m.assignment_id "
                "WHERE a.teaching_class_id = %s",
                [group.pk],
            )
            cursor.fetchall()
        best = min(best, time.perf_counter() - start)
    return best


def _saves(client, school, group, people, work, count: int) -> tuple[list[float], int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times: list[float] = []
    queries = 0
    for n in range(count):
        pupil, assignment = people[n % len(people)], work[n % len(work)]
        url = f"/api/schools/{school.pk}/classes/{group.pk}/marks/{assignment.pk}/{pupil.pk}"
        body = json.dumps({"value": str((n % 50) + 0.5), "version": 1})
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.put(url, body, content_type="application/json")
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.content
        queries = len(captured)
    return times, queries


def _save_floor(count: int) -> list[float]:
    from django.db import connection, transaction

    times = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM assessment_mark ORDER BY id LIMIT %s", [count])
        ids = [row[0] for row in cursor.fetchall()]
    for n, pk in enumerate(ids):
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assessment_mark SET score = %s, version = version + 1 WHERE id = %s",
                [n % 50, pk],
            )
        times.append(time.perf_counter() - start)
    return times


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def run(pupils: int, assignments: int, saves: int) -> dict[str, float]:
    """Every figure, in seconds or counts (Django set up and migrated)."""
    from markbook.core.tenancy import school_scope

    school, teacher, group, people, work = _world(pupils, assignments)
    small_school, small_teacher, small_group, *_ = _world(max(1, pupils // 10), assignments)
    client = _client(teacher)
    grid_s, grid_q = _grid(client, school, group)
    _, small_q = _grid(_client(small_teacher), small_school, small_group, repeat=1)
    with school_scope(school):
        floor_s = _grid_floor(group)
    save_times, save_q = _saves(client, school, group, people, work, saves)
    with school_scope(school):
        floor_saves = _save_floor(saves)
    return {
        "grid_s": grid_s,
        "grid_queries": grid_q,
        "grid_queries_tenth": small_q,
        "grid_floor_s": floor_s,
        "save_median_s": statistics.median(save_times),
        "save_p95_s": _p95(save_times),
        "save_queries": save_q,
        "save_floor_median_s": statistics.median(floor_saves),
    }


def report(figures: dict[str, float], pupils: int, assignments: int) -> str:
    f = figures
    grid_ok = f["grid_s"] < GRID_TARGET_S and f["grid_queries"] == f["grid_queries_tenth"]
    save_ok = f["save_median_s"] * 1000 < SAVE_TARGET_MS
    lines = [
        f"markbook grid: {pupils} pupils x {assignments} assignments ({pupils * assignments:,} cells), SQLite",
        f"  grid page      {f['grid_s'] * 1000:8.1f} ms  {f['grid_queries']} queries "
        f"({f['grid_queries_tenth']} for {max(1, pupils // 10)} pupils)",
        f"  grid floor     {f['grid_floor_s'] * 1000:8.1f} ms  ratio {f['grid_s'] / f['grid_floor_s']:.1f}x",
        f"  cell save      {f['save_median_s'] * 1000:8.1f} ms median, "
        f"{f['save_p95_s'] * 1000:.1f} ms p95, {f['save_queries']} queries",
        f"  save floor     {f['save_floor_median_s'] * 1000:8.2f} ms median  "
        f"ratio {f['save_median_s'] / f['save_floor_median_s']:.1f}x",
        f"  targets: grid < {GRID_TARGET_S} s with queries not growing: {'met' if grid_ok else 'MISSED'}; "
        f"save < {SAVE_TARGET_MS:.0f} ms median: {'met' if save_ok else 'MISSED'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--assignments", type=int, default=30)
    parser.add_argument("--saves", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as data_dir:
        _setup_django(data_dir)
        figures = run(args.pupils, args.assignments, args.saves)
    print(report(figures, args.pupils, args.assignments))


if __name__ == "__main__":
    main()
