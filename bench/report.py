"""Benchmark of the school progress report (ASM-5) against hand-written SQL aggregates.

    .venv/bin/python bench/report.py [--pupils 1500] [--repeat 3] [--postgres URL]

Seeds one school with `--pupils` pupils (sensitive fields encrypted), 12 subjects on
the GCSE scale, a class per 30 pupils per subject, 6 data drops with a working-at grade
for every pupil and subject, and a target each; then runs ANALYZE, as a database in use
has table statistics (PostgreSQL's autovacuum gathers them; SQLite's `ANALYZE`, which
`PRAGMA optimize` runs when needed). `BENCH_NO_ANALYZE=1` times a fresh database without
statistics instead. Then, on SQLite and PostgreSQL:

- report: `analysis.selectors.report` as the page computes it (the latest drop by
  subject, every gap, movement from the drop before, the KS2 transition matrix);
- report floor: hand-written SQL giving the same tables: the by-subject aggregate
  below, the pupils with a grade, per-pupil counts against target and the pupils'
  yes/no group fields (the encrypted ones decrypted, one key fetch per field: SQL
  cannot group by them) summed per group for the gaps, movement by subject from a join
  of the two drops' entries, and the KS2 band x common band counts;
- by subject: `report_facts` and the by-subject table alone;
- floor: one hand-written SQL aggregate giving, per subject, the pupils above, on and
  below target and the mean band.

Each of `--repeat` rounds runs every phase once (a busy machine slows floors and
reports alike); each phase's best round counts. Targets: the by-subject table within 1.5x the floor, and the whole report within 1.5x
the report floor. Databases and processes as in bench/import_mis.py (a throwaway role
NOSUPERUSER NOBYPASSRLS on PostgreSQL).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_mis as mis  # the databases and processes

Timing = mis.Timing
TARGET_RATIO = 1.5
SUBJECTS = 12
DROPS = 6

FLOOR_SQL = """
SELECT e.subject_id,
       COUNT(DISTINCT e.pupil_id),
       SUM(CASE WHEN tg.id IS NOT NULL AND g."rank" > tg."rank" THEN 1 ELSE 0 END),
       SUM(CASE WHEN tg.id IS NOT NULL AND g."rank" = tg."rank" THEN 1 ELSE 0 END),
       SUM(CASE WHEN tg.id IS NOT NULL AND g."rank" < tg."rank" THEN 1 ELSE 0 END),
       SUM(CASE WHEN tg.id IS NULL THEN 1 ELSE 0 END),
       AVG(b."rank")
FROM tracking_trackingentry e
JOIN rosters_pupil p ON p.id = e.pupil_id AND p.status = 'on_roll'
JOIN tracking_grade g ON g.id = e.grade_id
LEFT JOIN tracking_band b ON b.id = g.band_id
LEFT JOIN tracking_target t
  ON t.school_id = e.school_id AND t.pupil_id = e.pupil_id AND t.subject_id = e.subject_id
LEFT JOIN tracking_grade tg ON tg.id = t.grade_id
WHERE e.school_id = %s AND e.field_id = %s
GROUP BY e.subject_id
"""


PUPILS_SQL = """
SELECT COUNT(DISTINCT e.pupil_id)
FROM tracking_trackingentry e
JOIN rosters_pupil p ON p.id = e.pupil_id AND p.status = 'on_roll'
WHERE e.school_id = %s AND e.field_id = %s
"""

BY_PUPIL_SQL = """
SELECT e.pupil_id,
       COUNT(*),
       SUM(CASE WHEN tg.id IS NOT NULL AND g."rank" > tg."rank" THEN 1 ELSE 0 END),
       SUM(CASE WHEN tg.id IS NOT NULL AND g."rank" = tg."rank" THEN 1 ELSE 0 END),
       SUM(CASE WHEN tg.id IS NOT NULL AND g."rank" < tg."rank" THEN 1 ELSE 0 END),
       SUM(CASE WHEN tg.id IS NULL THEN 1 ELSE 0 END),
       SUM(b."rank"),
       COUNT(b."rank")
FROM tracking_trackingentry e
JOIN rosters_pupil p ON p.id = e.pupil_id AND p.status = 'on_roll'
JOIN tracking_grade g ON g.id = e.grade_id
LEFT JOIN tracking_band b ON b.id = g.band_id
LEFT JOIN tracking_target t
  ON t.school_id = e.school_id AND t.pupil_id = e.pupil_id AND t.subject_id = e.subject_id
LEFT JOIN tracking_grade tg ON tg.id = t.grade_id
WHERE e.school_id = %s AND e.field_id = %s
GROUP BY e.pupil_id
"""

GROUPS_SQL = """
SELECT id, disadvantaged, fsm, eal, gifted_talented FROM rosters_pupil
WHERE school_id = %s AND status = 'on_roll'
"""

MOVEMENT_SQL = """
SELECT e.subject_id,
       SUM(CASE WHEN g."rank" > pg."rank" THEN 1 ELSE 0 END),
       SUM(CASE WHEN g."rank" = pg."rank" THEN 1 ELSE 0 END),
       SUM(CASE WHEN g."rank" < pg."rank" THEN 1 ELSE 0 END)
FROM tracking_trackingentry e
JOIN rosters_pupil p ON p.id = e.pupil_id AND p.status = 'on_roll'
JOIN tracking_trackingentry pe
  ON pe.school_id = e.school_id AND pe.field_id = %s AND pe.pupil_id = e.pupil_id
 AND pe.subject_id = e.subject_id
JOIN tracking_grade g ON g.id = e.grade_id
JOIN tracking_grade pg ON pg.id = pe.grade_id
WHERE e.school_id = %s AND e.field_id = %s
GROUP BY e.subject_id
"""

MATRIX_SQL = """
SELECT CASE WHEN COALESCE(p.ks2_reading, p.ks2_maths) IS NULL THEN NULL
            WHEN COALESCE(p.ks2_reading, p.ks2_maths) + COALESCE(p.ks2_maths, p.ks2_reading) < 200
            THEN 'low'
            WHEN COALESCE(p.ks2_reading, p.ks2_maths) + COALESCE(p.ks2_maths, p.ks2_reading) < 220
            THEN 'middle'
            ELSE 'high' END,
       b."rank",
       COUNT(*)
FROM tracking_trackingentry e
JOIN rosters_pupil p ON p.id = e.pupil_id AND p.status = 'on_roll'
JOIN tracking_grade g ON g.id = e.grade_id
JOIN tracking_band b ON b.id = g.band_id
WHERE e.school_id = %s AND e.field_id = %s
GROUP BY 1, 2
"""

# The floor's yes/no groups (the gaps): each encrypted one decrypted in Python.
GAP_FIELDS = ("disadvantaged", "fsm", "eal", "gifted_talented")


def seed(pupils: int, log=print):  # type: ignore[no-untyped-def]
    from markbook.core.rows import insert_rows
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import Enrolment, Pupil, TeachingClass
    from markbook.schools.years import academic_year_for
    from markbook.tracking.models import (
        DataDrop,
        DropField,
        Grade,
        GradeScale,
        Subject,
        SubjectClass,
        Target,
        TrackingEntry,
    )
    from markbook.tracking.services import tracking_setup

    rng = random.Random(2026)
    school, admin = mis.fresh_school("report")
    started = time.perf_counter()
    with school_scope(school):
        tracking_setup(school=school)
        scale = GradeScale.objects.get(name="GCSE 9-1")
        grades = list(
            Grade.objects.filter(scale=scale).order_by("rank").values_list("pk", flat=True)
        )
        pupil_ids = insert_rows(
            Pupil,
            [
                {
                    "school_id": school.pk,
                    "first_name": f"P{i}",
                    "last_name": f"Bench{i}",
                    "username": f"bench.{i}",
                    "year_group": str(7 + i % 5),
                    "sex": "MF"[i % 2],
                    "eal": i % 6 == 0,
                    "gifted_talented": i % 10 == 0,
                    "ks2_reading": 85 + i % 36,
                    "ks2_maths": 85 + (i * 7) % 36,
                    "fsm": i % 4 == 0,
                    "disadvantaged": i % 3 == 0,
                    "sen_provision": "NKE"[i % 3],
                    "ethnicity": ("WBRI", "AIND", "BAFR", "MWBC")[i % 4],
                }
                for i in range(pupils)
            ],
        )
        subjects = [
            Subject.objects.create(school=school, name=f"Subject {s}", scale=scale)
            for s in range(SUBJECTS)
        ]
        year = academic_year_for(school, "2026/27")
        enrolments, links = [], []
        for subject in subjects:
            for start in range(0, pupils, 30):
                c = TeachingClass.objects.create(
                    school=school, name=f"{subject.name} {start // 30}", academic_year=year
                )
                links.append(SubjectClass(school=school, subject=subject, teaching_class=c))
                enrolments += [
                    {"school_id": school.pk, "teaching_class_id": c.pk, "pupil_id": p}
                    for p in pupil_ids[start : start + 30]
                ]
        SubjectClass.objects.bulk_create(links)
        insert_rows(Enrolment, enrolments)
        insert_rows(
            Target,
            [
                {
                    "school_id": school.pk,
                    "pupil_id": p,
                    "subject_id": s.pk,
                    "grade_id": grades[rng.randrange(3, 9)],
                    "source": "ks2",
                    "path": "flat",
                }
                for p in pupil_ids
                for s in subjects
            ],
        )
        fields = []
        for d in range(DROPS):
            drop = DataDrop.objects.create(
                school=school, name=f"Drop {d + 1}", date=f"2026-{d + 1:02d}-15"
            )
            field = DropField.objects.create(
                school=school, drop=drop, key="working_at", label="Working at"
            )
            fields.append(field)
            insert_rows(
                TrackingEntry,
                [
                    {
                        "school_id": school.pk,
                        "drop_id": drop.pk,
                        "field_id": field.pk,
                        "pupil_id": p,
                        "subject_id": s.pk,
                        "grade_id": grades[rng.randrange(2, 10)],
                    }
                    for p in pupil_ids
                    for s in subjects
                ],
            )
    log(
        f"   seeded {pupils} pupils x {SUBJECTS} subjects x {DROPS} drops in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return school, admin, fields[-2], fields[-1]


def run_backend(*, backend: str, pupils: int, repeat: int, log=print) -> list[Timing]:  # type: ignore[no-untyped-def]
    from django.db import connection

    from markbook.admission import Access
    from markbook.core import keys
    from markbook.core.tenancy import school_scope
    from markbook.tracking.analysis import selectors

    school, admin, before, field = seed(pupils, log)
    if os.environ.get("BENCH_NO_ANALYZE") != "1":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the statistics a database in use has
        log("   ANALYZE run: the database has table statistics")
    else:
        log("   no ANALYZE: a fresh database without table statistics")
    best: dict[str, float] = {}

    def timed(phase: str, work) -> None:  # type: ignore[no-untyped-def]
        keys.forget_cached_keys()  # each run fetches the key as a request would
        with school_scope(school):
            start = time.perf_counter()
            work()
            seconds = time.perf_counter() - start
        best[phase] = min(best.get(phase, seconds), seconds)

    access = Access(school=school, roles=frozenset({"school_admin"}))
    with school_scope(school):
        viewer = selectors.viewer_for(admin, access)

    def by_subject() -> None:
        facts = selectors.report_facts(viewer)
        selectors.table(facts, viewer, "subject")

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [school.pk, field.pk])
            cursor.fetchall()

    from markbook.core.fields import EncryptedTextField
    from markbook.rosters.models import Pupil

    encrypted = {
        name: cast(EncryptedTextField, Pupil._meta.get_field(name))
        for name in GAP_FIELDS
        if isinstance(Pupil._meta.get_field(name), EncryptedTextField)
    }

    def report_floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [school.pk, field.pk])
            cursor.fetchall()
            cursor.execute(PUPILS_SQL, [school.pk, field.pk])
            cursor.fetchall()
            cursor.execute(BY_PUPIL_SQL, [school.pk, field.pk])
            by_pupil = {row[0]: row[1:] for row in cursor.fetchall()}
            cursor.execute(GROUPS_SQL, [school.pk])
            groups = cursor.fetchall()
            cursor.execute(MOVEMENT_SQL, [before.pk, school.pk, field.pk])
            cursor.fetchall()
            cursor.execute(MATRIX_SQL, [school.pk, field.pk])
            cursor.fetchall()
        decrypt = {name: keys.decrypter(school.pk, f.context) for name, f in encrypted.items()}
        sums: dict[tuple[str, object], list[int]] = {}
        for pupil_id, *values in groups:
            counts = by_pupil.get(pupil_id)
            if counts is None:
                continue
            for name, value in zip(GAP_FIELDS, values, strict=True):
                if name in decrypt and value is not None:
                    value = decrypt[name](value) == "1"
                line = sums.setdefault((name, value), [0] * 8)
                line[0] += 1
                for i, n in enumerate(counts):
                    line[i + 1] += n or 0

    # Each round runs every phase once, so a busy machine slows floors and reports
    # alike; the best round of each phase counts.
    for _ in range(repeat):
        timed("floor", floor)
        timed("by subject", by_subject)
        timed("report floor", report_floor)
        timed("report", lambda: selectors.report(viewer))
    rows = pupils * SUBJECTS
    return [
        Timing(backend, phase, rows, best[phase])
        for phase in ("report", "report floor", "by subject", "floor")
    ]


FLOORS = {"report": "report floor", "report floor": "report floor"}


def report(timings: list[Timing]) -> str:
    analyzed = os.environ.get("BENCH_NO_ANALYZE") != "1"
    lines = [
        "Table statistics: "
        + ("ANALYZE run after seeding (as a database in use)" if analyzed else "none (fresh)"),
        f"{'backend':<11} {'phase':<13} {'grades':>7} {'seconds':>8} {'x floor':>8}",
    ]
    seconds = {(t.backend, t.phase): t.seconds for t in timings}
    for t in timings:
        ratio = t.seconds / seconds[(t.backend, FLOORS.get(t.phase, "floor"))]
        lines.append(f"{t.backend:<11} {t.phase:<13} {t.rows:>7} {t.seconds:>8.3f} {ratio:>8.2f}")
    for backend in dict.fromkeys(t.backend for t in timings):
        for phase, floor in (("by subject", "floor"), ("report", "report floor")):
            ratio = seconds[(backend, phase)] / seconds[(backend, floor)]
            ok = ratio <= TARGET_RATIO
            lines.append(
                f"{backend}: {phase} {ratio:.2f}x the {floor} "
                f"(within {TARGET_RATIO}x: {'yes' if ok else 'no'})"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = mis.arguments(__doc__.split("\n\n")[0], argv)
    if args.worker:
        mis.worker(args, run_backend)
        return
    timings = mis.run_backends(args, Path(__file__).resolve())
    print()
    print(report(timings))


if __name__ == "__main__":
    main()
