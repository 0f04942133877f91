"""Benchmark of the OneRoster import (ROS-4).

    .venv/bin/python bench/import_oneroster.py [--pupils 2000] [--repeat 3] [--postgres URL]

Generates a OneRoster 1.2 bulk zip of `--pupils` pupils in years 7 to 11, each enrolled
in six classes (one set of about 25 pupils per subject), every class with a teacher of
the school's staff, and no parents; then, on SQLite and on PostgreSQL:

- first import: `oneroster_import(confirm=True)` into a fresh, empty school (which takes
  the file's org), its teachers already among the school's staff;
- re-import: the same file again on that school (nothing changes);
- preview: `confirm=False` of the file on another fresh school (every write made and
  rolled back, as the import page's preview does);
- MIS import: the same pupils (bench/import_mis.py's file) by `mis_import` into another
  fresh school, for comparison (pupils only: no classes or enrolments).

Each phase is the best of `--repeat` runs, each on fresh schools. The table shows rows
(pupils), seconds, pupils per second and each phase's time over the MIS import's.

Databases and processes as in bench/import_mis.py: a throwaway SQLite database, and
PostgreSQL (`--postgres URL`, or a throwaway role NOSUPERUSER NOBYPASSRLS when a server
answers on 127.0.0.1:5432), each backend in its own process.

Measured on the 2-core development machine (seconds; pupils per second):

    pupils  backend     phase          row by row (services)   bulk
    2000    SQLite      first import   22.6   (88/s)           0.75  (2664/s)
    2000    SQLite      re-import       0.58                   0.20
    2000    SQLite      preview        22.0   (91/s)           0.77  (2605/s)
    2000    PostgreSQL  first import   72.8   (27/s)           1.12  (1787/s)
    2000    PostgreSQL  re-import       1.44                   0.20
    2000    PostgreSQL  preview        59.1   (34/s)           0.91  (2187/s)
    8000    SQLite      first import   88.1   (91/s)           3.24  (2467/s)
    8000    PostgreSQL  first import  264.7   (30/s)           4.41  (1816/s)
    8000    PostgreSQL  preview       262.7   (30/s)           3.65  (2191/s)

The MIS import of the same pupils (no classes or enrolments) took 0.10 s (SQLite) and
0.16 s (PostgreSQL) for 2000; the bulk first import is about 7x that. 8000 pupils with
six enrolments each is near the largest file the import takes (2 MB per CSV file).
"""

from __future__ import annotations

import functools
import io
import random
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_mis as mis  # the databases, processes and the MIS file

ROOT = mis.ROOT
Timing = mis.Timing
PHASES = ("first import", "re-import", "preview", "MIS import")
SUBJECTS = ("English", "Maths", "Science", "History", "Geography", "French")
SET_SIZE = 25
CLASSES_PER_TEACHER = 8
ORG = "o1"  # short ids: a file is at most 2 MB (imports/common.py)


# --- The file -------------------------------------------------------------------------


@functools.cache
def _set_count(pupils: int, year: int) -> int:
    in_year = sum(1 for i in range(pupils) if 7 + i * 5 // pupils == year)
    return max(1, -(-in_year // SET_SIZE))


def teacher_emails(pupils: int) -> list[str]:
    classes = sum(_set_count(pupils, y) * len(SUBJECTS) for y in range(7, 12))
    return [
        f"teacher{k + 1}@bench.example" for k in range(max(1, -(-classes // CLASSES_PER_TEACHER)))
    ]


def oneroster_file(pupils: int, org_name: str = "Bench Academy", seed: int = 2026) -> bytes:
    """A OneRoster 1.2 bulk zip: one school org (`org_name`: a school of that name, or
    an empty one, imports it), one school year, classes, pupils, teachers and their
    enrolments (no parents, no marks)."""
    import csv

    from markbook.rosters import demo_names as n
    from markbook.rosters.oneroster import spec
    from markbook.rosters.services import username_base

    rng = random.Random(seed)
    rows: dict[str, list[dict[str, str]]] = {name: [] for name in spec.HEADERS_12}
    rows["orgs"].append({"sourcedId": ORG, "name": org_name, "type": "school"})
    session = "bench-2026"
    rows["academicSessions"].append(
        {
            "sourcedId": session,
            "title": "2026/27",
            "type": "schoolYear",
            "startDate": "2026-09-01",
            "endDate": "2027-08-31",
            "schoolYear": "2027",
        }
    )
    emails = teacher_emails(pupils)
    for k, email in enumerate(emails):
        rows["users"].append(
            {
                "sourcedId": f"t{k + 1}",
                "enabledUser": "true",
                "username": email,
                "givenName": "Teacher",
                "familyName": f"Number {k + 1}",
                "email": email,
                "primaryOrgSourcedId": ORG,
            }
        )
        rows["roles"].append(
            {
                "sourcedId": f"role-t{k + 1}",
                "userSourcedId": f"t{k + 1}",
                "roleType": "primary",
                "role": "teacher",
                "orgSourcedId": ORG,
            }
        )
    classes: dict[tuple[int, str, int], str] = {}
    for year in range(7, 12):
        for subject in SUBJECTS:
            course = f"course-{year}-{subject}"
            rows["courses"].append(
                {
                    "sourcedId": course,
                    "schoolYearSourcedId": session,
                    "title": f"{subject} Year {year}",
                    "grades": f"{year:02d}",
                    "orgSourcedId": ORG,
                    "subjects": subject,
                }
            )
            for number in range(1, _set_count(pupils, year) + 1):
                ref = f"c{len(classes) + 1}"
                classes[(year, subject, number)] = ref
                teacher = f"t{len(classes) % len(emails) + 1}"
                rows["classes"].append(
                    {
                        "sourcedId": ref,
                        "title": f"{year}{subject[:2]}{number}",
                        "grades": f"{year:02d}",
                        "courseSourcedId": course,
                        "classCode": f"{year}{subject[:2]}{number}",
                        "classType": "scheduled",
                        "schoolSourcedId": ORG,
                        "termSourcedIds": session,
                        "subjects": subject,
                    }
                )
                rows["enrollments"].append(
                    {
                        "sourcedId": f"e{len(rows['enrollments']) + 1}",
                        "classSourcedId": ref,
                        "schoolSourcedId": ORG,
                        "userSourcedId": teacher,
                        "role": "teacher",
                    }
                )
    codes = list(n.ETHNICITY_MIX)
    weights = [n.ETHNICITY_MIX[c][0] for c in codes]
    in_year: dict[int, int] = {}
    for i in range(pupils):
        year = 7 + i * 5 // pupils
        position = in_year[year] = in_year.get(year, -1) + 1
        _, first_group, last_group = n.ETHNICITY_MIX[rng.choices(codes, weights)[0]]
        sex = rng.choice("MF")
        first = rng.choice((n.BOYS_BY_GROUP if sex == "M" else n.GIRLS_BY_GROUP)[first_group])
        last = rng.choice(n.SURNAMES_BY_GROUP[last_group])
        ref = f"p{i + 1}"
        rows["users"].append(
            {
                "sourcedId": ref,
                "enabledUser": "true",
                "username": f"{username_base(first, last)}{i + 1}",
                "givenName": first,
                "familyName": last,
                "grades": f"{year:02d}",
                "primaryOrgSourcedId": ORG,
            }
        )
        rows["roles"].append(
            {
                "sourcedId": f"role-{ref}",
                "userSourcedId": ref,
                "roleType": "primary",
                "role": "student",
                "orgSourcedId": ORG,
            }
        )
        sets = _set_count(pupils, year)
        for s, subject in enumerate(SUBJECTS):
            klass = classes[(year, subject, (position + s) % sets + 1)]
            rows["enrollments"].append(
                {
                    "sourcedId": f"e{len(rows['enrollments']) + 1}",
                    "classSourcedId": klass,
                    "schoolSourcedId": ORG,
                    "userSourcedId": ref,
                    "role": "student",
                }
            )
    manifest = [
        ("manifest.version", "1.0"),
        ("oneroster.version", "1.2"),
        *((f"file.{name}", "bulk" if rows.get(name) else "absent") for name in spec.ALL_FILES),
        ("source.systemName", "Bench"),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([spec.MANIFEST_HEADER, *manifest])
        archive.writestr("manifest.csv", out.getvalue())
        for name, table in rows.items():
            if not table:
                continue
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(spec.HEADERS_12[name])
            writer.writerows([row.get(h, "") for h in spec.HEADERS_12[name]] for row in table)
            archive.writestr(f"{name}.csv", out.getvalue())
    return buffer.getvalue()


# --- The phases (Django set up and migrated) ---------------------------------------------


def teachers(pupils: int) -> list:  # type: ignore[type-arg]
    """The file's teachers' accounts (made once; each fresh school gets them as staff)."""
    from markbook.accounts.models import User

    made = []
    for email in teacher_emails(pupils):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(username=email, email=email, first_name="Teacher", last_name="Bench")
            user.set_unusable_password()
            user.save()
        made.append(user)
    return made


def fresh_school(label: str, staff: list):  # type: ignore[no-untyped-def,type-arg]
    """A new, empty school (it takes the file's org) with the file's teachers as staff."""
    from markbook.accounts.models import Membership
    from markbook.core.tenancy import school_scope

    school, admin = mis.fresh_school(label)
    with school_scope(school):
        for user in staff:
            Membership.objects.create(school=school, user=user, role=Membership.Role.TEACHER)
    return school, admin


def timed_import(school, admin, data: bytes, *, confirm: bool = True):  # type: ignore[no-untyped-def]
    from markbook.core.tenancy import school_scope
    from markbook.rosters.oneroster.import_ import oneroster_import

    with school_scope(school):
        began = time.perf_counter()
        result = oneroster_import(actor=admin, school=school, data=data, confirm=confirm)
        seconds = time.perf_counter() - began
    if not result.ok or result.confirmed != confirm:
        raise RuntimeError(f"the import failed: {result.problems[:5]}")
    return seconds, result


def run_backend(*, backend: str, pupils: int, repeat: int, log=print) -> list[Timing]:  # type: ignore[no-untyped-def]
    """Every phase `repeat` times on fresh schools; the best time of each phase."""
    mis_data = mis.mis_file(pupils)
    staff = teachers(pupils)
    enrolments = pupils * len(SUBJECTS)
    best: dict[str, float] = {}
    for attempt in range(1, repeat + 1):
        school, admin = fresh_school(f"oneroster {attempt}", staff)
        data = oneroster_file(pupils, school.name)  # its own name: the re-import finds it
        first, result = timed_import(school, admin, data)
        if (result.pupils_created, result.enrolments_added) != (pupils, enrolments):
            raise RuntimeError(f"the first import did not add everything: {result.counts()}")
        if result.teacher_links_added != result.classes_created:
            raise RuntimeError(f"the first import missed teachers: {result.counts()}")
        again, result = timed_import(school, admin, data)
        if (result.pupils_matched, sum(result.counts().values())) != (pupils, pupils):
            raise RuntimeError(f"the re-import of the same file changed things: {result.counts()}")
        other, admin2 = fresh_school(f"preview {attempt}", staff)
        preview, result = timed_import(other, admin2, data, confirm=False)
        if (result.pupils_created, result.enrolments_added) != (pupils, enrolments):
            raise RuntimeError(f"the preview did not count everything: {result.counts()}")
        target, admin3 = mis.fresh_school(f"mis {attempt}")
        by_mis, _ = mis.timed_import(target, admin3, mis_data)
        log(
            f"  {backend} run {attempt}/{repeat}: first import {first:.3f}s, "
            f"re-import {again:.3f}s, preview {preview:.3f}s, MIS import {by_mis:.3f}s"
        )
        for phase, seconds in zip(PHASES, (first, again, preview, by_mis), strict=True):
            best[phase] = min(best.get(phase, seconds), seconds)
    return [Timing(backend, phase, pupils, best[phase]) for phase in PHASES]


# --- Reporting ----------------------------------------------------------------------------


def report(timings: list[Timing]) -> str:
    lines = [
        f"{'backend':<11}{'phase':<14}{'rows':>7}{'seconds':>10}{'rows/s':>10}{'x MIS':>9}",
    ]
    for backend in dict.fromkeys(t.backend for t in timings):
        mine = {t.phase: t for t in timings if t.backend == backend}
        base = mine["MIS import"].seconds
        for phase in PHASES:
            t = mine[phase]
            lines.append(
                f"{backend:<11}{phase:<14}{t.rows:>7}{t.seconds:>10.3f}"
                f"{t.rows / t.seconds:>10.0f}{t.seconds / base:>9.2f}"
            )
    return "\n".join(lines)


# --- Processes (as bench/import_mis.py runs them) -----------------------------------------


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
