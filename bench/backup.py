"""Benchmark of backup and restore (SEC-5): the demo trust backed up and restored.

    .venv/bin/python bench/backup.py [--postgres URL | --no-postgres] [--repeat 3]

Seeds the demo trust (`markbook markbook_demo`) into a scratch database, then times,
inside one process each (Django's start-up not counted):
- backup: `backup_write` of the whole database (the snapshot, sealing, the zip);
- restore: `restore_read` into a second scratch database, migrated and empty;
and checks the restored access log with `markbook audit_verify`. The baseline, measured
in the same run on the same data, is the database's own plain copy, which neither
encrypts per school nor forgets a deleted one: SQLite's online backup API to a file and
back into an empty one; PostgreSQL's `pg_dump -Fc` and `pg_restore` into an empty
database (as the superuser: pg_dump under row-level security sees no rows). The ratios
printed are Markbook's time over the baseline's. On SQLite, and on
PostgreSQL through a throwaway role without SUPERUSER or BYPASSRLS (so row-level
security binds, as in production) when `--postgres` gives a superuser URL (default
postgres://postgres@127.0.0.1:5432/postgres; `--no-postgres` skips it).

Measured on 2026-12-03 (a 2-CPU machine, otherwise idle; best of 2; the demo trust,
162,800 rows): SQLite backup 0.99 s (plain copy 0.06 s, ratio 15.7), restore 1.22 s
(0.05 s, 24.7); PostgreSQL backup 1.37 s (pg_dump 0.37 s, 3.7), restore 9.27 s
(pg_restore 1.44 s, 6.5); the file 2.8-3.0 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKBOOK = [str(ROOT / ".venv" / "bin" / "python"), "-m", "markbook"]

TIMED = """
import json, sys, time
import django
django.setup()
from pathlib import Path
from markbook.core.backup import backup_write, restore_read
what, path, keys = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
start, cpu = time.perf_counter(), time.process_time()
if what == "backup":
    manifest = backup_write(path)
    rows = sum(t["rows"] for t in manifest["tables"])
else:
    rows = restore_read(path, keys_path=Path(keys)).total
print(json.dumps({"seconds": time.perf_counter() - start,
                  "cpu": time.process_time() - cpu, "rows": rows}))
"""


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*MARKBOOK, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"markbook {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _timed(env: dict[str, str], what: str, path: Path, keys: Path) -> dict[str, float]:
    done = subprocess.run(
        [MARKBOOK[0], "-c", TIMED, what, str(path), str(keys)],
        env={**env, "DJANGO_SETTINGS_MODULE": "markbook.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["MARKBOOK_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _psql(url: str, sql: str) -> None:
    quiet = {**os.environ, "PGOPTIONS": "--client-min-messages=warning"}
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, env=quiet)


def _clock(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _sqlite_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _sqlite_baseline(data_dir: Path, work: Path) -> tuple[float, float]:
    """The best backup and restore of SQLite's own online backup API (seconds)."""
    plain, back = work / "plain.sqlite3", work / "back.sqlite3"
    database = data_dir / "markbook.sqlite3"
    backup = min(_clock(lambda: _sqlite_copy(database, plain)) for _ in range(2))
    restore = min(_clock(lambda: _sqlite_copy(plain, back)) for _ in range(2))
    return backup, restore


def _pg_baseline(admin: str, source_db: str, work: Path) -> tuple[float, float]:
    """The best `pg_dump -Fc` of the source and `pg_restore` into an empty database."""
    dump, scratch = work / "plain.dump", f"{source_db}_plain"
    base = admin.rsplit("/", 1)[0]
    backup = min(
        _clock(
            lambda: subprocess.run(
                ["pg_dump", "-Fc", "-f", str(dump), f"{base}/{source_db}"], check=True
            )
        )
        for _ in range(2)
    )
    restores = []
    for _ in range(2):
        _psql(admin, f"DROP DATABASE IF EXISTS {scratch}")
        _psql(admin, f"CREATE DATABASE {scratch}")
        restores.append(
            _clock(
                lambda: subprocess.run(
                    ["pg_restore", "--no-owner", "-d", f"{base}/{scratch}", str(dump)], check=True
                )
            )
        )
    _psql(admin, f"DROP DATABASE IF EXISTS {scratch}")
    return backup, min(restores)


Baseline = Callable[[Path, Path], tuple[float, float]]


def measure(
    name: str, source_url: str | None, target_url: str | None, repeat: int, baseline: Baseline
) -> None:
    work = Path(tempfile.mkdtemp(prefix="mb-bench-backup-"))
    try:
        source, target = work / "source", work / "target"
        source.mkdir()
        target.mkdir()
        src_env, dst_env = _env(source, source_url), _env(target, target_url)
        _run(src_env, "migrate", "--no-input", "-v", "0")
        _run(src_env, "markbook_demo")
        # The same master key on both sides, as a restore on a new machine needs.
        shutil.copy(source / "secrets.json", target / "secrets.json")
        backups, restores = [], []
        backup, keys = work / "demo.mbk", work / "keys.json"
        for _ in range(repeat):
            backups.append(_timed(src_env, "backup", backup, keys))
        _run(src_env, "keys_backup", "--output", str(keys))
        for n in range(repeat):
            if n:
                if target_url:
                    _psql(target_url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                else:
                    (target / "markbook.sqlite3").unlink()
            _run(dst_env, "migrate", "--no-input", "-v", "0")
            restores.append(_timed(dst_env, "restore", backup, keys))
        verified = _run(dst_env, "audit_verify").strip()
        plain_b, plain_r = baseline(source, work)
        best_b = min(backups, key=lambda r: r["seconds"])
        best_r = min(restores, key=lambda r: r["seconds"])
        print(
            f"{name}: {int(best_b['rows'])} rows, backup file {backup.stat().st_size / 1e6:.1f} MB\n"
            f"  backup  {best_b['seconds']:.2f} s (CPU {best_b['cpu']:.2f} s); "
            f"baseline {plain_b:.2f} s, ratio {best_b['seconds'] / plain_b:.1f}\n"
            f"  restore {best_r['seconds']:.2f} s (CPU {best_r['cpu']:.2f} s), "
            f"{int(best_r['rows'])} rows; baseline {plain_r:.2f} s, "
            f"ratio {best_r['seconds'] / plain_r:.1f}\n"
            f"  audit_verify: {verified}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    measure("SQLite", None, None, args.repeat, _sqlite_baseline)
    if args.no_postgres or not shutil.which("psql"):
        return
    tag = uuid.uuid4().hex[:8]
    role, dbs = f"mb_bench_backup_{tag}", [f"mb_bench_bk_src_{tag}", f"mb_bench_bk_dst_{tag}"]
    base = args.postgres.rsplit("/", 1)[0]
    _psql(args.postgres, f"CREATE ROLE {role} LOGIN PASSWORD 'x' NOSUPERUSER NOBYPASSRLS")
    try:
        for db in dbs:
            _psql(args.postgres, f"CREATE DATABASE {db} OWNER {role}")
        host = base.split("@", 1)[1]
        urls = [f"postgres://{role}:x@{host}/{db}" for db in dbs]
        measure(
            "PostgreSQL",
            urls[0],
            urls[1],
            args.repeat,
            lambda _data, work: _pg_baseline(args.postgres, dbs[0], work),
        )
    finally:
        for db in dbs:
            _psql(args.postgres, f"DROP DATABASE IF EXISTS {db}")
        _psql(args.postgres, f"DROP ROLE IF EXISTS {role}")


if __name__ == "__main__":
    main()
