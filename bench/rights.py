"""Benchmark of the rights engines (DSR-2, DSR-4): one pupil's subject access export,
and their erasure, in a large school and in one a tenth of its size.

    .venv/bin/python bench/rights.py [--scale 1.0] [--repeat 3] [--postgres URL | --no-postgres]

Seeds, with bulk inserts, a school of 1,500 pupils (times `--scale`), each with an
account, a parent, 12 classes (one per subject) of 56 assignments with every mark
entered by the class's teacher (about a million marks), a target per subject and a
working-at grade at 6 drops, and about a million access-log events (each pupil read
or changed about 670 times by staff); then a school a tenth of the size with the same
data per pupil. On SQLite and PostgreSQL (a throwaway role and database, as in
bench/import_mis.py):

- export: `export_start` + `export_run` of one pupil (everything collected from the
  inventory, the zip built, encrypted and stored), best of `--repeat`, in each school;
- floor: the same pupil's marks and log events read with two bare SELECTs;
- erasure: `erasure_impact` + `erasure_execute` of a pupil (after the exports, as it
  deletes), best of `--repeat`, each on another pupil seeded alike.

Targets: the export under 1 s, the erasure under 2 s, and the same time (ratio about
1) in both schools: the time follows the pupil's data, not the school's.

Measured at scale 1.0 (a shared 2-CPU machine, load average about 8; best of 3; one
pupil: 672 marks and 667 log events): SQLite 0.59 s (150 pupils) and 0.65 s (1,500
pupils, 1,008,000 marks, 1,000,500 events), CPU 0.15 and 0.16 s, ratio 1.09;
PostgreSQL 0.38 s and 0.37 s, CPU 0.12 s both, ratio 0.98.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_mis as mis  # the databases and processes

ROOT = Path(__file__).resolve().parent.parent
Timing = mis.Timing
ERASURE_TARGET_S = 2.0
EXPORT_TARGET_S = 1.0
PUPILS = 1500
SUBJECTS = 12
ASSIGNMENTS = 56  # per class: 12 x 56 = 672 marks a pupil, about 1M for 1,500 pupils
EVENTS_PER_PUPIL = 667  # about 1M access-log events for 1,500 pupils
DROPS = 6
CLASS_SIZE = 30
BATCH = 50_000


def _insert(model, rows, log=None) -> list[int]:  # type: ignore[no-untyped-def]
    from markbook.core.rows import insert_rows

    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        ids += insert_rows(model, rows[start : start + BATCH])
    return ids


def seed(pupils: int, label: str, log=print):  # type: ignore[no-untyped-def]
    """A school of `pupils` pupils with the data above; (school, dpo user, a pupil)."""
    from django.utils import timezone

    from markbook.accounts.models import Membership, User
    from markbook.assessment.models import Assignment, Mark
    from markbook.audit.models import AuditEvent
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil, TeachingClass
    from markbook.schools.years import academic_year_current
    from markbook.tracking.models import (
        DataDrop,
        DropField,
        Grade,
        GradeScale,
        Subject,
        Target,
        TrackingEntry,
    )
    from markbook.tracking.services import tracking_setup

    rng = random.Random(2026)
    school, admin = mis.fresh_school(label)
    began = time.perf_counter()
    now = timezone.now()
    tag = school.pk
    with school_scope(school):
        Membership.objects.create(school=school, user=admin, role="dpo")
        tracking_setup(school=school)
        scale = GradeScale.objects.get(name="GCSE 9-1")
        grades = list(Grade.objects.filter(scale=scale).values_list("pk", flat=True))
        year = academic_year_current(school)
        user_ids = _insert(
            User,
            [
                {
                    "username": f"b{tag}.pupil.{i}",
                    "first_name": f"P{i}",
                    "last_name": "Bench",
                    "email": "",
                    "password": "!",
                }
                for i in range(pupils)
            ],
        )
        parent_ids = _insert(
            User,
            [
                {
                    "username": f"b{tag}.parent.{i}",
                    "first_name": f"Parent{i}",
                    "last_name": "Bench",
                    "email": f"parent{i}.{tag}@bench.example",
                    "password": "!",
                }
                for i in range(pupils)
            ],
        )
        classes_count = max(1, (pupils + CLASS_SIZE - 1) // CLASS_SIZE)
        teacher_ids = _insert(
            User,
            [
                {
                    "username": f"b{tag}.teacher.{i}",
                    "first_name": f"T{i}",
                    "last_name": "Bench",
                    "email": f"t{i}.{tag}@bench.example",
                    "password": "!",
                }
                for i in range(SUBJECTS * classes_count)
            ],
        )
        _insert(
            Membership,
            [{"school_id": school.pk, "user_id": u, "role": "pupil"} for u in user_ids]
            + [{"school_id": school.pk, "user_id": u, "role": "parent"} for u in parent_ids]
            + [{"school_id": school.pk, "user_id": u, "role": "teacher"} for u in teacher_ids],
        )
        pupil_ids = _insert(
            Pupil,
            [
                {
                    "school_id": school.pk,
                    "user_id": user_ids[i],
                    "first_name": f"P{i}",
                    "last_name": f"Bench{i}",
                    "username": f"bench.{i}",
                    "year_group": str(7 + i % 5),
                    "fsm": i % 4 == 0,
                    "sen_provision": "NKE"[i % 3],
                    "ethnicity": ("WBRI", "AIND", "BAFR", "MWBC")[i % 4],
                    "medical_notes": "",
                }
                for i in range(pupils)
            ],
        )
        _insert(
            GuardianLink,
            [
                {
                    "school_id": school.pk,
                    "parent_id": parent_ids[i],
                    "pupil_id": p,
                    "relationship": "parent",
                }
                for i, p in enumerate(pupil_ids)
            ],
        )
        subjects = [
            Subject.objects.create(school=school, name=f"Subject {s}", scale=scale)
            for s in range(SUBJECTS)
        ]
        enrolments, teacher_links, assignments, class_of = [], [], [], []
        t = 0
        for s in range(SUBJECTS):
            for c in range(classes_count):
                tc = TeachingClass.objects.create(
                    school=school, name=f"S{s} C{c}", academic_year=year
                )
                members = pupil_ids[c * CLASS_SIZE : (c + 1) * CLASS_SIZE]
                enrolments += [
                    {"school_id": school.pk, "teaching_class_id": tc.pk, "pupil_id": p}
                    for p in members
                ]
                teacher_links.append(
                    {
                        "school_id": school.pk,
                        "teaching_class_id": tc.pk,
                        "teacher_id": teacher_ids[t],
                    }
                )
                assignments += [
                    {
                        "school_id": school.pk,
                        "teaching_class_id": tc.pk,
                        "title": f"Task {a}",
                        "max_mark": 20,
                        "created_by_id": teacher_ids[t],
                    }
                    for a in range(ASSIGNMENTS)
                ]
                class_of += [(members, teacher_ids[t])] * ASSIGNMENTS
                t += 1
        _insert(Enrolment, enrolments)
        _insert(ClassTeacher, teacher_links)
        assignment_ids = _insert(Assignment, assignments)
        marks = []
        for a_id, (members, teacher) in zip(assignment_ids, class_of, strict=True):
            for p in members:
                marks.append(
                    {
                        "school_id": school.pk,
                        "assignment_id": a_id,
                        "pupil_id": p,
                        "score": rng.randrange(21),
                        "status": "marked",
                        "feedback": "Good work; show your method.",
                        "updated_by_id": teacher,
                    }
                )
            if len(marks) >= BATCH:
                _insert(Mark, marks)
                marks = []
        _insert(Mark, marks)
        _insert(
            Target,
            [
                {
                    "school_id": school.pk,
                    "pupil_id": p,
                    "subject_id": s.pk,
                    "grade_id": grades[rng.randrange(len(grades))],
                    "source": "ks2",
                    "path": "flat",
                }
                for p in pupil_ids
                for s in subjects
            ],
        )
        for d in range(DROPS):
            drop = DataDrop.objects.create(
                school=school, name=f"Drop {d}", date=f"2026-{d + 1:02d}-15"
            )
            field = DropField.objects.create(
                school=school, drop=drop, key="working_at", label="Working at"
            )
            _insert(
                TrackingEntry,
                [
                    {
                        "school_id": school.pk,
                        "drop_id": drop.pk,
                        "field_id": field.pk,
                        "pupil_id": p,
                        "subject_id": s.pk,
                        "grade_id": grades[rng.randrange(len(grades))],
                    }
                    for p in pupil_ids
                    for s in subjects
                ],
            )
        # The access log: staff reading and changing pupils (not a valid hash chain: the
        # export reads the events, it does not verify them).
        seq = AuditEvent.objects.filter(school=school).count() + 1000
        events = []
        for i in range(pupils * EVENTS_PER_PUPIL):
            p = pupil_ids[i % pupils]
            actor = teacher_ids[rng.randrange(len(teacher_ids))]
            events.append(
                {
                    "school_id": school.pk,
                    "seq": seq + i,
                    "at": now,
                    "actor_id": actor,
                    "actor_label": "T Bench (teacher)",
                    "action": "rosters.pupil.viewed",
                    "target_type": "rosters.pupil",
                    "target_id": str(p),
                    "ip": "192.0.2.1",
                    "data": {},
                    "data_digest": "0" * 64,
                    "prev_hash": "0" * 64,
                    "hash": "0" * 64,
                }
            )
            if len(events) >= BATCH:
                _insert(AuditEvent, events)
                events = []
        _insert(AuditEvent, events)
    _analyze()
    marks_n = pupils * SUBJECTS * ASSIGNMENTS
    log(
        f"   {label}: {pupils} pupils, {marks_n} marks, {pupils * EVENTS_PER_PUPIL} log "
        f"events seeded in {time.perf_counter() - began:.1f} s"
    )
    return school, admin, pupil_ids[len(pupil_ids) // 2]


def _analyze() -> None:
    """Planner statistics, as a database in use has them (PostgreSQL's autovacuum; on
    SQLite `PRAGMA optimize`). Without them SQLite, seeing `school_id = ?` and
    `pupil_id = ?` as equally selective, walks the whole school's rows of a table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def time_export(school, dpo, pupil_id: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """One export of the pupil: (wall seconds, CPU seconds of this process)."""
    from markbook.core import keys
    from markbook.core.tenancy import school_scope
    from markbook.privacy.export.services import export_run, export_start
    from markbook.rosters.models import Pupil

    keys.forget_cached_keys()  # each run fetches the key as the worker would
    with school_scope(school):
        pupil = Pupil.objects.get(pk=pupil_id)
        began, cpu = time.perf_counter(), time.process_time()
        item = export_start(school=school, requested_by=dpo, pupil=pupil, enqueue=False)
        item = export_run(item.pk)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    if item.state != "ready":
        raise RuntimeError(f"the export failed: {item.error}")
    return seconds, cpu


def time_floor(school, pupil_id: int, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """The pupil's marks and log events, each read with one bare SELECT."""
    from django.db import connection

    from markbook.core.tenancy import school_scope

    best = float("inf")
    for _ in range(repeat):
        with school_scope(school), connection.cursor() as cursor:
            began = time.perf_counter()
            cursor.execute(
                "SELECT * FROM assessment_mark WHERE school_id = %s AND pupil_id = %s",
                [school.pk, pupil_id],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT * FROM audit_auditevent WHERE school_id = %s AND target_type = %s "
                "AND target_id = %s",
                [school.pk, "rosters.pupil", str(pupil_id)],
            )
            cursor.fetchall()
            best = min(best, time.perf_counter() - began)
    return best


def time_erasure(school, dpo, pupil_id: int, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """The erasure of one pupil (DSR-4; target under 2 s): the impact check, then the
    erasure as checked, in the school's scope; the best of `repeat`, each on another
    pupil seeded alike (an erasure cannot be repeated on one). Run after the exports,
    as it deletes."""
    from markbook.core.tenancy import school_scope
    from markbook.privacy.erasure import erasure_execute, erasure_impact
    from markbook.rosters.models import Pupil

    with school_scope(school):
        ids = [
            pupil_id,
            *Pupil.objects.exclude(pk=pupil_id).order_by("pk").values_list("pk", flat=True),
        ]
    best = float("inf")
    for chosen in ids[:repeat]:
        with school_scope(school):
            pupil = Pupil.objects.get(pk=chosen)
            began = time.perf_counter()
            plan = erasure_impact(school=school, subject=pupil)
            erasure_execute(school=school, subject=pupil, approved_plan=plan, by=dpo)
            best = min(best, time.perf_counter() - began)
    return best


def run_backend(*, backend: str, scale: float, repeat: int, log=print) -> list[Timing]:  # type: ignore[no-untyped-def]
    """Both schools seeded, then their exports timed in turn, `repeat` times (best kept):
    a machine busy with other work slows both alike."""
    large = max(10, round(PUPILS * scale))
    small = max(3, large // 10)
    per_pupil = SUBJECTS * ASSIGNMENTS + EVENTS_PER_PUPIL
    worlds = {
        label: seed(pupils, label, log) for label, pupils in (("small", small), ("large", large))
    }
    best: dict[str, float] = {}
    for _ in range(repeat):
        for label, (school, dpo, pupil_id) in worlds.items():
            wall, cpu = time_export(school, dpo, pupil_id)
            floor = time_floor(school, pupil_id, 1)
            for phase, seconds in (
                (f"export {label}", wall),
                (f"export cpu {label}", cpu),
                (f"floor {label}", floor),
            ):
                best[phase] = min(best.get(phase, seconds), seconds)
    timings = []
    for label, (school, dpo, pupil_id) in worlds.items():
        for phase in (f"floor {label}", f"export {label}", f"export cpu {label}"):
            timings.append(Timing(backend, phase, per_pupil, best[phase]))
        erasure = time_erasure(school, dpo, pupil_id, repeat)
        timings.append(Timing(backend, f"erasure {label}", per_pupil, erasure))
    return timings


def report(timings: list[Timing], scale: float) -> str:
    lines = [f"{'backend':<11} {'phase':<17} {'rows':>6} {'seconds':>8} {'x floor':>8}"]
    by = {(t.backend, t.phase): t for t in timings}
    for t in timings:
        size = t.phase.split()[-1]
        floor = by[(t.backend, f"floor {size}")].seconds
        lines.append(
            f"{t.backend:<11} {t.phase:<17} {t.rows:>6} {t.seconds:>8.3f} {t.seconds / floor:>8.1f}"
        )
    for backend in sorted({t.backend for t in timings}):
        small, large = by[(backend, "export small")], by[(backend, "export large")]
        cpu_small, cpu_large = by[(backend, "export cpu small")], by[(backend, "export cpu large")]
        ok = large.seconds < EXPORT_TARGET_S
        lines.append(
            f"{backend}: export large/small school = {large.seconds / small.seconds:.2f} wall, "
            f"{cpu_large.seconds / cpu_small.seconds:.2f} CPU of this process "
            f"(about 1: does not grow with the school); under {EXPORT_TARGET_S} s: "
            f"{'yes' if ok else 'no'}"
        )
        e_small, e_large = by[(backend, "erasure small")], by[(backend, "erasure large")]
        lines.append(
            f"{backend}: erasure large/small school = {e_large.seconds / e_small.seconds:.2f}; "
            f"under {ERASURE_TARGET_S} s: {'yes' if e_large.seconds < ERASURE_TARGET_S else 'no'}"
        )
    lines.append(
        f"scale {scale}: large school {max(10, round(PUPILS * scale))} pupils, "
        f"{max(10, round(PUPILS * scale)) * SUBJECTS * ASSIGNMENTS} marks, "
        f"{max(10, round(PUPILS * scale)) * EVENTS_PER_PUPIL} log events"
    )
    return "\n".join(lines)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 1,500 pupils, ~1M marks")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--worker", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _run_worker(backend: str, url: str, data_dir: str, args: argparse.Namespace) -> list[Timing]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        backend,
        "--database-url",
        url,
        "--data-dir",
        data_dir,
        "--scale",
        str(args.scale),
        "--repeat",
        str(args.repeat),
    ]
    print(f"== {backend}: scale {args.scale}, best of {args.repeat}", flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, cwd=ROOT)
    return [Timing(**t) for t in json.loads(done.stdout.strip().splitlines()[-1])]


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if args.worker:
        mis._setup_django(args.database_url, args.data_dir)
        mis._check_rls()
        timings = run_backend(
            backend=args.worker,
            scale=args.scale,
            repeat=args.repeat,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
        print(json.dumps([asdict(t) for t in timings]))
        return
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="markbook-bench-") as tmp:
        timings += _run_worker("sqlite", f"sqlite:///{tmp}/bench.sqlite3", tmp, args)
        if args.postgres:
            timings += _run_worker("postgresql", args.postgres, tmp, args)
        elif not args.no_postgres:
            if mis._postgres_up():
                with mis.ThrowawayPostgres() as url:
                    timings += _run_worker("postgresql", url, tmp, args)
            else:
                print("== PostgreSQL not reachable on 127.0.0.1:5432: SQLite only", flush=True)
    print()
    print(report(timings, args.scale))
    # Wall times count waiting for a CPU; on a shared machine compare the CPU lines.
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
