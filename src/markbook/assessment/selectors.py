"""Reads of assignments, completion and a pupil's results (ASM-1, ASM-3, TEN-3).

Every function runs inside the request's school scope (TEN-4); none filters by school.
Lists cost a fixed number of queries whatever their length (the tests assert it).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Prefetch, Q, QuerySet

from markbook.accounts.models import User
from markbook.admission import ADMINS, Access
from markbook.assessment.grading import grade_for_mark
from markbook.assessment.models import HELD, Assignment, AssignmentBoundary, Mark, TrustAssignment
from markbook.rosters.models import Enrolment, Pupil, TeachingClass
from markbook.schools.models import School, Trust
from markbook.tracking.models import Grade, Target, TrackingEntry


def _with_details(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return assignments.select_related(
        "teaching_class", "subject", "subject__scale"
    ).prefetch_related(Prefetch("boundaries", AssignmentBoundary.objects.select_related("grade")))


def assignments_visible_to(user: User, access: Access) -> QuerySet[Assignment]:
    """Administrators every assignment of the school; a teacher those of the classes
    they teach (TEN-3); nobody else any (pupils and parents see results instead)."""
    assignments = _with_details(Assignment.objects.all())
    if access.has(*ADMINS):
        return assignments
    if access.has("teacher"):
        return assignments.filter(teaching_class__teacher_links__teacher=user)
    return assignments.none()


def classes_for_work(user: User, access: Access) -> QuerySet[TeachingClass]:
    """The classes this user may set work for: administrators any, a teacher theirs."""
    classes = TeachingClass.objects.order_by("name", "academic_year", "pk")
    if access.has(*ADMINS):
        return classes
    if access.has("teacher"):
        return classes.filter(teacher_links__teacher=user)
    return classes.none()


@dataclass
class Completion:
    """How far one assignment is marked among its class's current pupils (ASM-1)."""

    pupils: int = 0
    marked: int = 0
    absent: int = 0
    not_required: int = 0

    @property
    def missing(self) -> int:
        return max(self.pupils - self.marked - self.absent - self.not_required, 0)


def completion(assignments: Iterable[Assignment]) -> dict[int, Completion]:
    """assignment id -> counts of marked, Absent, Not required and missing among the
    pupils on roll enrolled in its class now; two queries, whatever the number."""
    assignments = list(assignments)
    class_ids = {a.teaching_class_id for a in assignments}
    sizes = dict(
        Enrolment.objects.filter(
            teaching_class_id__in=class_ids, pupil__status=Pupil.Status.ON_ROLL
        )
        .values_list("teaching_class_id")
        .annotate(n=Count("pupil_id", distinct=True))
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Mark.objects.filter(
            HELD,
            assignment_id__in=[a.pk for a in assignments],
            pupil__status=Pupil.Status.ON_ROLL,
            pupil__enrolments__teaching_class=F("assignment__teaching_class"),
        )
        .values_list("assignment_id", "status")
        .annotate(n=Count("pk", distinct=True))
    )
    for assignment_id, status, n in rows:
        counts[assignment_id][status] = n
    result = {}
    for a in assignments:
        c = counts.get(a.pk, {})
        result[a.pk] = Completion(
            pupils=sizes.get(a.teaching_class_id, 0),
            marked=c.get(Mark.Status.MARKED, 0),
            absent=c.get(Mark.Status.ABSENT, 0),
            not_required=c.get(Mark.Status.NOT_REQUIRED, 0),
        )
    return result


def overdue(user: User, access: Access, today: date) -> list[tuple[Assignment, Completion]]:
    """The user's assignments past their due date with marks still missing, oldest first
    (a teacher's own classes; administrators the school's). Three queries."""
    due = list(
        assignments_visible_to(user, access)
        .filter(due_date__lt=today)
        .order_by("due_date", "teaching_class__name", "pk")
        .distinct()
    )
    done = completion(due)
    return [(a, done[a.pk]) for a in due if done[a.pk].missing]


def trust_assignments(trust: Trust) -> QuerySet[TrustAssignment]:
    """The trust's originals, newest first, with how many copies each has."""
    return TrustAssignment.objects.filter(trust=trust).annotate(copy_count=Count("copies"))


def trust_classes(trust: Trust) -> QuerySet[TeachingClass]:
    """Every teaching class of the trust's schools (the request's scope is the trust)."""
    return (
        TeachingClass.objects.filter(school__trust=trust, kind=TeachingClass.Kind.TEACHING)
        .select_related("school")
        .order_by("school__name", "name", "pk")
    )


# --- A pupil's results, for themself, their parents and their teachers -----------


@dataclass
class Result:
    """One assignment as a pupil or parent sees it (ASM-3)."""

    assignment: Assignment
    mark: Mark | None
    grade: Grade | None
    status: str  # marked, absent, not_required, overdue, waiting

    @property
    def status_label(self) -> str:
        return {
            "marked": "Marked",
            "absent": "Absent",
            "not_required": "Not required",
            "overdue": "Not handed in or not yet marked",
            "waiting": "Not yet marked",
        }[self.status]


@dataclass
class TrackingRow:
    """One subject's tracking as families see it: target, and per drop the fields shown."""

    subject: str
    target: str = ""
    drops: list[tuple[str, str, str, bool]] = field(
        default_factory=list
    )  # drop, field, value, locked


def pupil_results(pupil: Pupil, today: date) -> list[Result]:
    """Every assignment of the pupil's classes, and any other they hold a mark for,
    with their mark, grade and status; newest due first. Three queries."""
    marks = {m.assignment_id: m for m in Mark.objects.filter(HELD, pupil=pupil)}
    assignments = _with_details(
        Assignment.objects.filter(
            Q(teaching_class__enrolments__pupil=pupil) | Q(pk__in=list(marks))
        ).distinct()
    ).order_by(F("due_date").desc(nulls_last=True), "title", "pk")
    results = []
    for a in assignments:
        mark = marks.get(a.pk)
        if mark is not None:
            status = mark.status
        else:
            status = "overdue" if a.due_date and a.due_date < today else "waiting"
        score = mark.score if mark is not None else None
        results.append(Result(a, mark, grade_for_mark(a, score), status))
    return results


def _value(entry: TrackingEntry) -> str:
    if entry.grade is not None:
        return entry.grade.label
    if entry.value is not None:
        return str(
            entry.value.normalize() if entry.value == entry.value.to_integral() else entry.value
        )
    return ""


def pupil_tracking(pupil: Pupil, school: School) -> list[TrackingRow]:
    """The pupil's tracking that the school lets families see (School.families_see_*):
    working-at and predicted grades at each drop, and targets; nothing else (effort or
    a school's own fields are not shown). Two queries."""
    keys = []
    if school.families_see_working_at:
        keys.append("working_at")
    if school.families_see_predicted:
        keys.append("predicted")
    rows: dict[str, TrackingRow] = {}
    if keys:
        entries = (
            TrackingEntry.objects.filter(pupil=pupil, field__key__in=keys)
            .select_related("drop", "field", "subject", "grade")
            .order_by("subject__name", "drop__date", "field__position", "pk")
        )
        for entry in entries:
            value = _value(entry)
            if not value:
                continue
            row = rows.setdefault(entry.subject.name, TrackingRow(entry.subject.name))
            row.drops.append(
                (entry.drop.name, entry.field.label, value, entry.drop.locked_at is not None)
            )
    if school.families_see_targets:
        for target in Target.objects.filter(pupil=pupil).select_related("subject", "grade"):
            row = rows.setdefault(target.subject.name, TrackingRow(target.subject.name))
            row.target = target.grade.label
    return [rows[name] for name in sorted(rows)]
