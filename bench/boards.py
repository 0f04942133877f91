"""Benchmark of the leaderboards' hot path (ASM-6): `boards.answered(item=...)`, which
the answering service calls inside each answer's transaction, against the 1,450
answers a second the answering work targets.

    .venv/bin/python bench/boards.py [--answers 5000] [--pupils 200] [--postgres URL]

Seeds a school with `--pupils` pupils, each with one attempt, then times `answered`
for `--answers` items spread over the pupils (each in its own transaction, as in the
answering service), after one warm-up answer each (the first answer of a week inserts
the pupil's rows; every later one is one UPDATE). Prints answers a second, the
statements per answer, and the ratio to the target. SQLite by default (a temporary
file); `--postgres URL` runs on that database instead (a throwaway one: it is
migrated and written to).

Measured (a shared 2-CPU machine, load average about 7; one connection):
- SQLite, 100 pupils: 1 statement an answer; 12,900 answers a second inside the
  answer's transaction (0.05 s CPU for 2,000), 5,000 a second each committed alone.
- PostgreSQL, 2,000 pupils (each row updated once per transaction): 1,730 answers a
  second inside the transaction (ratio 1.19 to the target; 7.5 times a bare SELECT 1),
  150 a second each committed alone: there the commit's flush to disk is the cost,
  which the answer's own transaction pays anyway. With 100 pupils (each row updated
  twenty times in one transaction) PostgreSQL walks its row versions: 880 a second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_mis as mis  # the databases and processes

TARGET = 1450


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--pupils", type=int, default=200)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="markbook-bench-boards-")
    url = args.postgres or f"sqlite:///{data_dir}/bench.sqlite3"
    mis._setup_django(url, data_dir)

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from markbook.core.tenancy import all_schools, school_scope
    from markbook.practice import boards
    from markbook.practice.models import Attempt, Item, QuestionSet
    from markbook.rosters.models import Pupil
    from markbook.schools.models import School

    with all_schools():
        school = School.objects.create(name=f"Bench School {time.time_ns()}")
    now = timezone.now()
    with school_scope(school):
        pupils = Pupil.objects.bulk_create(
            Pupil(school=school, first_name=f"P{n}", last_name="Bench", username=f"p{n}")
            for n in range(args.pupils)
        )
        qset = QuestionSet.objects.create(
            school=school, title="Trial", kind="times_tables", mode="trial"
        )
        attempts = Attempt.objects.bulk_create(
            Attempt(
                school=school,
                pupil=p,
                question_set=qset,
                mode="trial",
                total=args.answers,
                started_at=now,
                last_active_at=now,
            )
            for p in pupils
        )
        count = args.answers + len(attempts)
        items = Item.objects.bulk_create(
            Item(
                school=school,
                attempt=attempts[n % len(attempts)],
                pupil=pupils[n % len(pupils)],
                position=n // len(attempts),
                fact=f"{2 + n % 11}x{1 + n % 12}",
                style="times",
                asked_at=now,
                answered_at=now,
                correct=n % 5 != 0,
                response_ms=1500 + n % 2000,
                points=10,
            )
            for n in range(count)
        )
        for item in items[: len(attempts)]:  # the first answer of the week: rows inserted
            with transaction.atomic():
                boards.answered(item=item)
        timed = items[len(attempts) :]
        with CaptureQueriesContext(connection) as ctx:
            boards.answered(item=timed[0])
        statements = len(ctx.captured_queries)
        half = len(timed) // 2
        # What `answered` adds to an answer's transaction (the answer's own commit is
        # paid anyway): the calls in one open transaction.
        started, cpu = time.perf_counter(), time.process_time()
        with transaction.atomic():
            for item in timed[1:half]:
                boards.answered(item=item)
        inside = (time.perf_counter() - started, time.process_time() - cpu)
        # Each call in a transaction of its own, its commit included.
        started, cpu = time.perf_counter(), time.process_time()
        for item in timed[half:]:
            with transaction.atomic():
                boards.answered(item=item)
        alone = (time.perf_counter() - started, time.process_time() - cpu)
        # The floor: the same number of the cheapest statement there is.
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for _ in range(half - 1):
                cursor.execute("SELECT 1")
        floor = time.perf_counter() - started
    print(f"database: {connection.vendor}")
    print(f"floor: {half - 1:,} x SELECT 1 in {floor:.2f} s ({(half - 1) / floor:,.0f} a second)")
    print(f"answers timed: {len(timed) - 1:,} over {len(pupils):,} pupils")
    print(f"statements per answer: {statements}")
    for label, (wall, cpu), n in (
        ("inside the answer's transaction", inside, half - 1),
        ("each committed on its own", alone, len(timed) - half),
    ):
        rate = n / wall
        print(
            f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU, {rate:,.0f} answers a second, "
            f"ratio to the target of {TARGET:,}: {rate / TARGET:.2f}, "
            f"to the floor: {wall / floor * (half - 1) / n:.1f}"
        )


if __name__ == "__main__":
    main()
