"""Import a OneRoster 1.2 CSV zip (1.1 tolerated) into one school (ROS-4).

Checks everything first and reports each problem by file, row (the header is row 1)
and column; then writes in one transaction, or not at all. `confirm=False` runs the
same import and rolls it back, so the preview counts are exactly what confirming
will do. Liberal in what it reads, and says so: enumerations in another case, dates
in other common formats, a BOM, header names in another case are accepted and
listed in `notes`. Pupils (with their accounts), classes, enrolments and teacher links
are written in bulk (core.rows, audit.record_many): the same rows and one access log
event each, as pupil_create, pupil_update, class_create, enrolment_add and the other
services write them, in a number of queries that does not grow with the file.

Decisions (shared/domain.md, Rosters):
- Only rows of this school's org are imported. The school's org is the one whose
  sourcedId is Markbook's own, or whose identifier is the school's URN, or whose name
  is the school's name; a new, empty school takes the file's only school org. Rows
  for other orgs are ignored with a note; a file with no org for this school is
  refused, naming the orgs it has.
- Pupils are matched by their stored sourcedId (Pupil.oneroster_id), then by
  username, else created (without a password, ACC-2). A password column is never
  stored. Pupils are never deleted: a delta `tobedeleted` user marks the pupil as
  left.
- Teachers are matched by email among this school's staff; no staff account is
  created by an import: unknown teachers are listed and their class links skipped.
  Administrators (administrator, siteAdministrator, districtAdministrator,
  systemAdministrator) and other staff roles are not imported (noted): creating an
  administrator account from a file would let whoever wrote the file choose who gets
  administrator rights, so a school administrator adds them under Staff.
- Parents and carers (guardians.py, TEN-2, TEN-3): users with the role guardian,
  parent or relative are linked to the pupils named in agentSourcedIds, on the
  parent's row (their children) or the pupil's row (their parents): both are read
  and merged. A parent is one of this school's when their role is at its org or one
  of their children is its pupil (a parent listed under the trust counts). They are
  matched by email (any case) with the rules of guardian_link_create
  (services.parent_problem): the address is required and valid; an account with no
  role in this school (staff or parents of another school, trust or platform staff)
  cannot be linked here, but the file is not wrong: that parent is left out with a note
  naming the rows (parents_skipped). A pupil's own account is refused; a new parent gets no password (ACC-2: they
  set one from the emailed reset link) and the parent role. A name of an existing
  account is not changed. A parent's agent that is not a student is an error, one
  that is another org's student is ignored (noted); a pupil's agent that is not a
  parent or carer is ignored (noted); a user who is a student here and a parent is an
  error. Parents with no child at this school are not imported (noted).
- A bulk users file that lists any parent or carer of this school is the whole truth
  for the pupils in it: their links to parents it does not name are removed (noted
  with the count in the preview), including links made by hand in Markbook. A bulk
  file that lists no parents at all removes none: an MIS export that leaves parents
  out must not wipe the parents a school added in Markbook. Parents' accounts and
  roles are never removed. In a delta file, a parent's row only adds links; a
  `tobedeleted` parent row removes that parent's links to this school's pupils (the
  parent found by email, else by Markbook's own sourcedId), not the account; links to
  parents absent from a delta file are left as they are.
- Classes are matched by title within their academic year, or created.
- A bulk enrollments file is the whole truth for the classes it names: pupils of
  those classes not in it are taken out of them. A delta `tobedeleted` enrolment
  takes the pupil (or teacher) out of the class.
- Marks (ASM-1, ASM-3): a lineItem becomes an assignment of its class (a class in
  the file, or one of this school's by Markbook's own sourcedId), matched by its
  sourcedId; resultValueMax is the maximum mark, resultValueMin must be 0 or blank.
  A result becomes the pupil's mark: scoreStatus "fully graded" needs a score from 0
  to the maximum; "exempt" is Not required and "not submitted" is Absent (neither
  takes a score other than 0); "submitted" and "partially graded" are not marks yet
  and are skipped (noted). A result for a student who is not a pupil of this school
  is an error. Delta `tobedeleted` deletes the assignment (with its marks) or the
  mark. A bulk results file is the whole truth for the line items in the file
  (lineItems.csv or results.csv): their marks for pupils it does not list are removed. Assignments made in Markbook and
  missing from a bulk lineItems file are kept.
"""

import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.core.rows import insert_rows, update_rows
from markbook.rosters import selectors, services
from markbook.rosters.imports.common import Problem, csv_records, decode
from markbook.rosters.models import YEAR_GROUPS, ClassTeacher, Enrolment, Pupil, TeachingClass
from markbook.rosters.oneroster import spec
from markbook.rosters.oneroster.guardians import GuardiansMixin
from markbook.rosters.oneroster.marks import MarksMixin
from markbook.rosters.oneroster.spec import split_values as _split
from markbook.schools.models import School

_YEARS = {code for code, _ in YEAR_GROUPS}
_CEDS_EARLY = {"KG": "R"}  # kindergarten is read as Reception (uncertain)


@dataclass(frozen=True)
class FileProblem:
    file: str  # "" for the zip itself
    row: int | None
    column: str
    message: str


# The phases of an import, as its progress reports them: progress(i, len(PHASES)) as
# phase i starts; progress(len(PHASES), len(PHASES)) once a confirmed import is saved.
PHASES = ("read", "check", "pupils", "classes", "enrolments", "parents", "marks")

# What an import did, by name: the preview, the access log and a job's summary.
COUNTS = (
    "pupils_created",
    "pupils_updated",
    "pupils_matched",
    "pupils_left",
    "classes_created",
    "teacher_links_added",
    "teacher_links_removed",
    "enrolments_added",
    "enrolments_removed",
    "assignments_created",
    "assignments_updated",
    "assignments_deleted",
    "marks_recorded",
    "marks_removed",
    "parents_created",
    "parents_matched",
    "parent_links_added",
    "parent_links_removed",
    "parents_skipped",
)


@dataclass
class Result:
    problems: list[FileProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    version: str = ""
    confirmed: bool = False
    pupils_created: int = 0
    pupils_updated: int = 0
    pupils_matched: int = 0
    pupils_left: int = 0
    classes_created: int = 0
    teacher_links_added: int = 0
    teacher_links_removed: int = 0
    enrolments_added: int = 0
    enrolments_removed: int = 0
    assignments_created: int = 0
    assignments_updated: int = 0
    assignments_deleted: int = 0
    marks_recorded: int = 0
    marks_removed: int = 0
    parents_created: int = 0
    parents_matched: int = 0
    parent_links_added: int = 0
    parent_links_removed: int = 0
    parents_skipped: int = 0  # an account of another school: not linked (noted)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}


@dataclass
class _Row:
    file: str
    number: int
    cells: dict[str, str]
    status: str = "active"
    modified: date | None = None

    def __getitem__(self, name: str) -> str:
        return self.cells.get(name, "")


class _Reader:
    """Reads the files of the zip into rows, collecting problems and lenient notes."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self._noted: set[str] = set()

    def problem(self, file: str, row: int | None, column: str, message: str) -> None:
        self.result.problems.append(FileProblem(file, row, column, message))

    def note(self, key: str, message: str) -> None:
        if key not in self._noted:
            self._noted.add(key)
            self.result.notes.append(message)

    def enum(self, row: _Row, column: str, allowed: tuple[str, ...], required: bool) -> str:
        value = row[column]
        if not value:
            if required:
                self.problem(row.file, row.number, column, "This must not be blank.")
            return ""
        if value in allowed:
            return value
        folded = {a.casefold(): a for a in allowed}
        if value.casefold() in folded:
            self.note(
                f"case:{row.file}:{column}",
                f"{row.file}.csv, column {column}: values in another case (like {value!r}) "
                "were accepted.",
            )
            return folded[value.casefold()]
        self.problem(
            row.file,
            row.number,
            column,
            f"{value!r} is not allowed here; use one of {', '.join(allowed)}.",
        )
        return ""

    def date(self, row: _Row, column: str, required: bool = False) -> date | None:
        value = row[column]
        if not value:
            if required:
                self.problem(row.file, row.number, column, "This must not be blank.")
            return None
        parsed, strict = parse_date(value)
        if parsed is None:
            self.problem(
                row.file,
                row.number,
                column,
                f"{value!r} is not a date; write it as YYYY-MM-DD (or an ISO 8601 date-time "
                "like 2026-09-01T08:00:00Z).",
            )
        elif not strict:
            self.note(
                f"date:{row.file}:{column}",
                f"{row.file}.csv, column {column}: dates written like {value!r} were accepted.",
            )
        return parsed


_DATE_FORMATS = ("%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(value: str) -> tuple[date | None, bool]:
    """(date, True) for ISO 8601 dates and date-times; (date, False) for other common
    day-first formats (English usage); (None, False) when it is not a date."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text), True
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?", text):
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date(), True
    except ValueError:
        return None, False
    for fmt in (*_DATE_FORMATS, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, fmt).date(), False
        except ValueError:
            continue
    return None, False


def _year_group(value: str) -> str:
    """OneRoster grades -> a Markbook year group ("07" -> "7"); "" when not one."""
    first = _split(value)[0].upper() if _split(value) else ""
    first = first.removeprefix("YEAR").removeprefix("Y").strip()
    first = _CEDS_EARLY.get(first, first)
    if first.isdigit():
        first = str(int(first))
    return first if first in _YEARS else ""


def _academic_year(session: _Row | None) -> str:
    if session is None:
        return ""
    title = session["title"].strip()
    if re.fullmatch(r"\d{4}/\d{2}", title):
        return title
    start, _ = parse_date(session["startDate"])
    if start is None:
        return ""
    first = start.year if start.month >= 8 else start.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def _open_zip(data: bytes, reader: _Reader) -> dict[str, bytes] | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        reader.problem(
            "",
            None,
            "",
            "This is not a zip file. A OneRoster export is a .zip holding manifest.csv, "
            "orgs.csv, users.csv and the other CSV files.",
        )
        return None
    files: dict[str, bytes] = {}
    total = 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = info.filename.rsplit("/", 1)[-1]
        if not name.lower().endswith(".csv"):
            continue
        total += info.file_size
        if total > 50 * 1024 * 1024:
            reader.problem("", None, "", "The zip holds more than 50 MB of CSV: too large.")
            return None
        if "/" in info.filename:
            reader.note("folder", "The CSV files were in a folder inside the zip; that is fine.")
        files[name[:-4]] = archive.read(info)
    return files


def _fits(found: list[str], header: list[str]) -> bool:
    return [f.casefold() for f in found[: len(header)]] == [h.casefold() for h in header]


def _table(
    name: str,
    content: bytes,
    header: list[str],
    mode: str,
    reader: _Reader,
    variants: list[list[str]] | None = None,
) -> list[_Row] | None:
    problems: list[Problem] = []
    # The upload limit is the zip's; the CSV inside may be larger (up to _read's total).
    text = decode(content, problems, advice="")
    records = csv_records(text, problems) if text is not None else None
    for p in problems:
        reader.problem(name, p.row, p.column, p.message)
    if records is None:
        return None
    if content.startswith(b"\xef\xbb\xbf"):
        reader.note(f"bom:{name}", f"{name}.csv starts with a byte order mark; it was ignored.")
    if not records:
        reader.problem(name, None, "", "The file is empty: it needs a header row.")
        return None
    found = [value.strip() for value in records[0][1]]
    variant = next(
        (v for v in variants or [] if not _fits(found, header) and _fits(found, v)), None
    )
    if variant is not None:
        dropped = ", ".join(h for h in variant if h not in header)
        reader.note(
            f"variant:{name}",
            f"{name}.csv has the column {dropped} of the first 1.2 binding, which 1.2.1 "
            "dropped; the file was read and that column ignored.",
        )
        header = variant
    given = found[: len(header)]
    if given != header:
        if _fits(given, header):
            reader.note(
                f"header:{name}",
                f"{name}.csv: header names in another case were accepted.",
            )
        else:
            for index, expected in enumerate(header):
                actual = given[index] if index < len(given) else ""
                if actual.casefold() != expected.casefold():
                    where = f"column {index + 1}"
                    reader.problem(
                        name,
                        1,
                        actual or where,
                        f"The header's {where} must be {expected!r}, found "
                        f"{actual or 'nothing'!r}. The header must be, in this order: "
                        f"{','.join(header)}.",
                    )
                    return None
    extra = [h for h in found[len(header) :] if h]
    if extra:
        reader.note(f"extra:{name}", f"{name}.csv: extra columns ignored: {', '.join(extra)}.")
    rows = []
    for number, values in records[1:]:
        if not any(v.strip() for v in values):
            continue
        cells = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        row = _Row(name, number, cells)
        if mode == "delta":
            row.status = reader.enum(row, "status", spec.STATUSES, required=True) or "active"
            row.modified = reader.date(row, "dateLastModified", required=True)
        elif row["status"] or row["dateLastModified"]:
            reader.note(
                f"bulkstatus:{name}",
                f"{name}.csv is a bulk file: its status and dateLastModified cells were ignored.",
            )
        if not row[header[0]]:
            reader.problem(name, number, header[0], "This must not be blank.")
            continue
        rows.append(row)
    if not rows:
        reader.problem(name, None, "", "The file has a header row but no data rows.")
    seen: dict[str, int] = {}
    key = header[0]
    for row in rows:
        if row[key] in seen:
            reader.problem(
                name,
                row.number,
                key,
                f"{row[key]!r} is also on row {seen[row[key]]}; {key} values must be unique.",
            )
        seen.setdefault(row[key], row.number)
    return rows


class _Import(GuardiansMixin, MarksMixin):
    def __init__(
        self,
        actor: User | None,
        school: School,
        result: Result,
        progress: Callable[[int, int], None],
    ) -> None:
        self.actor, self.school, self.result = actor, school, result
        self.reader = _Reader(result)
        self.progress = progress

    # --- reading -----------------------------------------------------------------

    def read(self, data: bytes) -> bool:
        reader = self.reader
        files = _open_zip(data, reader)
        if files is None:
            return False
        if "manifest" not in files:
            reader.problem(
                "manifest",
                None,
                "",
                "manifest.csv is missing from the zip; every OneRoster "
                "zip starts with one (propertyName,value rows).",
            )
            return False
        manifest = _table("manifest", files["manifest"], spec.MANIFEST_HEADER, "bulk", reader)
        if manifest is None:
            return False
        props = {r.cells["propertyName"]: (r.cells["value"], r.number) for r in manifest}
        version, version_row = props.get("oneroster.version", ("", None))
        if version == "1.2":
            self.headers = spec.HEADERS_12
        elif version in ("1.1", "1.1.1"):
            self.headers = spec.HEADERS_11
            reader.note("v11", "This is a OneRoster 1.1 file; it was read as 1.1.")
        else:
            reader.problem(
                "manifest",
                version_row,
                "oneroster.version",
                f"oneroster.version is {version or 'missing'!r}; Markbook reads 1.2 (and 1.1).",
            )
            return False
        self.result.version = version
        self.modes: dict[str, str] = {}
        for name in (
            "orgs",
            "academicSessions",
            "courses",
            "classes",
            "users",
            "roles",
            "enrollments",
            "lineItems",
            "results",
        ):
            if name not in self.headers:
                continue
            raw, number = props.get(f"file.{name}", ("", None))
            mode = raw.lower()
            if raw and mode != raw:
                reader.note("modecase", "manifest.csv: file modes in another case were accepted.")
            if mode not in ("bulk", "delta", "absent", ""):
                reader.problem(
                    "manifest",
                    number,
                    f"file.{name}",
                    f"{raw!r} is not a file mode; use bulk, delta or absent.",
                )
                continue
            if not mode:
                mode = "bulk" if name in files else "absent"
                if name in files:
                    reader.note(
                        f"nomode:{name}",
                        f"manifest.csv does not list file.{name}; it was read as bulk.",
                    )
            if mode != "absent" and name not in files:
                reader.problem(
                    name,
                    None,
                    "",
                    f"manifest.csv says {name}.csv is {mode}, but the zip does not contain it.",
                )
                continue
            if mode == "absent" and name in files:
                reader.note(
                    f"absent:{name}",
                    f"{name}.csv is marked absent in the manifest; it was ignored.",
                )
            self.modes[name] = mode
        required = ["orgs", "users"] + (["roles"] if "roles" in self.headers else [])
        for name in required:
            if self.modes.get(name, "absent") == "absent" and name in self.modes:
                reader.problem(
                    name, None, "", f"{name}.csv is required: the roster cannot be read without it."
                )
        if self.result.problems:
            return False
        self.tables: dict[str, list[_Row]] = {}
        for name, mode in self.modes.items():
            if mode == "absent":
                continue
            variants = (
                spec.HEADER_VARIANTS_12.get(name) if self.headers is spec.HEADERS_12 else None
            )
            rows = _table(name, files[name], self.headers[name], mode, reader, variants)
            if rows is not None:
                self.tables[name] = rows
        return not self.result.problems

    # --- checking ------------------------------------------------------------------

    def check(self) -> bool:
        reader = self.reader
        orgs = {r["sourcedId"]: r for r in self.tables["orgs"]}
        for row in orgs.values():
            row.cells["type"] = reader.enum(row, "type", spec.ORG_TYPES, required=True)
        for row in orgs.values():
            parent = row["parentSourcedId"]
            if parent and parent not in orgs:
                reader.problem(
                    "orgs", row.number, "parentSourcedId", f"{parent!r} is not an org in orgs.csv."
                )
        if not self._find_org(orgs):
            return False
        sessions = {r["sourcedId"]: r for r in self.tables.get("academicSessions", [])}
        for row in sessions.values():
            reader.enum(row, "type", spec.SESSION_TYPES, required=True)
            reader.date(row, "startDate", required=True)
            reader.date(row, "endDate", required=True)
        courses = {r["sourcedId"]: r for r in self.tables.get("courses", [])}
        self.classes: dict[str, _Row] = {}
        self.class_years: dict[str, str] = {}
        for row in self.tables.get("classes", []):
            reader.enum(row, "classType", spec.CLASS_TYPES, required=True)
            if not row["title"]:
                reader.problem("classes", row.number, "title", "This must not be blank.")
            school_ref = row["schoolSourcedId"]
            if school_ref not in orgs:
                reader.problem(
                    "classes",
                    row.number,
                    "schoolSourcedId",
                    f"{school_ref!r} is not an org in orgs.csv.",
                )
                continue
            course = row["courseSourcedId"]
            if courses and course and course not in courses:
                reader.problem(
                    "classes",
                    row.number,
                    "courseSourcedId",
                    f"{course!r} is not a course in courses.csv.",
                )
            terms = _split(row["termSourcedIds"])
            for term in terms:
                if sessions and term not in sessions:
                    reader.problem(
                        "classes",
                        row.number,
                        "termSourcedIds",
                        f"{term!r} is not an academic session in academicSessions.csv.",
                    )
            if school_ref != self.org:
                self._other_org("classes", school_ref, orgs)
                continue
            year = next((y for t in terms if (y := _academic_year(sessions.get(t)))), "")
            if not year:
                year = services.current_academic_year()
                reader.note("year", f"Classes without an academic session were put in {year}.")
            self.classes[row["sourcedId"]] = row
            self.class_years[row["sourcedId"]] = year
            if not row["subjects"] and course in courses:
                row.cells["subjects"] = courses[course]["subjects"]
        self.other_classes = {
            r["sourcedId"]
            for r in self.tables.get("classes", [])
            if r["sourcedId"] not in self.classes
        }
        self.orgs = orgs
        # This school's pupils by Markbook's sourcedId and by the one they were imported
        # with: results and parents in the file may name pupils the users file leaves out.
        self.known_pupils: dict[str, Pupil] = {}
        for pupil in Pupil.objects.all():
            self.known_pupils[spec.sourced_id(self.school.pk, "pupil", pupil.pk)] = pupil
            if pupil.oneroster_id:
                self.known_pupils[pupil.oneroster_id] = pupil
        self._check_users(orgs)
        self._check_enrolments(orgs)
        self._check_guardians()
        self._check_marks()
        return not self.result.problems

    def _other_org(self, file: str, org: str, orgs: dict[str, _Row]) -> None:
        name = orgs[org]["name"] if org in orgs else org
        self.reader.note(
            f"other:{file}:{org}", f"{file}.csv: rows for {name!r} (another org) were ignored."
        )

    def _find_org(self, orgs: dict[str, _Row]) -> bool:
        school = self.school
        own = spec.sourced_id(school.pk, "org", "school")
        schools = [r for r in orgs.values() if r["type"] == "school"]
        matches = [
            r
            for r in schools
            if r["sourcedId"] == own
            or (school.urn and r["identifier"] == school.urn)
            or r["name"].casefold() == school.name.casefold()
        ]
        if len(matches) == 1:
            self.org = matches[0]["sourcedId"]
            return True
        empty = not Pupil.objects.exists() and not TeachingClass.objects.exists()
        if not matches and empty and len(schools) == 1:
            self.org = schools[0]["sourcedId"]
            self.reader.note(
                "adopt",
                f"{school.name} has no roster yet: the file's school "
                f"{schools[0]['name']!r} was read as this school.",
            )
            return True
        if len(matches) > 1:
            self.reader.problem(
                "orgs",
                matches[1].number,
                "sourcedId",
                f"Several orgs look like {school.name}; keep only one.",
            )
            return False
        names = ", ".join(f"{r['name']!r} (sourcedId {r['sourcedId']})" for r in schools)
        self.reader.problem(
            "orgs",
            schools[0].number if schools else None,
            "name",
            f"This file is for {names or 'no school'}, not for {school.name}: nothing was "
            "imported. Export the file for this school (or check its URN).",
        )
        return False

    def _check_users(self, orgs: dict[str, _Row]) -> None:
        reader = self.reader
        users = {r["sourcedId"]: r for r in self.tables["users"]}
        self.users = users
        roles: dict[str, list[tuple[str, str, _Row]]] = defaultdict(list)  # user -> (role, org)
        if "roles" in self.headers:
            for row in self.tables["roles"]:
                role = reader.enum(row, "role", spec.USER_ROLES, required=True)
                reader.enum(row, "roleType", spec.ROLE_TYPES, required=True)
                if row["userSourcedId"] not in users and self.modes.get("users") == "delta":
                    continue  # a delta users file holds only the users that changed
                if row["userSourcedId"] not in users:
                    reader.problem(
                        "roles",
                        row.number,
                        "userSourcedId",
                        f"{row['userSourcedId']!r} is not a user in users.csv.",
                    )
                    continue
                if row["orgSourcedId"] not in orgs:
                    reader.problem(
                        "roles",
                        row.number,
                        "orgSourcedId",
                        f"{row['orgSourcedId']!r} is not an org in orgs.csv.",
                    )
                    continue
                roles[row["userSourcedId"]].append((role, row["orgSourcedId"], row))
        else:
            for row in users.values():
                role = reader.enum(row, "role", spec.USER_ROLES, required=True)
                for org in _split(row["orgSourcedIds"]):
                    if org not in orgs:
                        reader.problem(
                            "users",
                            row.number,
                            "orgSourcedIds",
                            f"{org!r} is not an org in orgs.csv.",
                        )
                    else:
                        roles[row["sourcedId"]].append((role, org, row))
        self.user_roles = roles
        passwords = 0
        self.pupils: dict[str, _Row] = {}
        self.teachers: dict[str, _Row] = {}
        skipped: dict[str, int] = defaultdict(int)
        for row in users.values():
            reader.enum(row, "enabledUser", spec.BOOLEANS, required=True)
            if row["password"]:
                passwords += 1
            mine = {role for role, org, _ in roles[row["sourcedId"]] if org == self.org}
            guardian = any(role in spec.GUARDIAN_ROLES for role, _, _ in roles[row["sourcedId"]])
            if not mine:
                # A parent listed under another org may still be a parent here (guardians.py).
                if roles[row["sourcedId"]] and not guardian:
                    self._other_org("users", roles[row["sourcedId"]][0][1], orgs)
                continue
            for field_name in ("givenName", "familyName"):
                if not row[field_name]:
                    reader.problem("users", row.number, field_name, "This must not be blank.")
            if "student" in mine:
                self.pupils[row["sourcedId"]] = row
                if row.status == "active" and not _year_group(row["grades"]):
                    reader.problem(
                        "users",
                        row.number,
                        "grades",
                        f"{row['grades'] or 'blank'!r}: a pupil needs a year group "
                        "(N1, N2, R, 01 to 13).",
                    )
                username = row["username"].lower()
                if username and not services.USERNAME_PATTERN.match(username):
                    reader.problem(
                        "users",
                        row.number,
                        "username",
                        f"{row['username']!r} is not a valid username: use letters, "
                        "digits, '.', '-' or '_'.",
                    )
            elif "teacher" in mine:
                self.teachers[row["sourcedId"]] = row
            else:
                for role in mine - set(spec.GUARDIAN_ROLES):
                    skipped[role] += 1
        if passwords:
            reader.note(
                "password",
                f"users.csv has {passwords} password value(s): passwords "
                "are never stored; pupils sign in with a code from their teacher.",
            )
        for role, count in sorted(skipped.items()):
            if role in spec.ADMIN_ROLES:
                why = (
                    "administrator accounts are never created from a file, since whoever "
                    "wrote the file would choose who gets administrator rights; a school "
                    "administrator adds them under Staff"
                )
            else:
                why = "staff are added in Markbook under Staff, not by import"
            reader.note(
                f"skip:{role}", f"{count} user(s) with role {role} were not imported: {why}."
            )

    def _check_enrolments(self, orgs: dict[str, _Row]) -> None:
        reader = self.reader
        self.enrolments: list[_Row] = []
        for row in self.tables.get("enrollments", []):
            role = reader.enum(row, "role", spec.ENROLMENT_ROLES, required=True)
            row.cells["role"] = role
            if role == "student" or role == "teacher":
                pass
            elif role:
                reader.note(f"enrol:{role}", f"enrollments.csv: {role} enrolments were ignored.")
                continue
            klass, user = row["classSourcedId"], row["userSourcedId"]
            if klass not in self.classes and klass not in self.other_classes:
                reader.problem(
                    "enrollments",
                    row.number,
                    "classSourcedId",
                    f"{klass!r} is not a class in classes.csv.",
                )
                continue
            if user not in self.users:
                reader.problem(
                    "enrollments",
                    row.number,
                    "userSourcedId",
                    f"{user!r} is not a user in users.csv.",
                )
                continue
            if row["schoolSourcedId"] not in orgs:
                reader.problem(
                    "enrollments",
                    row.number,
                    "schoolSourcedId",
                    f"{row['schoolSourcedId']!r} is not an org in orgs.csv.",
                )
                continue
            if klass in self.other_classes or row["schoolSourcedId"] != self.org:
                self._other_org("enrollments", row["schoolSourcedId"], orgs)
                continue
            if role == "student" and user not in self.pupils:
                reader.problem(
                    "enrollments",
                    row.number,
                    "userSourcedId",
                    f"{user!r} is enrolled as a student but is not a student of "
                    "this school in the users file.",
                )
                continue
            self.enrolments.append(row)

    # --- writing -------------------------------------------------------------------

    def write(self) -> None:
        result, actor, school = self.result, self.actor, self.school
        self.progress(PHASES.index("pupils"), len(PHASES))
        pupils = self._write_pupils()
        if result.problems:
            return
        self.progress(PHASES.index("classes"), len(PHASES))
        existing = {(c.academic_year, c.name.casefold()): c for c in TeachingClass.objects.all()}
        taken = set(existing)
        classes: dict[str, TeachingClass] = {}
        new: list[TeachingClass] = []
        for ref, row in self.classes.items():
            key = (self.class_years[ref], row["title"].casefold())
            teaching_class = existing.get(key)
            if teaching_class is None:
                try:
                    teaching_class = services.class_new(
                        school=school,
                        name=row["title"],
                        subject=_split(row["subjects"])[0] if _split(row["subjects"]) else "",
                        year_group=_year_group(row["grades"]),
                        academic_year=self.class_years[ref],
                        taken=taken,
                    )
                except ValidationError as error:
                    self._errors("classes", row, error, {"name": "title"})
                    continue
                existing[key] = teaching_class
                new.append(teaching_class)
                result.classes_created += 1
            classes[ref] = teaching_class
        if result.problems:
            return
        # As class_create writes them, in bulk, one event per class (SEC-1).
        _insert(TeachingClass, new, timezone.now())
        audit.record_many(
            actor=actor,
            school=school,
            events=[("rosters.class.created", c, services.class_created_logged(c)) for c in new],
        )
        self.progress(PHASES.index("enrolments"), len(PHASES))
        unknown = self._write_enrolments(classes, pupils)
        self.progress(PHASES.index("parents"), len(PHASES))
        self._write_guardians(pupils)
        self.progress(PHASES.index("marks"), len(PHASES))
        self._write_marks(classes, pupils)
        if unknown:
            self.reader.note(
                "unknown",
                "Teachers not found among this school's staff (add them "
                "under Staff, then import again); their classes were imported "
                f"without them: {', '.join(sorted(unknown))}.",
            )

    def _write_enrolments(
        self, classes: dict[str, TeachingClass], pupils: dict[str, Pupil]
    ) -> set[str]:
        """Enrolments and teacher links as enrolment_add, enrolment_remove,
        class_teacher_attach and class_teacher_detach make them, written in bulk with one
        event per link appended at once (SEC-1); the teachers not among the staff."""
        result = self.result
        staff = {u.email.lower(): u for u in selectors.staff() if u.email}
        unknown: set[str] = set()
        enrolled = {
            (class_id, pupil_id): pk
            for class_id, pupil_id, pk in Enrolment.objects.values_list(
                "teaching_class_id", "pupil_id", "pk"
            )
        }
        linked = {
            (class_id, teacher_id): pk
            for class_id, teacher_id, pk in ClassTeacher.objects.values_list(
                "teaching_class_id", "teacher_id", "pk"
            )
        }
        pairs, links = set(enrolled), set(linked)
        # Links added and those of the database removed (a link removed and added again
        # is in both: deleted, then made anew, as the services would).
        add_pairs: set[tuple[int, int]] = set()
        add_links: set[tuple[int, int]] = set()
        removed_pairs: set[tuple[int, int]] = set()
        removed_links: set[tuple[int, int]] = set()
        events: list[tuple[str, TeachingClass, dict[str, Any]]] = []  # in the file's order
        listed: dict[int, set[int]] = defaultdict(set)
        for row in self.enrolments:
            teaching_class = classes[row["classSourcedId"]]
            user_row = self.users[row["userSourcedId"]]
            if row["role"] == "student":
                pupil = pupils.get(row["userSourcedId"])
                if pupil is None:
                    continue  # a pupil who left (delta tobedeleted)
                pair = (teaching_class.pk, pupil.pk)
                if row.status == "tobedeleted":
                    if pair in pairs:
                        pairs.discard(pair)
                        _drop(pair, add_pairs, removed_pairs)
                        events.append(
                            ("rosters.enrolment.removed", teaching_class, {"pupil": pupil.pk})
                        )
                        result.enrolments_removed += 1
                    continue
                listed[teaching_class.pk].add(pupil.pk)
                if pair not in pairs:
                    pairs.add(pair)
                    add_pairs.add(pair)
                    events.append(("rosters.enrolment.added", teaching_class, {"pupil": pupil.pk}))
                    result.enrolments_added += 1
                continue
            email = (user_row["email"] or user_row["username"]).lower()
            teacher = staff.get(email)
            if teacher is None:
                unknown.add(email or user_row["sourcedId"])
                continue
            link = (teaching_class.pk, teacher.pk)
            if row.status == "tobedeleted":
                if link in links:
                    links.discard(link)
                    _drop(link, add_links, removed_links)
                    events.append(
                        ("rosters.class.teacher_detached", teaching_class, {"teacher": teacher.pk})
                    )
                    result.teacher_links_removed += 1
            elif link not in links:
                links.add(link)
                add_links.add(link)
                events.append(
                    ("rosters.class.teacher_attached", teaching_class, {"teacher": teacher.pk})
                )
                result.teacher_links_added += 1
        if self.modes.get("enrollments") == "bulk":
            # The classes' pupils the file does not list, class by class.
            by_class: dict[int, list[int]] = defaultdict(list)
            for (class_id, pupil_id), _ in sorted(enrolled.items(), key=lambda item: item[1]):
                if (class_id, pupil_id) in pairs and pupil_id not in listed[class_id]:
                    by_class[class_id].append(pupil_id)
            for teaching_class in {c.pk: c for c in classes.values()}.values():
                for pupil_id in by_class.pop(teaching_class.pk, []):
                    pairs.discard((teaching_class.pk, pupil_id))
                    removed_pairs.add((teaching_class.pk, pupil_id))
                    events.append(
                        ("rosters.enrolment.removed", teaching_class, {"pupil": pupil_id})
                    )
                    result.enrolments_removed += 1
        _delete(Enrolment, [enrolled[pair] for pair in removed_pairs])
        _delete(ClassTeacher, [linked[link] for link in removed_links])
        school_id = self.school.pk
        insert_rows(
            Enrolment,
            [
                {"school_id": school_id, "teaching_class_id": class_id, "pupil_id": pupil_id}
                for class_id, pupil_id in sorted(add_pairs)
            ],
        )
        insert_rows(
            ClassTeacher,
            [
                {"school_id": school_id, "teaching_class_id": class_id, "teacher_id": teacher_id}
                for class_id, teacher_id in sorted(add_links)
            ],
        )
        audit.record_many(actor=self.actor, school=self.school, events=events)
        return unknown

    def _errors(self, file: str, row: _Row, error: ValidationError, names: dict[str, str]) -> None:
        for name, messages in error.message_dict.items():
            for message in messages:
                self.reader.problem(file, row.number, names.get(name, name), message)

    def _write_pupils(self) -> dict[str, Pupil]:
        """Create, change and mark as left the file's pupils, with the values, checks and
        access log events of pupil_create and pupil_update, written in bulk: users,
        memberships and pupils of new pupils by insert_rows (no password hash, ACC-2),
        changed pupils by update_rows, every event appended at once (SEC-1)."""
        result, school = self.result, self.school
        now = timezone.now()
        existing = list(Pupil.objects.all())
        for pupil in existing:
            pupil.school = school  # the checks read the school's kept fields
        by_id = {p.oneroster_id: p for p in existing if p.oneroster_id}
        by_username = {p.username.lower(): p for p in existing}
        taken = set(by_username)
        names = {
            "first_name": "givenName",
            "last_name": "familyName",
            "year_group": "grades",
            "username": "username",
            "email": "email",
        }
        pupils: dict[str, Pupil] = {}
        new: list[Pupil] = []
        events: list[tuple[str, Pupil, dict[str, Any]]] = []  # in the file's order
        dirty: dict[int, tuple[Pupil, set[str]]] = {}
        for ref, row in self.pupils.items():
            pupil = by_id.get(ref) or by_username.get(row["username"].lower())
            if row.status == "tobedeleted":
                if pupil is not None and pupil.status != Pupil.Status.LEFT:
                    changes = {"status": Pupil.Status.LEFT, "left_on": row.modified}
                    try:
                        self._change(pupil, changes, dirty, events, now)
                    except ValidationError as error:
                        self._errors("users", row, error, names)
                        continue
                    result.pupils_left += 1
                continue
            values: dict[str, Any] = {
                "first_name": row["givenName"],
                "last_name": row["familyName"],
                "year_group": _year_group(row["grades"]),
            }
            email = row["email"].lower()
            if email and school.has_domain(email):
                values["email"] = email
            try:
                if pupil is None:
                    pupil = services.pupil_new(
                        school=school,
                        username=row["username"].lower() or None,
                        taken=taken,
                        **values,
                    )
                    pupil.oneroster_id = ref
                    new.append(pupil)
                    events.append(("rosters.pupil.created", pupil, {}))
                    result.pupils_created += 1
                elif self._change(pupil, values, dirty, events, now):
                    result.pupils_updated += 1
                else:
                    result.pupils_matched += 1
            except ValidationError as error:
                self._errors("users", row, error, names)
                continue
            if pupil.oneroster_id != ref:
                pupil.oneroster_id = ref
                dirty.setdefault(pupil.pk, (pupil, set()))[1].add("oneroster_id")
            pupils[ref] = pupil
        if result.problems:
            return pupils  # nothing is kept: the caller rolls back
        self._insert_pupils(new, now)
        groups: dict[tuple[str, ...], list[Pupil]] = defaultdict(list)
        renamed: list[User] = []
        for pupil, fields in dirty.values():
            groups[tuple(sorted(fields))].append(pupil)
            if pupil.user_id and {"first_name", "last_name"} & fields:
                renamed.append(
                    User(
                        pk=pupil.user_id,
                        username=services.pupil_user_handle(pupil.school_id, pupil.username),
                        first_name=pupil.first_name[:150],
                        last_name=pupil.last_name[:150],
                    )
                )
        for fields, members in groups.items():
            update_rows(Pupil, members, list(fields))
        update_rows(User, renamed, ["username", "first_name", "last_name"])
        audit.record_many(
            actor=self.actor,
            school=school,
            events=[
                (action, pupil, data or services.pupil_created_logged(pupil))
                for action, pupil, data in events
            ],
        )
        return pupils

    @staticmethod
    def _change(
        pupil: Pupil,
        values: dict[str, Any],
        dirty: dict[int, tuple[Pupil, set[str]]],
        events: list[tuple[str, Pupil, dict[str, Any]]],
        now: datetime,
    ) -> bool:
        """Set `values` on an existing pupil as pupil_update does (written later, in
        bulk); whether anything changed."""
        changed = services.pupil_changes_apply(pupil, dict(values))
        if not changed:
            return False
        pupil.updated_at = now
        fields = dirty.setdefault(pupil.pk, (pupil, set()))[1]
        fields |= {*changed, "updated_at", *(["upn_hash"] if "upn" in changed else [])}
        events.append(
            ("rosters.pupil.changed", pupil, services.pupil_changes_logged(pupil, changed))
        )
        return True

    def _insert_pupils(self, new: list[Pupil], now: datetime) -> None:
        """New pupils' users, memberships and pupils, as pupil_create writes them."""
        school = self.school
        user_ids = services.pupil_accounts_insert(
            school=school,
            people=[(p.username, p.first_name, p.last_name) for p in new],
            now=now,
        )
        for pupil, user_id in zip(new, user_ids, strict=True):
            pupil.user_id = user_id
        _insert(Pupil, new, now)


def _insert(model: type[Pupil] | type[TeachingClass], new: list[Any], now: datetime) -> None:
    """Insert unsaved instances (insert_rows) and make them saved ones, with their ids."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for instance in new:
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                setattr(instance, f.attname, now)
    ids = insert_rows(
        model, [{f.attname: getattr(i, f.attname) for f in fields} for i in new], now=now
    )
    for instance, pk in zip(new, ids, strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = "default"


def _drop(key: tuple[int, int], added: set[tuple[int, int]], removed: set[tuple[int, int]]) -> None:
    """A link taken out: not added after all if this import added it, else removed."""
    if key in added:
        added.discard(key)
    else:
        removed.add(key)


def _delete(model: type[Enrolment] | type[ClassTeacher], pks: list[int]) -> None:
    """Delete rows of `model` by primary key, a batch of them per query."""
    for start in range(0, len(pks), 500):
        model.objects.filter(pk__in=pks[start : start + 500]).delete()


class _Preview(Exception):
    pass


def oneroster_import(
    *,
    actor: User | None,
    school: School,
    data: bytes,
    confirm: bool,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Import a OneRoster zip into `school` (ROS-4): all of it or nothing.

    Runs inside the school's scope. Without `confirm` nothing is kept: the result's
    counts preview what confirming would do. `result.problems` lists every problem by
    file, row and column; `result.notes` what was accepted leniently or skipped.

    `progress(done, total)` is called as each phase (PHASES) starts and once more,
    with done == total, when a confirmed import has been written and committed."""
    result = Result()
    total = len(PHASES)
    report = progress or (lambda done, total: None)
    job = _Import(actor, school, result, report)
    report(PHASES.index("read"), total)
    if not job.read(data):
        result.problems.sort(key=lambda p: (p.file, p.row or 0, p.column))
        return result
    report(PHASES.index("check"), total)
    if not job.check():
        result.problems.sort(key=lambda p: (p.file, p.row or 0, p.column))
        return result
    try:
        with transaction.atomic():
            job.write()
            if result.problems or not confirm:
                raise _Preview
            audit.record(
                actor=actor,
                school=school,
                action="rosters.oneroster.imported",
                data={"version": result.version, **result.counts()},
            )
            result.confirmed = True
    except _Preview:
        return result
    report(total, total)
    return result
