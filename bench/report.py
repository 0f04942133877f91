"""Benchmark of the school progress report (ASM-5) against one hand-written SQL aggregate.

    .venv/bin/python bench/report.py [--pupils 1500] [--repeat 3] [--postgres URL]

Seeds one school with `--pupils` pupils (sensitive fields encrypted), 12 subjects on
the GCSE scale, a class per 30 pupils per subject, 6 data drops with a working-at grade
for every pupil and subject, and a target each; then, on SQLite and PostgreSQL:

- report: `analysis.selectors.report` as the page computes it (the latest drop by
  subject, every gap, movement from the drop before, the KS2 transition matrix);
- by subject: `report_facts` and the by-subject table alone (the same figures as the
  aggregate);
- floor: one hand-written SQL aggregate over the same tables giving, per subject, the
  pupils above, on and below target and the mean band.

Target: the by-subject report within 1.5x the floor. Databases and processes as in
bench/import_mis.py (a throwaway role NOSUPERUSER NOBYPASSRLS on PostgreSQL).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

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
    return school, admin, fields[-1]


def run_backend(*, backend: str, pupils: int, repeat: int, log=print) -> list[Timing]:  # type: ignore[no-untyped-def]
    from django.db import connection

    from markbook.admission import Access
    from markbook.core import keys
    from markbook.core.tenancy import school_scope
    from markbook.tracking.analysis import selectors

    school, admin, field = seed(pupils, log)
    best: dict[str, float] = {}

    def timed(phase: str, work) -> None:  # type: ignore[no-untyped-def]
        for _ in range(repeat):
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

    timed("floor", floor)
    timed("by subject", by_subject)
    timed("report", lambda: selectors.report(viewer))
    rows = pupils * SUBJECTS
    return [
        Timing(backend, phase, rows, best[phase]) for phase in ("report", "by subject", "floor")
    ]


def report(timings: list[Timing]) -> str:
    lines = [f"{'backend':<11} {'phase':<11} {'grades':>7} {'seconds':>8} {'x floor':>8}"]
    floors = {t.backend: t.seconds for t in timings if t.phase == "floor"}
    for t in timings:
        ratio = t.seconds / floors[t.backend]
        lines.append(f"{t.backend:<11} {t.phase:<11} {t.rows:>7} {t.seconds:>8.3f} {ratio:>8.2f}")
    for backend, floor_s in floors.items():
        subject = next(t for t in timings if t.backend == backend and t.phase == "by subject")
        ok = subject.seconds <= TARGET_RATIO * floor_s
        lines.append(
            f"{backend}: by subject within {TARGET_RATIO}x the floor: {'yes' if ok else 'no'}"
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
