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

Decisions (docs/domain.md, Rosters):
- Only rows of this school's org are imported. The school's org is the one whose
  sourcedId is Markbook's own, or whose identifier is the school's URN, or whose name
  is the school's name; a new, empty school takes the file's only school org. Rows
  for other orgs are ignored with a note; a file with no org for this school is
  refused, naming every org it has (sourcedId, name, type, identifier) and this rule.
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
- A pupil's grades cell is optional (1.2): a pupil without one takes the year group
  of the classes they are enrolled in when those agree; else a new pupil has none and
  a known one keeps theirs. The notes say which, naming the rows.
- demographics.csv (by the user's sourcedId) fills the pupils' date of birth and sex,
  of the fields the school keeps only (ROS-5): the others are not read, and a note
  says so. Sex unspecified or other leaves it blank (noted). Every other file of the
  zip, and every column holding values that the import does not read (spec.READ:
  preferredGivenName, pronouns, userProfiles.csv ...), is named in the notes:
  Markbook keeps no preferred names.
- Classes are matched by title within their academic year, or created; a homeroom
  becomes a registration group (TeachingClass.kind) and is exported as a homeroom.
  A class marked tobedeleted (in a delta file, or in a bulk file, which real
  systems write) is not created, nor its enrolments and line items; one already in
  Markbook is kept with its pupils and marks (an import deletes no class, as it
  deletes no pupil), with a note. Other rows marked tobedeleted in a bulk file are
  read as deletions too, as in a delta file (noted).
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

from collections import defaultdict

from django.db import transaction

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.privacy.suppression import Suppressed
from markbook.rosters import services
from markbook.rosters.imports.common import Report
from markbook.rosters.models import Pupil, TeachingClass
from markbook.rosters.oneroster import spec
from markbook.rosters.oneroster.files import (
    COUNTS,
    PHASES,
    FileProblem,
    Reader,
    Result,
    Row,
    academic_year,
    numbers,
    open_zip,
    parse_date,
    read_table,
    unread_notes,
    year_group,
)
from markbook.rosters.oneroster.guardians import GuardiansMixin
from markbook.rosters.oneroster.marks import MarksMixin
from markbook.rosters.oneroster.people import PeopleMixin
from markbook.rosters.oneroster.spec import split_values as _split
from markbook.rosters.oneroster.write import WriteMixin
from markbook.schools import years
from markbook.schools.models import School

__all__ = ["COUNTS", "PHASES", "FileProblem", "Result", "oneroster_import", "parse_date"]


class _Import(WriteMixin, PeopleMixin, GuardiansMixin, MarksMixin):
    def __init__(
        self,
        actor: User | None,
        school: School,
        result: Result,
        progress: Report,
        writing: Report | None,
        restore_erased: bool = False,
    ) -> None:
        self.actor, self.school, self.result = actor, school, result
        # The school's suppression list (DSR-4), unless it asked to bring them back.
        self.erased = None if restore_erased else Suppressed()
        self.reader = Reader(result)
        self.progress = progress
        self.writing = writing  # told of records written; None: nobody asks

    # --- reading -----------------------------------------------------------------

    def read(self, data: bytes) -> bool:
        reader = self.reader
        files = open_zip(data, reader)
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
        manifest = read_table("manifest", files["manifest"], spec.MANIFEST_HEADER, "bulk", reader)
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
        for name in spec.READ:
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
        self.tables: dict[str, list[Row]] = {}
        for name, mode in self.modes.items():
            if mode == "absent":
                continue
            variants = (
                spec.HEADER_VARIANTS_12.get(name) if self.headers is spec.HEADERS_12 else None
            )
            rows = read_table(name, files[name], self.headers[name], mode, reader, variants)
            if rows is not None:
                self.tables[name] = rows
        unread_notes(files, self.modes, self.tables, self.headers, self.school, reader)
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
        self.classes: dict[str, Row] = {}
        self.class_years: dict[str, str] = {}
        self.deleted_classes: dict[str, Row] = {}
        for row in self.tables.get("classes", []):
            row.cells["classType"] = reader.enum(row, "classType", spec.CLASS_TYPES, required=True)
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
            if row.status == "tobedeleted":
                self.deleted_classes[row["sourcedId"]] = row
                continue
            year = next((y for t in terms if (y := academic_year(sessions.get(t)))), "")
            if not year:
                year = years.academic_year_current(self.school).name
                reader.note("year", f"Classes without an academic session were put in {year}.")
            self.classes[row["sourcedId"]] = row
            self.class_years[row["sourcedId"]] = year
            if not row["subjects"] and course in courses:
                row.cells["subjects"] = courses[course]["subjects"]
        self.other_classes = {
            r["sourcedId"]
            for r in self.tables.get("classes", [])
            if r["sourcedId"] not in self.classes and r["sourcedId"] not in self.deleted_classes
        }
        self._note_deleted_classes()
        self.orgs = orgs
        # This school's pupils by Markbook's sourcedId and by the one they were imported
        # with: results and parents in the file may name pupils the users file leaves out.
        self.known_pupils: dict[str, Pupil] = {}
        for pupil in Pupil.objects.all():
            self.known_pupils[spec.sourced_id(self.school.pk, "pupil", pupil.pk)] = pupil
            if pupil.oneroster_id:
                self.known_pupils[pupil.oneroster_id] = pupil
        self._check_users(orgs)
        self._check_demographics()
        self._check_enrolments(orgs)
        self._years()
        self._check_guardians()
        self._check_marks()
        return not self.result.problems

    def _note_deleted_classes(self) -> None:
        """Classes marked tobedeleted are not created; one already in Markbook is kept,
        with its pupils, teachers and marks (an import deletes no class and no mark of
        one, as it deletes no pupil); their enrolments and line items are ignored."""
        if not self.deleted_classes:
            return
        titles = {row["title"].casefold() for row in self.deleted_classes.values()}
        kept = sorted(c.name for c in TeachingClass.objects.all() if c.name.casefold() in titles)
        rows = numbers([row.number for row in self.deleted_classes.values()])
        also = (
            f" Those already in Markbook ({', '.join(kept)}) were kept as they are, with "
            "their pupils and marks: delete them under Classes if they are no longer taught."
            if kept
            else ""
        )
        self.reader.note(
            "classes:deleted",
            f"classes.csv: {len(self.deleted_classes)} class(es) marked tobedeleted were not "
            f"imported (rows {rows}), nor their enrolments and line items.{also}",
        )

    def _other_org(self, file: str, org: str, orgs: dict[str, Row]) -> None:
        name = orgs[org]["name"] if org in orgs else org
        self.reader.note(
            f"other:{file}:{org}", f"{file}.csv: rows for {name!r} (another org) were ignored."
        )

    def _find_org(self, orgs: dict[str, Row]) -> bool:
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
        found = "; ".join(
            f"{r['name'] or '(no name)'!r} (sourcedId {r['sourcedId']}, type "
            f"{r['type'] or 'blank'}, identifier {r['identifier'] or 'blank'})"
            for r in orgs.values()
        )
        urn = f"identifier {school.urn} (the school's URN), or " if school.urn else ""
        self.reader.problem(
            "orgs",
            schools[0].number if schools else None,
            "name",
            f"This file is for {'another school' if schools else 'no school'}, not for "
            f"{school.name}: nothing was imported. Its orgs are {found or 'none'}. This "
            f"school's org is one of type school with {urn}the name {school.name!r}. "
            "Export the file for this school, or correct its org.",
        )
        return False

    def _check_users(self, orgs: dict[str, Row]) -> None:
        reader = self.reader
        users = {r["sourcedId"]: r for r in self.tables["users"]}
        self.users = users
        roles: dict[str, list[tuple[str, str, Row]]] = defaultdict(list)  # user -> (role, org)
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
        self.no_grades: list[Row] = []
        self.pupils: dict[str, Row] = {}
        self.teachers: dict[str, Row] = {}
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
                if row.status != "active" or year_group(row["grades"]):
                    pass
                elif not row["grades"]:
                    self.no_grades.append(row)  # optional in 1.2: from the classes (_years)
                else:
                    reader.problem(
                        "users",
                        row.number,
                        "grades",
                        f"{row['grades']!r} is not a year group: use N1, N2, R or 01 to 13 "
                        "(or leave it blank).",
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

    def _check_enrolments(self, orgs: dict[str, Row]) -> None:
        reader = self.reader
        self.enrolments: list[Row] = []
        for row in self.tables.get("enrollments", []):
            role = reader.enum(row, "role", spec.ENROLMENT_ROLES, required=True)
            row.cells["role"] = role
            if role == "student" or role == "teacher":
                pass
            elif role:
                reader.note(f"enrol:{role}", f"enrollments.csv: {role} enrolments were ignored.")
                continue
            klass, user = row["classSourcedId"], row["userSourcedId"]
            if klass in self.deleted_classes:
                continue  # noted with the class (_note_deleted_classes)
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


class _Preview(Exception):
    pass


def oneroster_import(
    *,
    actor: User | None,
    school: School,
    data: bytes,
    confirm: bool,
    progress: Report | None = None,
    restore_erased: bool = False,
) -> Result:
    """Import a OneRoster zip into `school` (ROS-4): all of it or nothing.

    A pupil or parent erased at the school's request is not created again (noted,
    DSR-4) unless `restore_erased`.

    Runs inside the school's scope. Without `confirm` nothing is kept: the result's
    counts preview what confirming would do. `result.problems` lists every problem by
    file, row and column; `result.notes` what was accepted leniently or skipped.

    `progress(done, total, "steps")` is called as each phase (PHASES) starts and once
    more, with done == total, when a confirmed import has been written and committed;
    within the pupils and enrolments phases, `progress(done, total, "... records
    written")` as the records are written (imports.common.Written)."""
    result = Result()
    total = len(PHASES)
    report = progress or (lambda done, total, stage="": None)
    job = _Import(actor, school, result, report, progress, restore_erased)
    report(PHASES.index("read"), total, "steps")
    if not job.read(data):
        result.problems.sort(key=lambda p: (p.file, p.row or 0, p.column))
        return result
    report(PHASES.index("check"), total, "steps")
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
    report(total, total, "steps")
    return result
