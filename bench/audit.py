"""Benchmark of the access log's verifier (SEC-1): `audit_verify` on a long chain.

    .venv/bin/python bench/audit.py [--events 100000] [--repeat 3] [--postgres URL]

Seeds one school's chain with `--events` events (with `record_many`, in batches of
10,000: an address, an actor, a target id and a small data dict each, as staff reads
are) in a throwaway SQLite database (or the PostgreSQL database given, its role
without SUPERUSER or BYPASSRLS), then times, best of `--repeat`:

- before: the chain rule before the keyed chain (plain SHA-256 of the data, of
  (actor id, label, address) and of the target id, and of the link), replayed over
  the same rows read the same way: what `audit_verify` cost under that rule;
- after: `chains_verify()`, the verifier of the keyed chain (a salted commitment per
  field, an HMAC per link), as `audit_verify` runs it;
- heads: the head-file comparison `audit_verify` adds (`heads_check`), after one
  `audit_heads_write` per 1,000 events (a year of hourly heads is about 8,800 lines).

Measured on SQLite, 100,000 events, best of 2, on a shared 2-CPU machine (load
average 8 to 18, so CPU seconds are the figure to compare):
- the verifier before this change (its own code, run at commit eb7321b): 10.5 s
  wall, 2.9 s CPU (unloaded earlier: 11.6 s wall);
- the keyed chain's `chains_verify`: 9.3 s wall, 3.7 s CPU (1.25x the old CPU);
  the replayed old rule in the same run 3.2 s CPU; `heads_check` over 100 heads
  about 0.005 s;
- seeding with `record_many`: 12.9 s before, 30.3 s after (seven salted digests,
  random salts and an HMAC per event: about 0.17 ms more per event written).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 10_000


def _sha(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(text).hexdigest()


def legacy_verify(school_id: int) -> int:
    """The verifier's work under the chain rule before the keyed chain (digests of who
    and whom, an unkeyed link hash), over the same rows; the events read."""
    from markbook.audit.models import AuditEvent
    from markbook.core.tenancy import all_schools

    count = 0
    with all_schools():
        events = AuditEvent.objects.filter(school_id=school_id).order_by("seq").iterator(2000)
        for e in events:
            _sha(e.data)
            actor = _sha({"actor_id": e.actor_id, "actor_label": e.actor_label, "ip": e.ip})
            target = _sha({"target_id": e.target_id})
            _sha(
                {
                    "school": e.school_id,
                    "seq": e.seq,
                    "at": e.at.isoformat(),
                    "action": e.action,
                    "target_type": e.target_type,
                    "actor_digest": actor,
                    "target_digest": target,
                    "data_digest": e.data_digest,
                    "prev": e.prev_hash,
                }
            )
            count += 1
    return count


def seed(events: int, heads_every: int) -> int:
    from markbook.audit import services as audit
    from markbook.audit.context import Origin, current
    from markbook.schools.services import school_create

    made = school_create(name="Bench audit", admin_email="admin@bench.example")
    token = current.set(Origin(ip="203.0.113.7"))
    heads: Callable[[], int] | None
    try:
        from markbook.audit.heads import heads_write

        heads = heads_write
    except ImportError:  # before the head file existed
        heads = None
    try:
        written = 0
        while written < events:
            n = min(BATCH, events - written)
            audit.record_many(
                actor=made.admin,
                school=made.school,
                events=[
                    ("rosters.pupil.viewed", None, {"pupil": i % 1500, "page": "record"})
                    for i in range(n)
                ],
            )
            written += n
            if heads is not None:
                for _ in range(max(1, n // heads_every)):
                    heads()
    finally:
        current.reset(token)
    return made.school.pk


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The best wall-clock and CPU seconds of `repeat` runs (CPU: the machine is shared)."""
    times = []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - began, time.process_time() - cpu))
    return min(t[0] for t in times), min(t[1] for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database to use")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="markbook-bench-audit-") as tmp:
        os.environ["DATABASE_URL"] = args.postgres or f"sqlite:///{tmp}/bench.sqlite3"
        os.environ["MARKBOOK_DATA_DIR"] = tmp
        os.environ["MARKBOOK_AUDIT_HEAD_FILE"] = f"{tmp}/audit-heads.log"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markbook.settings")
        sys.path.insert(0, str(ROOT / "src"))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        from django.db import connection

        from markbook.audit import services as audit

        began = time.perf_counter()
        school_id = seed(args.events, 1000)
        print(f"seeded {args.events} events in {time.perf_counter() - began:.1f} s")
        before = best(lambda: legacy_verify(school_id), args.repeat)
        after = best(lambda: audit.chains_verify(school_id=school_id), args.repeat)
        result = audit.chains_verify(school_id=school_id)
        assert not result.breaks, result.breaks
        print(f"{connection.vendor}, {result.events} events, best of {args.repeat}:")
        print(f"  before (unkeyed rule, replayed): {before[0]:.2f} s, CPU {before[1]:.2f} s")
        print(
            f"  after  (chains_verify):          {after[0]:.2f} s, CPU {after[1]:.2f} s "
            f"({after[1] / before[1]:.2f}x CPU)"
        )
        try:
            from markbook.audit.heads import heads_check
        except ImportError:  # before the head file existed
            return
        heads = best(heads_check, args.repeat)
        print(f"  heads  (heads_check):            {heads[0]:.2f} s, CPU {heads[1]:.2f} s")


if __name__ == "__main__":
    main()
