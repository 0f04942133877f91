"""Writes on assignments and marks (ASM-1, ASM-3, DSR-3).

Keyword-only, atomic and audited, run inside the school's scope (TEN-4) like the
rosters services. Bad input raises `ValidationError({field: [message]})` and writes
nothing. The assignment pages and API, the OneRoster import (ROS-4) and the trust's
assignments (`trust_assignment_*`: one original, a copy per class in each school)
call them.
"""

from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q

from markbook.accounts.models import User
from markbook.assessment.grading import check_boundaries
from markbook.assessment.models import (
    HELD,
    RECORDED_STATUSES,
    Assignment,
    AssignmentBoundary,
    Mark,
    TrustAssignment,
)
from markbook.audit import services as audit
from markbook.rosters.models import Pupil, TeachingClass
from markbook.schools.models import Trust
from markbook.tracking.models import Grade, Subject, SubjectClass

if TYPE_CHECKING:  # django-stubs is a development dependency
    from django_stubs_ext import WithAnnotations

    from markbook.practice.models import QuestionSet

MAX_MARK_LIMIT = Decimal("99999.99")


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise _fail(field, f"{value!r} is not a number.") from error
    if not number.is_finite():
        raise _fail(field, f"{value!r} is not a number.")
    if abs(number) > MAX_MARK_LIMIT:
        # Quantizing a huge number raises InvalidOperation: refuse it as too large first.
        raise _fail(field, f"{value} is too large; marks go up to {MAX_MARK_LIMIT}.")
    if number != number.quantize(Decimal("0.01")):
        raise _fail(field, f"{value} has more than 2 decimal places.")
    return number.quantize(Decimal("0.01"))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _validate_assignment(title: str, max_mark: Any, kind: str) -> tuple[str, Decimal]:
    title = (title or "").strip()
    if not title:
        raise _fail("title", "Give the assignment a title.")
    if len(title) > 200:
        raise _fail("title", "The title is longer than 200 characters.")
    if kind not in Assignment.Kind.values:
        raise _fail("kind", f"{kind!r} is not a kind; use homework, classwork or test.")
    mark = _decimal(max_mark, "max_mark")
    if mark <= 0 or mark > MAX_MARK_LIMIT:
        raise _fail(
            "max_mark", f"The maximum mark must be more than 0 and at most {MAX_MARK_LIMIT}."
        )
    return title, mark


def _class_open(teaching_class: TeachingClass) -> None:
    """An archived year's class keeps its marks read-only (ROS-1)."""
    if teaching_class.archived:
        raise _fail(
            "teaching_class",
            f"{teaching_class.name} is archived with {teaching_class.academic_year.name}: "
            "its marks can be read but not changed.",
        )


def _class_subject(teaching_class: TeachingClass) -> Subject | None:
    link = SubjectClass.objects.select_related("subject").filter(teaching_class=teaching_class)
    first = link.first()
    return first.subject if first else None


def _boundaries(
    subject: Subject | None, boundaries: Mapping[int, Any], max_mark: Decimal
) -> dict[int, Decimal]:
    """Checked boundaries (grade id -> lowest mark) on `subject`'s scale (ASM-1)."""
    if not boundaries:
        return {}
    if subject is None:
        raise _fail("boundaries", "Choose a subject first: boundaries are grades on its scale.")
    minimums = {int(g): _decimal(m, "boundaries") for g, m in boundaries.items()}
    grades = {g.pk: g for g in Grade.objects.filter(scale_id=subject.scale_id)}
    check_boundaries(grades=grades, minimums=minimums, max_mark=max_mark)
    return minimums


def _write_boundaries(assignment: Assignment, minimums: dict[int, Decimal]) -> None:
    AssignmentBoundary.objects.filter(assignment=assignment).delete()
    AssignmentBoundary.objects.bulk_create(
        AssignmentBoundary(
            school_id=assignment.school_id, assignment=assignment, grade_id=g, minimum_mark=m
        )
        for g, m in minimums.items()
    )


def _boundary_text(minimums: Mapping[int, Decimal]) -> dict[str, str]:
    return {str(g): str(m) for g, m in sorted(minimums.items())}


def _practice(
    school_id: int, question_set: "QuestionSet | None", max_mark: Any, score_is_mark: Any
) -> tuple[Any, bool]:
    """A practice assignment's maximum mark (the set's questions) and whether its score
    counts as the mark; an assignment without a set has no score to count (ASM-2)."""
    if question_set is None:
        return max_mark, False
    if question_set.school_id != school_id:
        raise _fail("question_set", "This practice set is not one of the school's.")
    if question_set.archived:
        raise _fail("question_set", f"{question_set.title} is archived; choose another set.")
    return question_set.question_count, bool(score_is_mark)


@transaction.atomic
def assignment_create(
    *,
    actor: User | None,
    teaching_class: TeachingClass,
    title: str,
    max_mark: Decimal | int | str,
    due_date: date | None = None,
    kind: str = Assignment.Kind.HOMEWORK,
    subject: Subject | None = None,
    boundaries: Mapping[int, Any] | None = None,
    oneroster_id: str = "",
    trust_origin: TrustAssignment | None = None,
    question_set: "QuestionSet | None" = None,
    score_is_mark: bool = False,
) -> Assignment:
    """Set an assignment to a class (ASM-1), not to a class of an archived year: its subject is the class's (tracking's
    SubjectClass) unless one is given; boundaries (grade id -> lowest mark) are checked
    against the subject's scale and the maximum mark. With a practice set (ASM-2) the
    maximum mark is the set's number of questions."""
    _class_open(teaching_class)
    max_mark, score_is_mark = _practice(
        teaching_class.school_id, question_set, max_mark, score_is_mark
    )
    title, mark = _validate_assignment(title, max_mark, kind)
    if subject is None:
        subject = _class_subject(teaching_class)
    elif subject.school_id != teaching_class.school_id:
        raise _fail("subject", "This subject is not one of the school's.")
    minimums = _boundaries(subject, boundaries or {}, mark)
    assignment = Assignment.objects.create(
        school_id=teaching_class.school_id,
        teaching_class=teaching_class,
        title=title,
        kind=kind,
        subject=subject,
        max_mark=mark,
        due_date=due_date,
        oneroster_id=oneroster_id,
        trust_origin=trust_origin,
        question_set=question_set,
        score_is_mark=score_is_mark,
        created_by=actor,
    )
    _write_boundaries(assignment, minimums)
    data: dict[str, Any] = {
        "class": teaching_class.pk,
        "title": title,
        "max_mark": str(mark),
        "kind": kind,
    }
    if question_set is not None:
        data["question_set"] = question_set.pk
        data["score_is_mark"] = score_is_mark
    if minimums:
        data["boundaries"] = _boundary_text(minimums)
    if trust_origin is not None:
        data["trust_assignment"] = trust_origin.pk
    audit.record(
        actor=actor,
        school=teaching_class.school_id,
        action="assessment.assignment.created",
        target=assignment,
        data=data,
    )
    return assignment


_UNCHANGED: Any = object()


@transaction.atomic
def assignment_update(
    *,
    actor: User | None,
    assignment: Assignment,
    title: str,
    max_mark: Decimal | int | str,
    due_date: date | None,
    kind: str | None = None,
    subject: Subject | None = _UNCHANGED,
    boundaries: Mapping[int, Any] | None = None,
    question_set: "QuestionSet | None" = _UNCHANGED,
    score_is_mark: bool | None = None,
) -> Assignment:
    """Change an assignment's title, due date, maximum mark, and (when given) kind,
    subject, boundaries, practice set and whether its score counts as the mark (ASM-1,
    ASM-2). A maximum below a mark already given is refused, and the boundaries kept
    must still fit the subject's scale and the maximum."""
    kind = assignment.kind if kind is None else kind
    if question_set is _UNCHANGED:
        question_set = assignment.question_set
    if score_is_mark is None:
        score_is_mark = assignment.score_is_mark
    max_mark, score_is_mark = _practice(assignment.school_id, question_set, max_mark, score_is_mark)
    title, mark = _validate_assignment(title, max_mark, kind)
    if subject is _UNCHANGED:
        subject = assignment.subject
    elif subject is not None and subject.school_id != assignment.school_id:
        raise _fail("subject", "This subject is not one of the school's.")
    current = {b.grade_id: b.minimum_mark for b in assignment.boundaries.all()}
    minimums = _boundaries(subject, current if boundaries is None else boundaries, mark)
    old = {
        "title": assignment.title,
        "kind": assignment.kind,
        "subject": assignment.subject_id,
        "max_mark": str(assignment.max_mark),
        "due_date": assignment.due_date.isoformat() if assignment.due_date else None,
        "boundaries": _boundary_text(current),
        "question_set": assignment.question_set_id,
        "score_is_mark": assignment.score_is_mark,
    }
    new = {
        "title": title,
        "kind": kind,
        "subject": subject.pk if subject else None,
        "max_mark": str(mark),
        "due_date": due_date.isoformat() if due_date else None,
        "boundaries": _boundary_text(minimums),
        "question_set": question_set.pk if question_set else None,
        "score_is_mark": score_is_mark,
    }
    if old == new:
        return assignment
    if assignment.marks.filter(score__gt=mark).exists():
        raise _fail("max_mark", f"Some marks are above {mark}; change them first.")
    assignment.title, assignment.max_mark, assignment.due_date = title, mark, due_date
    assignment.kind, assignment.subject = kind, subject
    assignment.question_set, assignment.score_is_mark = question_set, score_is_mark
    assignment.save(
        update_fields=[
            "title",
            "max_mark",
            "due_date",
            "kind",
            "subject",
            "question_set",
            "score_is_mark",
        ]
    )
    if old["boundaries"] != new["boundaries"]:
        _write_boundaries(assignment, minimums)
    changed = [k for k in new if old[k] != new[k]]
    audit.record(
        actor=actor,
        school=assignment.school_id,
        action="assessment.assignment.changed",
        target=assignment,
        data={"old": {k: old[k] for k in changed}, "new": {k: new[k] for k in changed}},
    )
    return assignment


@transaction.atomic
def assignment_delete(*, actor: User | None, assignment: Assignment) -> None:
    """Delete an assignment and its marks."""
    marks = assignment.marks.filter(HELD).count()
    audit.record(
        actor=actor,
        school=assignment.school_id,
        action="assessment.assignment.deleted",
        target=assignment,
        data={"title": assignment.title, "marks": marks},
    )
    assignment.delete()


@transaction.atomic
def mark_record(
    *,
    actor: User | None,
    assignment: Assignment,
    pupil: Pupil,
    score: Decimal | int | str | None = None,
    status: str = Mark.Status.MARKED,
    from_practice: bool = False,
) -> Mark:
    """Record a pupil's mark (ASM-3): a score from 0 to the assignment's maximum, or
    Absent or Not required (no score). The change is audited with the old and new
    values (DSR-3); recording the same mark again changes nothing. `from_practice`: the
    score of the pupil's practice attempt (ASM-2), recorded by practice.homework; any
    other write is a teacher's mark, which practice never replaces."""
    if pupil.school_id != assignment.school_id:
        raise _fail("pupil", "This pupil is not in the assignment's school.")
    if status not in RECORDED_STATUSES:
        raise _fail(
            "status",
            f"{status!r} is not a mark status; use one of {', '.join(RECORDED_STATUSES)}.",
        )
    value: Decimal | None = None
    if status == Mark.Status.MARKED:
        if score is None or score == "":
            raise _fail("score", "Give a score, or mark the pupil absent or not required.")
        value = _decimal(score, "score")
        if value < 0 or value > assignment.max_mark:
            raise _fail(
                "score", f"{value} is outside 0 to {assignment.max_mark}, the assignment's maximum."
            )
    elif score not in (None, ""):
        raise _fail("score", f"A pupil marked {Mark.Status(status).label} has no score.")
    mark = Mark.objects.filter(assignment=assignment, pupil=pupil).first()
    held = mark is not None and mark.status != Mark.Status.CLEARED  # a cleared cell: no mark
    old = {"score": _text(mark.score), "status": mark.status} if mark and held else None
    new = {"score": _text(value), "status": status}
    if mark is not None and old == new and mark.from_practice == from_practice:
        # old is None when there is no mark yet; a teacher confirming a practice score
        # makes it theirs.
        return mark
    _class_open(assignment.teaching_class)
    if mark is None:
        mark = Mark(school_id=assignment.school_id, assignment=assignment, pupil=pupil)
    else:
        mark.version += 1  # an open markbook holding the old version is told (ASM-3)
    mark.score, mark.status, mark.updated_by = value, status, actor
    mark.from_practice = from_practice
    mark.save()
    data: dict[str, Any] = {"pupil": pupil.pk, "old": old, "new": new}
    if from_practice:
        data["from_practice"] = True
    audit.record(
        actor=actor,
        school=assignment.school_id,
        action="assessment.mark.changed",
        target=assignment,
        data=data,
    )
    return mark


@transaction.atomic
def mark_delete(*, actor: User | None, mark: Mark) -> None:
    """Remove a pupil's mark, recording what it was (DSR-3); not in an archived class."""
    _class_open(mark.assignment.teaching_class)
    audit.record(
        actor=actor,
        school=mark.school_id,
        action="assessment.mark.changed",
        target=mark.assignment,
        data={
            "pupil": mark.pupil_id,
            "old": {"score": _text(mark.score), "status": mark.status},
            "new": None,
        },
    )
    mark.delete()


# --- A trust's assignment set to classes across its schools (ASM-1) ---------------


@transaction.atomic
def trust_assignment_create(
    *,
    actor: User | None,
    trust: Trust,
    classes: list[TeachingClass],
    title: str,
    max_mark: Decimal | int | str,
    due_date: date | None = None,
    kind: str = Assignment.Kind.HOMEWORK,
) -> TrustAssignment:
    """Set one assignment to chosen classes of the trust's schools: the trust keeps the
    original, each class gets its own school's copy linked to it, audited in each
    school's log (assignment_create)."""
    title, mark = _validate_assignment(title, max_mark, kind)
    _trust_classes_check(trust, classes)
    original = TrustAssignment.objects.create(
        trust=trust, title=title, kind=kind, due_date=due_date, max_mark=mark, created_by=actor
    )
    for teaching_class in classes:
        assignment_create(
            actor=actor,
            teaching_class=teaching_class,
            title=title,
            max_mark=mark,
            due_date=due_date,
            kind=kind,
            trust_origin=original,
        )
    return original


@transaction.atomic
def trust_assignment_update(
    *,
    actor: User | None,
    original: TrustAssignment,
    title: str,
    max_mark: Decimal | int | str,
    due_date: date | None,
    kind: str,
) -> list[Assignment]:
    """Change the trust's original and every copy that has no marks yet (ASM-1);
    returns the copies left alone because they have marks. Each school's log records
    what was changed there and what was kept."""
    title, mark = _validate_assignment(title, max_mark, kind)
    if (original.title, original.max_mark, original.due_date, original.kind) == (
        title,
        mark,
        due_date,
        kind,
    ):
        return []  # saved unchanged: nothing written, nothing logged
    original.title, original.max_mark, original.due_date, original.kind = (
        title,
        mark,
        due_date,
        kind,
    )
    original.save(update_fields=["title", "max_mark", "due_date", "kind"])
    copies = list(
        Assignment.objects.filter(trust_origin=original)
        .select_related("teaching_class", "subject")
        .prefetch_related("boundaries")
        .annotate(mark_count=Count("marks", filter=~Q(marks__status=Mark.Status.CLEARED)))
        .order_by("school_id", "teaching_class__name", "pk")
    )
    kept: list[Assignment] = [a for a in copies if a.mark_count]
    for copy in copies:
        if copy.mark_count:
            continue
        assignment_update(
            actor=actor,
            assignment=copy,
            title=title,
            max_mark=mark,
            due_date=due_date,
            kind=kind,
        )
    for school_id in sorted({a.school_id for a in copies}):
        audit.record(
            actor=actor,
            school=school_id,
            action="assessment.trust_assignment.changed",
            data={
                "trust_assignment": original.pk,
                "updated": [a.pk for a in copies if a.school_id == school_id and a not in kept],
                "kept_with_marks": [a.pk for a in kept if a.school_id == school_id],
            },
        )
    return kept


def _trust_classes_check(trust: Trust, classes: list[TeachingClass]) -> None:
    if not classes:
        raise _fail("classes", "Choose at least one class.")
    if any(c.school.trust_id != trust.pk for c in classes):
        raise _fail("classes", "Every class must be in one of the trust's schools.")


@transaction.atomic
def trust_assignment_classes_add(
    *, actor: User | None, original: TrustAssignment, classes: list[TeachingClass]
) -> list[Assignment]:
    """Set an existing trust assignment to more classes (ASM-1): each new class gets its
    own school's copy of the original as it is now, linked to it; a class that has a
    copy already keeps it (none is made twice). Each school's log records the classes
    added there. Returns the new copies."""
    _trust_classes_check(original.trust, classes)
    have = set(
        Assignment.objects.filter(trust_origin=original).values_list("teaching_class_id", flat=True)
    )
    new = [c for c in classes if c.pk not in have]
    if not new:
        raise _fail("classes", "Every class chosen has this assignment already.")
    made = [
        assignment_create(
            actor=actor,
            teaching_class=teaching_class,
            title=original.title,
            max_mark=original.max_mark,
            due_date=original.due_date,
            kind=original.kind,
            trust_origin=original,
        )
        for teaching_class in new
    ]
    for school_id in sorted({a.school_id for a in made}):
        audit.record(
            actor=actor,
            school=school_id,
            action="assessment.trust_assignment.classes_added",
            data={
                "trust_assignment": original.pk,
                "title": original.title,
                "classes": [a.teaching_class.name for a in made if a.school_id == school_id],
            },
        )
    return made


class _Marks(TypedDict):
    mark_count: int


def trust_assignment_copies(
    original: TrustAssignment,
) -> "list[WithAnnotations[Assignment, _Marks]]":
    """The original's copies in every school of the trust, each with `mark_count`, by
    school and class (the request's scope is the trust's schools)."""
    return list(
        Assignment.objects.filter(trust_origin=original)
        .select_related("teaching_class", "school")
        .annotate(mark_count=Count("marks"))
        .order_by("school__name", "teaching_class__name", "pk")
    )


@transaction.atomic
def trust_assignment_delete(
    *,
    actor: User | None,
    original: TrustAssignment,
    delete_marked: Collection[int] = (),
    confirmation: str = "",
) -> dict[str, int]:
    """Delete a trust's assignment (ASM-1). Its copies without marks are deleted with it.
    A copy with marks is kept by default, detached from the original as its school's own
    assignment; the copies named in `delete_marked` (assignment ids) are deleted with
    their marks, only when `confirmation` is the original's title typed out. Each
    school's log records what went and what stayed; returns the counts."""
    copies = trust_assignment_copies(original)
    marked = {a.pk: a for a in copies if a.mark_count}
    chosen = set(delete_marked)
    unknown = chosen - set(marked)
    if unknown:
        raise _fail("delete_marked", "Only this assignment's copies with marks can be chosen.")
    if chosen and confirmation.strip() != original.title:
        raise _fail(
            "confirmation",
            f"Type the assignment's title, {original.title}, to delete copies with marks.",
        )
    deleted = [a for a in copies if not a.mark_count or a.pk in chosen]
    detached = [a for a in copies if a.mark_count and a.pk not in chosen]
    marks_deleted = sum(a.mark_count for a in deleted)
    for school_id in sorted({a.school_id for a in copies}):
        audit.record(
            actor=actor,
            school=school_id,
            action="assessment.trust_assignment.deleted",
            data={
                "trust_assignment": original.pk,
                "title": original.title,
                "deleted": [a.pk for a in deleted if a.school_id == school_id],
                "detached_with_marks": [a.pk for a in detached if a.school_id == school_id],
                "marks_deleted": sum(a.mark_count for a in deleted if a.school_id == school_id),
            },
        )
    for copy in deleted:
        assignment_delete(actor=actor, assignment=copy)
    Assignment.objects.filter(pk__in=[a.pk for a in detached]).update(trust_origin=None)
    original.delete()
    return {"deleted": len(deleted), "detached": len(detached), "marks_deleted": marks_deleted}
