"""A school's roster as a OneRoster 1.2 CSV zip, bulk mode (ROS-4, SEC-1).

Files: manifest.csv, orgs.csv (the school, and its trust as a district), one
schoolYear academicSession per academic year of the school's classes, courses.csv
(one per subject, year group and academic year), classes.csv, users.csv and
roles.csv (pupils as student, teachers as teacher, school administrators as
siteAdministrator, parents as guardian with agentSourcedIds naming their
children), enrollments.csv (pupils as student, class teachers as teacher),
lineItems.csv (assignments, ASM-1) and results.csv (marks, ASM-3: a score as
"fully graded", Absent as "not submitted", Not required as "exempt").

The `password` column is in users.csv only because the binding's header order
requires it: it is always blank. Pupils' names follow the school's pseudonymisation
setting. An assignment or pupil imported from OneRoster keeps the sourcedId it came
with; everything else gets a stable Markbook one. Runs inside the school's scope (TEN-4); the
export is recorded in the access log as a staff read of pupil data (SEC-1).

Decision (formula injection, core.spreadsheet): the files are written verbatim, a
name like `=HYPERLINK(...)` or `+SUM(1,2)` as it is stored. They are read by other
systems (an MIS, a learning platform, Markbook itself), not people, and prefixing a
quote would change the data at the other end and break the round trip; CSVs meant
for a person's spreadsheet go through core.spreadsheet.csv_for_people instead.
"""

import csv
import io
import zipfile
from collections import defaultdict
from decimal import Decimal

from markbook.accounts.models import Membership, User
from markbook.assessment.models import HELD, Assignment, Mark
from markbook.privacy.restriction import (
    restricted_count,
    unrestricted,
    unrestricted_pupils,
    unrestricted_users,
)
from markbook.rosters import services
from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil, TeachingClass
from markbook.rosters.oneroster import spec
from markbook.schools.models import AcademicYear, School

SYSTEM_NAME = "Markbook"


def _csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    """A OneRoster CSV, verbatim: for systems, not spreadsheets (see the docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue().encode("utf-8")


def _school_year(academic_year: AcademicYear) -> tuple[str, str, str]:
    """2026/27 -> ("2026-09-01", "2027-08-31", "2027"): the academic year's own dates;
    OneRoster's schoolYear is the calendar year in which the school year ends."""
    start, end = academic_year.start_date, academic_year.end_date
    return start.isoformat(), end.isoformat(), str(end.year)


def pupil_sourced_id(pupil: Pupil) -> str:
    return pupil.oneroster_id or spec.sourced_id(pupil.school_id, "pupil", pupil.pk)


def assignment_sourced_id(assignment: Assignment) -> str:
    """An assignment's lineItem sourcedId: the one it was imported with, else Markbook's."""
    return assignment.oneroster_id or spec.sourced_id(
        assignment.school_id, "lineItem", assignment.pk
    )


def _number(value: Decimal) -> str:
    """20.00 -> "20", 15.50 -> "15.5"."""
    return f"{value.normalize():f}"


SCORE_STATUS = {
    Mark.Status.MARKED: "fully graded",
    Mark.Status.ABSENT: "not submitted",
    Mark.Status.NOT_REQUIRED: "exempt",
}


def oneroster_export(*, actor: User, school: School) -> bytes:
    """The school's roster as a OneRoster 1.2 bulk zip; logged as a read of pupil data."""
    sid = school.pk
    school_org = spec.sourced_id(sid, "org", "school")
    orgs = [
        {
            "sourcedId": school_org,
            "name": school.name,
            "type": "school",
            "identifier": school.urn or "",
            "parentSourcedId": "",
        }
    ]
    if school.trust is not None:
        trust_org = spec.sourced_id(0, "trust", school.trust_id)
        orgs[0]["parentSourcedId"] = trust_org
        orgs.insert(
            0,
            {"sourcedId": trust_org, "name": school.trust.name, "type": "district"},
        )

    # Every academic year of the school is an academicSession of type schoolYear.
    years = {y.name: y for y in AcademicYear.objects.all()}
    classes = list(
        TeachingClass.objects.select_related("academic_year").order_by(
            "academic_year__start_date", "name"
        )
    )
    sessions = {name: spec.sourced_id(sid, "session", name) for name in years}
    courses: dict[tuple[str, str, str], str] = {}
    for teaching_class in classes:
        key = (teaching_class.academic_year.name, teaching_class.subject, teaching_class.year_group)
        courses.setdefault(key, spec.sourced_id(sid, "course", "|".join(key)))
    session_rows = []
    for year, session_id in sorted(sessions.items()):
        start, end, school_year = _school_year(years[year])
        session_rows.append(
            {
                "sourcedId": session_id,
                "title": year,
                "type": "schoolYear",
                "startDate": start,
                "endDate": end,
                "schoolYear": school_year,
            }
        )
    course_rows = []
    for (year, subject, year_group), course_id in sorted(courses.items()):
        title = " ".join(
            part
            for part in (subject or "General", f"Year {year_group}" if year_group else "", year)
            if part
        )
        course_rows.append(
            {
                "sourcedId": course_id,
                "schoolYearSourcedId": sessions[year],
                "title": title,
                "grades": spec.grade_for(year_group) if year_group else "",
                "orgSourcedId": school_org,
                "subjects": subject,
            }
        )
    class_ids = {c.pk: spec.sourced_id(sid, "class", c.pk) for c in classes}
    class_rows = [
        {
            "sourcedId": class_ids[c.pk],
            "title": c.name,
            "grades": spec.grade_for(c.year_group) if c.year_group else "",
            "courseSourcedId": courses[(c.academic_year.name, c.subject, c.year_group)],
            "classCode": c.name,
            "classType": spec.CLASS_TYPE_OF[c.kind],
            "schoolSourcedId": school_org,
            "termSourcedIds": sessions[c.academic_year.name],
            "subjects": c.subject,
        }
        for c in classes
    ]

    pseudonymise = school.pseudonymise_pupils
    user_rows: list[dict[str, str]] = []
    role_rows: list[dict[str, str]] = []

    def add_role(user_id: str, role: str) -> None:
        role_rows.append(
            {
                "sourcedId": spec.sourced_id(sid, "role", f"{user_id}:{role}"),
                "userSourcedId": user_id,
                "roleType": "primary",
                "role": role,
                "orgSourcedId": school_org,
            }
        )

    # Restricted pupils (DSR-5) and their enrolments, links and results are left out.
    everyone = Pupil.objects.select_related("school")
    pupils = list(unrestricted_pupils(everyone).order_by("last_name", "first_name", "pk"))
    restricted = restricted_count(everyone)
    pupil_ids = {p.pk: pupil_sourced_id(p) for p in pupils}
    for pupil in pupils:
        hidden = pseudonymise and bool(pupil.pseudonym)
        user_rows.append(
            {
                "sourcedId": pupil_ids[pupil.pk],
                "enabledUser": "true" if pupil.status == Pupil.Status.ON_ROLL else "false",
                "username": pupil.username,
                "givenName": pupil.pseudonym if hidden else pupil.first_name,
                "familyName": "(pseudonym)" if hidden else pupil.last_name,
                "email": "" if hidden else (pupil.email_for_staff() or ""),
                "grades": spec.grade_for(pupil.year_group),
                "primaryOrgSourcedId": school_org,
            }
        )
        add_role(pupil_ids[pupil.pk], "student")

    staff_roles: dict[int, set[str]] = defaultdict(set)
    for user_id, role in Membership.objects.filter(
        role__in=[Membership.Role.TEACHER, Membership.Role.SCHOOL_ADMIN]
    ).values_list("user_id", "role"):
        staff_roles[user_id].add(role)
    staff_ids: dict[int, str] = {}
    staff_users = unrestricted_users(User.objects.filter(pk__in=staff_roles))
    for user in staff_users.order_by("last_name", "first_name", "pk"):
        staff_ids[user.pk] = spec.sourced_id(sid, "user", user.pk)
        user_rows.append(
            {
                "sourcedId": staff_ids[user.pk],
                "enabledUser": "true" if user.is_active else "false",
                "username": user.email,
                "givenName": user.first_name,
                "familyName": user.last_name,
                "email": user.email,
                "primaryOrgSourcedId": school_org,
            }
        )
        if Membership.Role.TEACHER in staff_roles[user.pk]:
            add_role(staff_ids[user.pk], "teacher")
        if Membership.Role.SCHOOL_ADMIN in staff_roles[user.pk]:
            add_role(staff_ids[user.pk], "siteAdministrator")

    children: dict[int, list[str]] = defaultdict(list)
    for parent_id, pupil_id in GuardianLink.objects.order_by("pk").values_list(
        "parent_id", "pupil_id"
    ):
        if pupil_id in pupil_ids:
            children[parent_id].append(pupil_ids[pupil_id])
    parents = unrestricted_users(User.objects.filter(pk__in=children))
    for user in parents.order_by("last_name", "first_name", "pk"):
        parent_sid = spec.sourced_id(sid, "user", user.pk)
        user_rows.append(
            {
                "sourcedId": parent_sid,
                "enabledUser": "true" if user.is_active else "false",
                "username": user.email,
                "givenName": user.first_name,
                "familyName": user.last_name,
                "email": user.email,
                "agentSourcedIds": ",".join(children[user.pk]),
                "primaryOrgSourcedId": school_org,
            }
        )
        add_role(parent_sid, "guardian")

    enrolment_rows = []
    for link in ClassTeacher.objects.order_by("teaching_class_id", "teacher_id"):
        if link.teacher_id not in staff_ids:
            continue  # a former teacher still linked: not staff any more
        enrolment_rows.append(
            {
                "sourcedId": spec.sourced_id(sid, "teacher-link", link.pk),
                "classSourcedId": class_ids[link.teaching_class_id],
                "schoolSourcedId": school_org,
                "userSourcedId": staff_ids[link.teacher_id],
                "role": "teacher",
            }
        )
    for enrolment in unrestricted(Enrolment.objects.all(), "pupil_id").order_by(
        "teaching_class_id", "pupil_id"
    ):
        enrolment_rows.append(
            {
                "sourcedId": spec.sourced_id(sid, "enrolment", enrolment.pk),
                "classSourcedId": class_ids[enrolment.teaching_class_id],
                "schoolSourcedId": school_org,
                "userSourcedId": pupil_ids[enrolment.pupil_id],
                "role": "student",
            }
        )

    assignments = list(
        Assignment.objects.select_related("teaching_class__academic_year").order_by(
            "teaching_class__academic_year__start_date",
            "teaching_class__name",
            "due_date",
            "title",
            "pk",
        )
    )
    line_ids = {a.pk: assignment_sourced_id(a) for a in assignments}
    line_item_rows = [
        {
            "sourcedId": line_ids[a.pk],
            "title": a.title,
            "assignDate": a.created_at.date().isoformat(),
            "dueDate": a.due_date.isoformat() if a.due_date else "",
            "classSourcedId": class_ids[a.teaching_class_id],
            "academicSessionSourcedId": sessions[a.teaching_class.academic_year.name],
            "resultValueMin": "0",
            "resultValueMax": _number(a.max_mark),
            "schoolSourcedId": school_org,
        }
        for a in assignments
    ]
    class_of = {a.pk: a.teaching_class_id for a in assignments}
    result_rows = [
        {
            "sourcedId": spec.sourced_id(sid, "result", mark.pk),
            "lineItemSourcedId": line_ids[mark.assignment_id],
            "studentSourcedId": pupil_ids[mark.pupil_id],
            "scoreStatus": SCORE_STATUS[Mark.Status(mark.status)],
            "score": _number(mark.score) if mark.score is not None else "",
            "scoreDate": mark.updated_at.date().isoformat(),
            "classSourcedId": class_ids[class_of[mark.assignment_id]],
        }
        for mark in unrestricted(Mark.objects.filter(HELD), "pupil_id").order_by(
            "assignment_id", "pupil_id"
        )
    ]

    data = {
        "orgs": orgs,
        "academicSessions": session_rows,
        "courses": course_rows,
        "classes": class_rows,
        "users": user_rows,
        "roles": role_rows,
        "enrollments": enrolment_rows,
        "lineItems": line_item_rows,
        "results": result_rows,
    }
    # The binding allows no file without data rows: an empty one is marked absent.
    manifest = [
        {"propertyName": "manifest.version", "value": "1.0"},
        {"propertyName": "oneroster.version", "value": "1.2"},
        *(
            {"propertyName": f"file.{name}", "value": "bulk" if data.get(name) else "absent"}
            for name in spec.ALL_FILES
        ),
        {"propertyName": "source.systemName", "value": SYSTEM_NAME},
        {"propertyName": "source.systemCode", "value": SYSTEM_NAME},
    ]
    files = {"manifest": _csv(spec.MANIFEST_HEADER, manifest)}
    files |= {name: _csv(spec.HEADERS_12[name], rows) for name, rows in data.items() if rows}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            # A fixed entry time: the same roster gives the same bytes (dates are in the CSVs).
            entry = zipfile.ZipInfo(f"{name}.csv", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(entry, content, compress_type=zipfile.ZIP_DEFLATED)
    services.roster_read_record(
        actor=actor,
        school=school,
        action="rosters.oneroster.exported",
        data={
            "pupils": len(pupils),
            "restricted_left_out": restricted,
            "staff": len(staff_ids),
            "parents": len(children),
            "classes": len(classes),
            "enrollments": len(enrolment_rows),
            "assignments": len(line_item_rows),
            "marks": len(result_rows),
        },
    )
    return buffer.getvalue()
