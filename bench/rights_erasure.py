"""Benchmark of erasing one pupil (DSR-4) in a school of 1,500 pupils, at two sizes.

    .venv/bin/python bench/rights_erasure.py [--pupils 1500] [--scale 1.0] [--repeat 3]
        [--postgres URL | --no-postgres]

Seeds one school with `--pupils` pupils (each with a sign-in account and a parent),
a class per 30 pupils, assignments with a mark for every pupil (about half a million
marks at --scale 1), and access-log events (about half a million: mark changes naming
the pupil, reads of their record), all with bulk inserts; then times
`erasure_impact` + `erasure_execute` of one pupil, best of `--repeat` (a different
pupil each time). It does so at `--scale` and at a tenth of it, so the figures show
whether the time grows with the school's size. Target: under 2 s, and the large
size within 2x the small one. The erased pupil's own rows grow with the scale too
(ten times the marks and log events), so the table also gives the time per row of
theirs: flat or falling means the school's other rows do not count. SQLite and PostgreSQL (a throwaway role NOSUPERUSER
NOBYPASSRLS on 127.0.0.1:5432), as bench/import_mis.py runs them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_mis as mis  # the databases and processes

Timing = mis.Timing
TARGET_SECONDS = 2.0
TARGET_GROWTH = 2.0
CLASS_SIZE = 30
MARKS_PER_PUPIL = 333  # x 1,500 pupils: about half a million marks at scale 1
EVENTS_PER_PUPIL = 333  # about half a million log events at scale 1


def seed(pupils: int, scale: float, log=print):  # type: ignore[no-untyped-def]
    """A school of `pupils` pupils with marks and log events (`scale` of a million)."""
    import hashlib

    from django.utils import timezone

    from markbook.accounts.models import Membership, User
    from markbook.assessment.models import Assignment, Mark
    from markbook.audit import services as audit
    from markbook.audit.models import AuditEvent
    from markbook.core.rows import insert_rows
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import Enrolment, GuardianLink, Pupil, TeachingClass
    from markbook.schools.years import academic_year_current

    started = time.perf_counter()
    school, admin = mis.fresh_school("erasure")
    marks_each = max(1, round(MARKS_PER_PUPIL * scale))
    events_each = max(1, round(EVENTS_PER_PUPIL * scale))
    now = timezone.now()
    with school_scope(school):
        tag = school.pk
        user_ids = insert_rows(
            User,
            [
                {
                    "username": f"b{tag}:pupil.{i}",
                    "first_name": f"Pupil{i}",
                    "last_name": f"Bench{i}",
                    "email": f"pupil.{i}.{tag}@bench.example",
                    "password": "!",
                }
                for i in range(pupils)
            ],
            now=now,
        )
        parent_ids = insert_rows(
            User,
            [
                {
                    "username": f"parent.{i}.{tag}@bench.example",
                    "email": f"parent.{i}.{tag}@bench.example",
                    "first_name": f"Parent{i}",
                    "last_name": f"Bench{i}",
                    "password": "!",
                }
                for i in range(pupils)
            ],
            now=now,
        )
        insert_rows(
            Membership,
            [{"school_id": tag, "user_id": u, "role": "pupil"} for u in user_ids]
            + [{"school_id": tag, "user_id": u, "role": "parent"} for u in parent_ids],
            now=now,
        )
        pupil_ids = insert_rows(
            Pupil,
            [
                {
                    "school_id": tag,
                    "user_id": user_ids[i],
                    "first_name": f"Pupil{i}",
                    "last_name": f"Bench{i}",
                    "username": f"pupil.{i}",
                    "email": f"pupil.{i}.{tag}@bench.example",
                    "mis_id": f"M{i:05d}",
                    "year_group": str(7 + i % 5),
                }
                for i in range(pupils)
            ],
            now=now,
        )
        insert_rows(
            GuardianLink,
            [
                {"school_id": tag, "parent_id": parent_ids[i], "pupil_id": pupil_ids[i]}
                for i in range(pupils)
            ],
            now=now,
        )
        year = academic_year_current(school)
        class_ids = insert_rows(
            TeachingClass,
            [
                {"school_id": tag, "name": f"Class {c}", "academic_year_id": year.pk}
                for c in range(0, pupils, CLASS_SIZE)
            ],
            now=now,
        )
        insert_rows(
            Enrolment,
            [
                {"school_id": tag, "teaching_class_id": class_ids[i // CLASS_SIZE], "pupil_id": p}
                for i, p in enumerate(pupil_ids)
            ],
            now=now,
        )
        assignments = {
            c: insert_rows(
                Assignment,
                [
                    {"school_id": tag, "teaching_class_id": c, "title": f"Test {a}", "max_mark": 20}
                    for a in range(marks_each)
                ],
                now=now,
            )
            for c in class_ids
        }
        for start in range(0, pupils, CLASS_SIZE):
            members = pupil_ids[start : start + CLASS_SIZE]
            rows = [
                {
                    "school_id": tag,
                    "assignment_id": a,
                    "pupil_id": p,
                    "score": (a + p) % 21,
                    "updated_by_id": admin.pk,
                }
                for a in assignments[class_ids[start // CLASS_SIZE]]
                for p in members
            ]
            insert_rows(Mark, rows, now=now)
        # The log: one chain, valid, events naming each pupil (mark changes, reads).
        seq, prev = audit._chain_end(tag)
        batch: list[dict] = []
        total = 0
        for i, p in enumerate(pupil_ids):
            for n in range(events_each):
                reading = n % 3 == 0
                data = {"for": "edit"} if reading else {"pupil": p, "old": "3", "new": "4"}
                row = {
                    "school_id": tag,
                    "seq": seq,
                    "at": now,
                    "actor_id": admin.pk,
                    "actor_label": admin.email,
                    "action": "rosters.pupil.viewed" if reading else "assessment.mark.recorded",
                    "target_type": "rosters.pupil" if reading else "assessment.mark",
                    "target_id": str(p if reading else n),
                    "ip": None,
                    "data": data,
                    "data_digest": hashlib.sha256(audit._canonical(data)).hexdigest(),
                    "prev_hash": prev,
                }
                row["pupil_ref"], row["user_ref"] = audit.person_refs(
                    row["target_type"], row["target_id"], data
                )
                row["actor_digest"] = audit._actor_digest_of(row)
                row["target_digest"] = audit._target_digest_of(row)
                row["hash"] = prev = audit._link_hash_of(row)
                batch.append(row)
                seq += 1
            if len(batch) >= 20_000 or i == len(pupil_ids) - 1:
                insert_rows(AuditEvent, batch, now=now)
                total += len(batch)
                batch = []
        marks = Mark.objects.count()
    log(
        f"   seeded {pupils} pupils, {marks} marks, {total} log events in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return school, admin, pupil_ids, marks + total


def bench_erasure(
    *, backend: str, pupils: int = 1500, scale: float = 1.0, repeat: int = 3, log=print
) -> list[Timing]:  # type: ignore[no-untyped-def]
    """Erase one pupil (impact check, then the erasure) at `scale` and a tenth of it;
    the best time of `repeat` at each size (each a different pupil)."""
    from django.db import connection

    from markbook.core.tenancy import school_scope
    from markbook.privacy.erasure import erasure_execute, erasure_impact
    from markbook.rosters.models import Pupil

    timings = []
    for size in (scale / 10, scale):
        school, admin, pupil_ids, rows = seed(pupils, size, log)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        best = None
        own = 0
        for attempt in range(repeat):
            with school_scope(school):
                pupil = Pupil.objects.get(pk=pupil_ids[attempt * 7 + 3])
                start = time.perf_counter()
                plan = erasure_impact(school=school, subject=pupil)
                checked = time.perf_counter() - start
                outcome = erasure_execute(
                    school=school, subject=pupil, approved_plan=plan, by=admin
                )
                seconds = time.perf_counter() - start
            log(
                f"   {size:g}: erased {outcome.rows_deleted} rows and redacted "
                f"{outcome.log_events_redacted} log events in {seconds:.3f} s "
                f"(impact check {checked:.3f} s)"
            )
            best = seconds if best is None else min(best, seconds)
            own = outcome.rows_deleted + outcome.log_events_redacted
        assert best is not None
        # The phase names the pupil's own rows: they grow with the scale too (a pupil
        # with ten times the marks), the school's other rows are what must not count.
        timings.append(Timing(backend, f"x{size:g}:{own}", rows, best))
    return timings


def report(timings: list[Timing]) -> str:
    lines = [
        f"{'backend':<11} {'size':<6} {'school rows':>11} {'pupil rows':>10} "
        f"{'seconds':>8} {'x small':>8} {'ms/pupil row':>12}"
    ]
    small: dict[str, float] = {}
    for t in timings:
        small.setdefault(t.backend, t.seconds)
        size, own = t.phase.split(":")
        lines.append(
            f"{t.backend:<11} {size:<6} {t.rows:>11} {own:>10} {t.seconds:>8.3f} "
            f"{t.seconds / small[t.backend]:>8.2f} {1000 * t.seconds / max(int(own), 1):>12.2f}"
        )
    for backend, base in small.items():
        large = [t for t in timings if t.backend == backend][-1]
        fast = large.seconds < TARGET_SECONDS
        flat = large.seconds <= TARGET_GROWTH * base
        lines.append(
            f"{backend}: under {TARGET_SECONDS:g} s: {'yes' if fast else 'no'}; "
            f"within {TARGET_GROWTH:g}x of the small school: {'yes' if flat else 'no'}"
        )
    return "\n".join(lines)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=1500)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: about a million rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _run_worker(backend: str, url: str, data_dir: str, args: argparse.Namespace) -> list[Timing]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        *("--worker", backend, "--database-url", url, "--data-dir", data_dir),
        *("--pupils", str(args.pupils), "--scale", str(args.scale), "--repeat", str(args.repeat)),
    ]
    print(f"== {backend}: {args.pupils} pupils, scale {args.scale:g}, best of {args.repeat}")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, cwd=mis.ROOT)
    return [Timing(**t) for t in json.loads(done.stdout.strip().splitlines()[-1])]


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if args.worker:
        mis._setup_django(args.database_url, args.data_dir)
        mis._check_rls()
        timings = bench_erasure(
            backend=args.worker,
            pupils=args.pupils,
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
        elif not args.no_postgres and mis._postgres_up():
            with mis.ThrowawayPostgres() as url:
                timings += _run_worker("postgresql", url, tmp, args)
    print()
    print(report(timings))


if __name__ == "__main__":
    main()
