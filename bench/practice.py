"""Micro-benchmark of answering a practice question (ASM-2): the hot path.

    .venv/bin/python bench/practice.py [--pupils 50] [--answers 2000]

On a throwaway SQLite database, or the PostgreSQL database DATABASE_URL names (its
tables are made by migrate; use a database of your own), through Django's test
client with every middleware (session, scope, admission), one process, one thread:

- answer: `POST /api/schools/{id}/practice/attempts/{id}/answers`, round robin over
  the pupils' attempts of the times-tables practice (the answer worked out from the
  prompt, so most are right and earn points), median, p95, p99 and its query count
  (all of them, and the answer's own inside its transaction);
- service: `answering.item_answer` alone, without the request around it;
- floor: one bare INSERT of an item row in a transaction, median.

The rate limits and the fair-use check are off here (a benchmark is a script: its
pupils would be suspended); the check itself costs no query. This is one thread;
throughput under gunicorn/granian with many clients is for a load test to measure.
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


def _setup_django(data_dir: str) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{data_dir}/bench.sqlite3")
    os.environ["MARKBOOK_DATA_DIR"] = data_dir
    os.environ["MARKBOOK_PRACTICE_FAIR_USE"] = "0"
    os.environ["MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE"] = "0"
    os.environ["MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE_PER_ADDRESS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markbook.settings")
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _world(pupils: int):  # type: ignore[no-untyped-def]
    """A school with `pupils` pupils signed in, each with an attempt at the tables."""
    from django.conf import settings

    from markbook.accounts.models import Membership, User
    from markbook.core.tenancy import school_scope
    from markbook.practice import answering, banks
    from markbook.practice.models import QuestionSet
    from markbook.rosters.models import Pupil
    from markbook.schools.models import School, TermsAcceptance

    stamp = int(time.time() * 1000) % 10**8
    school = School.objects.create(
        name=f"Practice bench {stamp}", urn=f"{stamp:08d}"[:6], status=School.Status.ACTIVE
    )
    people = []
    with school_scope(school):
        TermsAcceptance.objects.create(
            school=school, version=settings.MARKBOOK_TERMS_VERSION, accepted_by_name="Bench"
        )
        banks.builtin_sets_ensure(school=school)
        tables = QuestionSet.objects.get(generator__builtin="tables-practice")
        tables.question_count = 1000  # long attempts: the loop never restarts one
        tables.save(update_fields=["question_count"])
        for n in range(pupils):
            user = User.objects.create(username=f"bench.{stamp}.{n}", email="")
            Membership.objects.create(school=school, user=user, role=Membership.Role.PUPIL)
            pupil = Pupil.objects.create(
                school=school, user=user, first_name="P", last_name=str(n), username=f"p{n}"
            )
            attempt = answering.attempt_start(pupil=pupil, question_set=tables)
            people.append((user, attempt))
    return school, people


def _solve(prompt: str) -> str:
    left, sign, right = prompt.split(" ")
    a, b = int(left), int(right)
    return str(a * b if sign == "×" else a // b)


def _answers(school, people, count: int):  # type: ignore[no-untyped-def]
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = []
    for user, attempt in people:
        client = Client()
        client.force_login(user)
        question = attempt.current
        clients.append([client, attempt.pk, question.position, _solve(question.prompt)])
    times: list[float] = []
    cpu: list[float] = []
    queries = own = 0
    for n in range(count):
        state = clients[n % len(clients)]
        client, attempt_id, position, answer = state
        url = f"/api/schools/{school.pk}/practice/attempts/{attempt_id}/answers"
        body = json.dumps({"position": position, "response": answer})
        reset_queries()  # the query log keeps only the last 9,000
        with CaptureQueriesContext(connection) as captured:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.post(url, body, content_type="application/json")
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 200, response.content
        question = response.json()["attempt"]["question"]
        state[2], state[3] = question["position"], _solve(question["prompt"])
        queries = len(captured)
        sqls = [q["sql"] for q in captured.captured_queries]
        begin = next(i for i, s in enumerate(sqls) if "FOR UPDATE" in s or "practice_attempt" in s)
        own = len(
            [s for s in sqls[begin:] if "SAVEPOINT" not in s and s not in ("BEGIN", "COMMIT")]
        )
    return times, cpu, queries, own


def _service(school, people, count: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    from markbook.core.tenancy import school_scope
    from markbook.practice import answering
    from markbook.practice.models import Attempt

    times, cpu = [], []
    with school_scope(school):
        current = {a.pk: a for _, a in people}
        ids = list(current)
        for n in range(count):
            attempt = Attempt.objects.select_related("current").get(pk=ids[n % len(ids)])
            item = attempt.current
            start, start_cpu = time.perf_counter(), time.process_time()
            answering.item_answer(
                attempt=attempt, position=item.position, response=_solve(item.prompt)
            )
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return times, cpu


def _floor(school, people, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    from django.db import connection, transaction
    from django.utils import timezone

    from markbook.core.tenancy import school_scope

    _, attempt = people[0]
    times = []
    with school_scope(school):
        for n in range(count):
            start = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO practice_item (school_id, attempt_id, pupil_id, position, "
                    "fact, style, prompt, expected, asked_at, response, timed_out, points) "
                    "VALUES (%s, %s, %s, %s, '7x8', 'x7', '7 × 8', '56', %s, '', false, 0)",
                    [school.pk, attempt.pk, attempt.pupil_id, 30000 + n, timezone.now()],
                )
            times.append(time.perf_counter() - start)
    return times


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * p) - 1))]


def run(pupils: int, answers: int) -> dict[str, float]:
    """Every figure, in milliseconds or counts (Django set up and migrated)."""
    from django.db import connection

    school, people = _world(pupils)
    times, cpu, queries, own = _answers(school, people, answers)
    service, service_cpu = _service(school, people, max(1, answers // 4))
    floor = _floor(school, people, max(1, answers // 4))
    return {
        "vendor": connection.vendor,
        "answer_ms": statistics.median(times) * 1000,
        "answer_p95_ms": _pct(times, 0.95) * 1000,
        "answer_p99_ms": _pct(times, 0.99) * 1000,
        "answer_cpu_ms": statistics.median(cpu) * 1000,
        "answer_queries": queries,
        "answer_own_queries": own,
        "service_ms": statistics.median(service) * 1000,
        "service_cpu_ms": statistics.median(service_cpu) * 1000,
        "floor_ms": statistics.median(floor) * 1000,
    }


def report(figures: dict, pupils: int, answers: int) -> str:
    per_second = 1000 / figures["answer_ms"] if figures["answer_ms"] else 0
    return "\n".join(
        [
            f"practice answering on {figures['vendor']}: {pupils} pupils, {answers} answers, "
            "one thread, Django test client",
            f"  answer request   median {figures['answer_ms']:.2f} ms, p95 "
            f"{figures['answer_p95_ms']:.2f} ms, p99 {figures['answer_p99_ms']:.2f} ms "
            f"({per_second:.0f}/s in one thread); {figures['answer_queries']} queries, "
            f"{figures['answer_own_queries']} of them the answer's own",
            f"  its CPU time     median {figures['answer_cpu_ms']:.2f} ms of this process "
            "(what a busy machine's other work does not inflate as much)",
            f"  service alone    median {figures['service_ms']:.2f} ms, CPU "
            f"{figures['service_cpu_ms']:.2f} ms",
            f"  floor (1 INSERT) median {figures['floor_ms']:.2f} ms; ratio service/floor "
            f"{figures['service_ms'] / figures['floor_ms']:.1f}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pupils", type=int, default=50)
    parser.add_argument("--answers", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        _setup_django(data_dir)
        figures = run(args.pupils, args.answers)
        print(report(figures, args.pupils, args.answers))


if __name__ == "__main__":
    main()
