"""Benchmark of the MIS pupil import against the floor (issue "Rosters from the real world").

    .venv/bin/python bench/import_mis.py [--pupils 2000] [--repeat 3] [--postgres URL]

Generates an MIS export of `--pupils` pupils with every field (valid UPNs, ULNs and
census codes, names from rosters/demo_names.py) and, on SQLite and on PostgreSQL:

- first import: `mis_import(confirm=True)` on a fresh school (parse, validate,
  encrypt, write, audit);
- re-import: the same file again on that school (nothing changes);
- changed: then a file moving every pupil to another registration group (every
  pupil updated, one change event each in the access log); shown, not a target;
- floor: the same rows as the first import wrote them (users, memberships, pupils,
  sensitive values already encrypted) inserted into the same tables of another fresh
  school as fast as the database takes them: COPY on PostgreSQL, one executemany
  per table in one transaction on SQLite.

Each phase is the best of `--repeat` runs, each on fresh schools. The table shows
rows (pupils), seconds, pupils per second and the ratio to the floor; the targets
are: first import within 3x the floor, re-import faster than the first import.

SQLite uses a throwaway database in a temporary directory. PostgreSQL is used when
`--postgres URL` is given (a database of a role without SUPERUSER or BYPASSRLS, so
row-level security applies), or else when a server answers on 127.0.0.1:5432: a
throwaway role (NOSUPERUSER NOBYPASSRLS) and database are then created with
`psql -h 127.0.0.1 -U postgres`, as .ci/run does, and dropped at the end.

On PostgreSQL the pupil and membership tables have FORCEd row-level security, under
which COPY FROM is refused; the floor copies their rows into temporary tables and
moves them with one INSERT ... SELECT each (through the policy, as the import does).
The user table has no policy and takes its COPY directly.

Each backend runs in its own process (Django is set up once per process).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 3.0
PHASES = ("first import", "re-import", "changed", "floor")

HEADER = [
    "Adno",
    "UPN",
    "Legal Surname",
    "Legal Forename",
    "Pseudonym",
    "Year",
    "Reg Group",
    "Gender",
    "Date of Birth",
    "FSM Eligible",
    "Pupil Premium Indicator",
    "SEN Provision",
    "SEN Primary Need",
    "EAL",
    "Gifted and Talented",
    "Ethnicity",
    "KS2 Reading Scaled Score",
    "KS2 Maths Scaled Score",
    "ULN",
]
SEN_NEEDS = ("SPLD", "MLD", "SEMH", "SLCN", "ASD", "VI", "HI", "PD", "OTH")


@dataclass
class Timing:
    backend: str
    phase: str
    rows: int
    seconds: float


# --- The file -------------------------------------------------------------------------


def mis_file(pupils: int, seed: int = 2026, form_shift: int = 0) -> bytes:
    """A secondary school's MIS export (CSV, UTF-8) of `pupils` pupils, every field valid.

    The same seed gives the same pupils; another `form_shift` moves every pupil to
    another registration group (and nothing else)."""
    import csv

    from markbook.core.validators import random_uln, upn_check_letter
    from markbook.rosters import demo_names as n
    from markbook.rosters.services import SEN_NEED_CODES

    rng = random.Random(seed)
    codes = list(n.ETHNICITY_MIX)
    weights = [n.ETHNICITY_MIX[c][0] for c in codes]
    needs = [c for c in SEN_NEEDS if c in SEN_NEED_CODES]
    start = 2026  # academic year 2026/27
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(pupils):
        year = 7 + i * 5 // pupils  # years 7 to 11
        code = rng.choices(codes, weights)[0]
        _, first_group, last_group = n.ETHNICITY_MIX[code]
        sex = rng.choice("MF")
        first = rng.choice((n.BOYS_BY_GROUP if sex == "M" else n.GIRLS_BY_GROUP)[first_group])
        last = rng.choice(n.SURNAMES_BY_GROUP[last_group])
        # LA 801, an establishment, the year issued and a serial: unique in the file.
        body = f"801{4001 + i // 1000:04d}{(start - year) % 100:02d}{i % 1000:03d}"
        upn = upn_check_letter(body) + body
        born = date(start - year - 5, 9, 1) + timedelta(days=rng.randrange(365))
        fsm = rng.random() < 0.2
        roll = rng.random()
        sen = "N" if roll < 0.85 else "K" if roll < 0.97 else "E"
        writer.writerow(
            [
                f"A{i + 1:05d}",
                upn,
                last,
                first,
                "",
                f"Year {year}",
                f"{year}{'ABCDEFGH'[(i + form_shift) % 8]}",
                "MALE" if sex == "M" else "FEMALE",
                born.strftime("%d/%m/%Y"),
                "Y" if fsm else "N",
                "Y" if fsm or rng.random() < 0.04 else "N",
                sen,
                rng.choice(needs) if sen != "N" else "",
                "Y" if rng.random() < n.EAL_CHANCE[first_group] else "N",
                "Y" if rng.random() < 0.05 else "N",
                code,
                max(80, min(120, round(rng.gauss(104, 7)))),
                max(80, min(120, round(rng.gauss(104, 7)))),
                random_uln(rng),
            ]
        )
    return out.getvalue().encode()


# --- The phases (Django set up and migrated) ---------------------------------------------


def fresh_school(label: str):  # type: ignore[no-untyped-def]
    """A new school (schools.services.school_create) and its administrator."""
    from markbook.schools.services import school_create

    tag = secrets.token_hex(4)
    made = school_create(name=f"Bench {label} {tag}", admin_email=f"admin-{tag}@bench.example")
    return made.school, made.admin


def timed_import(school, admin, data: bytes) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    from markbook.core.tenancy import school_scope
    from markbook.rosters.imports.mis import mis_import

    with school_scope(school):
        began = time.perf_counter()
        result = mis_import(
            actor=admin, school=school, data=data, filename="mis-export.csv", confirm=True
        )
        seconds = time.perf_counter() - began
    if not result.ok or not result.applied:
        raise RuntimeError(f"the import failed: {result.errors[:5]}")
    return seconds, result


TABLES = ("accounts_user", "accounts_membership", "rosters_pupil")


def _columns(table: str) -> list[str]:
    from django.apps import apps

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    return [f.column for f in model._meta.concrete_fields]


def floor_rows(source, target) -> dict[str, list[list[object]]]:  # type: ignore[no-untyped-def]
    """The rows the import wrote for `source`'s pupils, made into `target`'s rows.

    Read raw from the tables (exactly as written); the school id, the user ids and the
    users' handles become the target school's, and every encrypted value is
    re-encrypted with the target school's key (so the floor writes ciphertext too, and
    the floor school's pupils read back as the imported ones)."""
    from django.db import connection

    from markbook.core import keys
    from markbook.core.fields import EncryptedTextField
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import Pupil

    pupil_cols = _columns("rosters_pupil")
    encrypted = {
        pupil_cols.index(f.column): f.context
        for f in Pupil._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    }
    with school_scope(source), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(pupil_cols)} FROM rosters_pupil WHERE school_id = %s ORDER BY id",
            [source.pk],
        )
        pupils = [list(r) for r in cursor.fetchall()]
        user_ids = [r[pupil_cols.index("user_id")] for r in pupils]
        user_cols = _columns("accounts_user")
        cursor.execute(
            f"SELECT {', '.join(user_cols)} FROM accounts_user WHERE id IN "
            f"(SELECT user_id FROM rosters_pupil WHERE school_id = %s) ORDER BY id",
            [source.pk],
        )
        users = {r[0]: list(r) for r in cursor.fetchall()}
        member_cols = _columns("accounts_membership")
        cursor.execute(
            f"SELECT {', '.join(member_cols)} FROM accounts_membership "
            "WHERE school_id = %s AND role = 'pupil' ORDER BY id",
            [source.pk],
        )
        members = {r[member_cols.index("user_id")]: list(r) for r in cursor.fetchall()}
        for pupil in pupils:
            for index, context in encrypted.items():
                if pupil[index] is not None:
                    pupil[index] = keys.decrypt(source.pk, pupil[index], context)
    prefix_old, prefix_new = f"pupil.{source.pk}.", f"pupil.{target.pk}."
    out_users, out_members, out_pupils = [], [], []
    with school_scope(target):
        keys.encrypt(target.pk, "", "bench")  # loads the target school's key in its scope
    for user_id, pupil in zip(user_ids, pupils, strict=True):
        user = users[user_id][1:]  # without id: ids are given at insert time
        name = user_cols.index("username") - 1
        user[name] = prefix_new + user[name].removeprefix(prefix_old)
        out_users.append(user)
        member = members[user_id][1:]
        member[member_cols.index("school_id") - 1] = target.pk
        out_members.append(member)
        pupil = pupil[1:]
        pupil[pupil_cols.index("school_id") - 1] = target.pk
        for index, context in encrypted.items():
            if pupil[index - 1] is not None:
                pupil[index - 1] = keys.encrypt(target.pk, pupil[index - 1], context)
        out_pupils.append(pupil)
    return {
        "accounts_user": out_users,
        "accounts_membership": out_members,
        "rosters_pupil": out_pupils,
    }


def _with_user_ids(
    rows: dict[str, list[list[object]]], ids: list[int]
) -> dict[str, list[list[object]]]:
    """Rows with the ids given: users get `ids`, memberships and pupils point at them."""
    member_user = _columns("accounts_membership").index("user_id") - 1
    pupil_user = _columns("rosters_pupil").index("user_id") - 1
    members, pupils = [], []
    for uid, member, pupil in zip(
        ids, rows["accounts_membership"], rows["rosters_pupil"], strict=True
    ):
        member, pupil = list(member), list(pupil)
        member[member_user] = pupil[pupil_user] = uid
        members.append(member)
        pupils.append(pupil)
    users = [[uid, *u] for uid, u in zip(ids, rows["accounts_user"], strict=True)]
    return {"accounts_user": users, "accounts_membership": members, "rosters_pupil": pupils}


def timed_floor(target, rows: dict[str, list[list[object]]]) -> float:  # type: ignore[no-untyped-def]
    """Insert `rows` (from floor_rows) into the tables as fast as the database allows."""
    from django.db import connection, transaction

    from markbook.core.tenancy import school_scope

    count = len(rows["accounts_user"])
    with school_scope(target):
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence('accounts_user', 'id')) "
                    "FROM generate_series(1, %s)",
                    [count],
                )
                ready = _with_user_ids(rows, [r[0] for r in cursor.fetchall()])
                raw = cursor.cursor  # psycopg's own cursor, for COPY
                user_cols = _columns("accounts_user")
                with raw.copy(f"COPY accounts_user ({', '.join(user_cols)}) FROM STDIN") as copy:
                    for row in ready["accounts_user"]:
                        copy.write_row(row)
                for table in ("accounts_membership", "rosters_pupil"):
                    cols = ", ".join(_columns(table)[1:])
                    stage = f"bench_{table}"
                    raw.execute(
                        f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
                        f"SELECT {cols} FROM {table} WITH NO DATA"
                    )
                    with raw.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
                        for row in ready[table]:
                            copy.write_row(row)
                    raw.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}")
                    raw.execute(f"DROP TABLE {stage}")  # also when no commit follows (tests)
            else:
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_user")
                first = cursor.fetchone()[0] + 1
                ready = _with_user_ids(rows, list(range(first, first + count)))
                for table in TABLES:
                    cols = _columns(table) if table == "accounts_user" else _columns(table)[1:]
                    marks = ", ".join(["%s"] * len(cols))
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", ready[table]
                    )
        seconds = time.perf_counter() - began
    return seconds


def run_backend(*, backend: str, pupils: int, repeat: int, log=print) -> list[Timing]:  # type: ignore[no-untyped-def]
    """Every phase `repeat` times on fresh schools; the best time of each phase."""
    data, moved = mis_file(pupils), mis_file(pupils, form_shift=1)
    best: dict[str, float] = {}
    for attempt in range(1, repeat + 1):
        school, admin = fresh_school(f"import {attempt}")
        first, result = timed_import(school, admin, data)
        if len(result.added) != pupils:  # type: ignore[attr-defined]
            raise RuntimeError(f"the first import added {len(result.added)} of {pupils} pupils")  # type: ignore[attr-defined]
        again, result = timed_import(school, admin, data)
        if result.added or result.changed:  # type: ignore[attr-defined]
            raise RuntimeError("the re-import of the same file changed pupils")
        changed, result = timed_import(school, admin, moved)
        if len(result.changed) != pupils:  # type: ignore[attr-defined]
            raise RuntimeError(f"the changed file changed {len(result.changed)} of {pupils}")  # type: ignore[attr-defined]
        target, _ = fresh_school(f"floor {attempt}")
        rows = floor_rows(school, target)
        floor = timed_floor(target, rows)
        log(
            f"  {backend} run {attempt}/{repeat}: first import {first:.3f}s, "
            f"re-import {again:.3f}s, changed {changed:.3f}s, floor {floor:.3f}s"
        )
        for phase, seconds in zip(PHASES, (first, again, changed, floor), strict=True):
            best[phase] = min(best.get(phase, seconds), seconds)
    return [Timing(backend, phase, pupils, best[phase]) for phase in PHASES]


# --- Reporting ----------------------------------------------------------------------------


def report(timings: list[Timing]) -> str:
    lines = [
        f"{'backend':<11}{'phase':<14}{'rows':>7}{'seconds':>10}{'rows/s':>10}{'x floor':>9}",
    ]
    verdicts = []
    for backend in dict.fromkeys(t.backend for t in timings):
        mine = {t.phase: t for t in timings if t.backend == backend}
        floor = mine["floor"].seconds
        for phase in PHASES:
            t = mine[phase]
            lines.append(
                f"{backend:<11}{phase:<14}{t.rows:>7}{t.seconds:>10.3f}"
                f"{t.rows / t.seconds:>10.0f}{t.seconds / floor:>9.2f}"
            )
        ratio = mine["first import"].seconds / floor
        faster = mine["re-import"].seconds < mine["first import"].seconds
        verdicts.append(
            f"{backend}: first import {ratio:.2f}x the floor "
            f"({'met' if ratio <= TARGET_RATIO else 'NOT met'}: at most {TARGET_RATIO:g}x); "
            f"re-import {'faster' if faster else 'NOT faster'} than the first import "
            f"({'met' if faster else 'NOT met'})"
        )
    return "\n".join([*lines, "", *verdicts])


# --- Processes and databases ---------------------------------------------------------------


def _setup_django(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["MARKBOOK_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markbook.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _check_rls() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        superuser, bypass = cursor.fetchone()
    if superuser or bypass:
        raise SystemExit(
            "The PostgreSQL role is a superuser or has BYPASSRLS: row-level security would not "
            "apply. Use a role without them (see .ci/run)."
        )


def worker(args: argparse.Namespace, run_backend=run_backend) -> None:  # type: ignore[no-untyped-def]
    """One backend in this process (`run_backend`: this benchmark's, or another's that
    runs the same way); the timings as JSON on the last line."""
    _setup_django(args.database_url, args.data_dir)
    _check_rls()
    timings = run_backend(
        backend=args.worker,
        pupils=args.pupils,
        repeat=args.repeat,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(json.dumps([asdict(t) for t in timings]))


def _run_worker(
    backend: str, database_url: str, data_dir: str, args: argparse.Namespace, script: Path
) -> list[Timing]:
    command = [
        sys.executable,
        str(script),
        "--worker",
        backend,
        "--database-url",
        database_url,
        "--data-dir",
        data_dir,
        "--pupils",
        str(args.pupils),
        "--repeat",
        str(args.repeat),
    ]
    print(f"== {backend}: {args.pupils} pupils, best of {args.repeat}", flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, cwd=ROOT)
    return [Timing(**t) for t in json.loads(done.stdout.strip().splitlines()[-1])]


def _postgres_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        return False
    return True


def _admin_psql(sql: str) -> str:
    user = os.environ.get("PGADMIN_USER", "postgres")
    done = subprocess.run(
        [
            *("psql", "-v", "ON_ERROR_STOP=1", "-qtA", "-h", "127.0.0.1", "-U", user),
            *("-d", "postgres", "-c", sql),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


class ThrowawayPostgres:
    """A role without SUPERUSER or BYPASSRLS and a database it owns; dropped on exit."""

    def __init__(self) -> None:
        run_id = f"bench_{os.getpid()}_{int(time.time())}"
        self.role = self.db = f"markbook_{run_id}"
        self.password = secrets.token_hex(16)

    def __enter__(self) -> str:
        _admin_psql(
            f"CREATE ROLE {self.role} LOGIN PASSWORD '{self.password}' NOSUPERUSER NOBYPASSRLS"
        )
        _admin_psql(f'CREATE DATABASE "{self.db}" OWNER {self.role}')
        return f"postgres://{self.role}:{self.password}@127.0.0.1:5432/{self.db}"

    def __exit__(self, *exc: object) -> None:
        _admin_psql(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{self.role}'"
        )
        _admin_psql(f'DROP DATABASE IF EXISTS "{self.db}"')
        _admin_psql(f"DROP ROLE IF EXISTS {self.role}")


def arguments(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of a benchmark run this way (this one, import_oneroster.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL database to use (its role without SUPERUSER or BYPASSRLS); "
        "default: a throwaway one on 127.0.0.1:5432 if a server answers there",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--worker", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_backends(args: argparse.Namespace, script: Path) -> list[Timing]:
    """`script --worker` on SQLite, then on PostgreSQL (given, or a throwaway one)."""
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="markbook-bench-") as tmp:
        timings += _run_worker("sqlite", f"sqlite:///{tmp}/bench.sqlite3", tmp, args, script)
        if args.postgres:
            timings += _run_worker("postgresql", args.postgres, tmp, args, script)
        elif args.no_postgres:
            pass
        elif _postgres_up():
            with ThrowawayPostgres() as url:
                timings += _run_worker("postgresql", url, tmp, args, script)
        else:
            print("== PostgreSQL not reachable on 127.0.0.1:5432: SQLite only", flush=True)
    return timings


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__.split("\n\n")[0], argv)
    if args.worker:
        worker(args)
        return
    timings = run_backends(args, Path(__file__).resolve())
    print()
    print(report(timings))


if __name__ == "__main__":
    main()
