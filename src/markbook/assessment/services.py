"""Writes on assignments and marks (ASM-1, ASM-3, DSR-3).

Keyword-only, atomic and audited, run inside the school's scope (TEN-4) like the
rosters services. Bad input raises `ValidationError({field: [message]})` and writes
nothing. So far only the OneRoster import (ROS-4) calls them: there are no pages or
API for assignments and marks yet.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from markbook.accounts.models import User
from markbook.assessment.models import Assignment, Mark
from markbook.audit import services as audit
from markbook.rosters.models import Pupil, TeachingClass

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
    if number != number.quantize(Decimal("0.01")):
        raise _fail(field, f"{value} has more than 2 decimal places.")
    return number.quantize(Decimal("0.01"))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _validate_assignment(title: str, max_mark: Any) -> tuple[str, Decimal]:
    title = (title or "").strip()
    if not title:
        raise _fail("title", "Give the assignment a title.")
    if len(title) > 200:
        raise _fail("title", "The title is longer than 200 characters.")
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


@transaction.atomic
def assignment_create(
    *,
    actor: User | None,
    teaching_class: TeachingClass,
    title: str,
    max_mark: Decimal | int | str,
    due_date: date | None = None,
    oneroster_id: str = "",
) -> Assignment:
    """Set an assignment to a class (ASM-1); not to a class of an archived year."""
    _class_open(teaching_class)
    title, mark = _validate_assignment(title, max_mark)
    assignment = Assignment.objects.create(
        school_id=teaching_class.school_id,
        teaching_class=teaching_class,
        title=title,
        max_mark=mark,
        due_date=due_date,
        oneroster_id=oneroster_id,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        school=teaching_class.school_id,
        action="assessment.assignment.created",
        target=assignment,
        data={"class": teaching_class.pk, "title": title, "max_mark": str(mark)},
    )
    return assignment


@transaction.atomic
def assignment_update(
    *,
    actor: User | None,
    assignment: Assignment,
    title: str,
    max_mark: Decimal | int | str,
    due_date: date | None,
) -> Assignment:
    """Change an assignment's title, due date or maximum mark (ASM-1). A maximum below a
    mark already given is refused."""
    title, mark = _validate_assignment(title, max_mark)
    old = {
        "title": assignment.title,
        "max_mark": str(assignment.max_mark),
        "due_date": assignment.due_date.isoformat() if assignment.due_date else None,
    }
    new = {
        "title": title,
        "max_mark": str(mark),
        "due_date": due_date.isoformat() if due_date else None,
    }
    if old == new:
        return assignment
    if assignment.marks.filter(score__gt=mark).exists():
        raise _fail("max_mark", f"Some marks are above {mark}; change them first.")
    assignment.title, assignment.max_mark, assignment.due_date = title, mark, due_date
    assignment.save(update_fields=["title", "max_mark", "due_date"])
    audit.record(
        actor=actor,
        school=assignment.school_id,
        action="assessment.assignment.changed",
        target=assignment,
        data={"old": old, "new": new},
    )
    return assignment


@transaction.atomic
def assignment_delete(*, actor: User | None, assignment: Assignment) -> None:
    """Delete an assignment and its marks."""
    marks = assignment.marks.count()
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
) -> Mark:
    """Record a pupil's mark (ASM-3): a score from 0 to the assignment's maximum, or
    Absent or Not required (no score). The change is audited with the old and new
    values (DSR-3); recording the same mark again changes nothing."""
    if pupil.school_id != assignment.school_id:
        raise _fail("pupil", "This pupil is not in the assignment's school.")
    if status not in Mark.Status.values:
        raise _fail(
            "status",
            f"{status!r} is not a mark status; use one of {', '.join(Mark.Status.values)}.",
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
    old = {"score": _text(mark.score), "status": mark.status} if mark else None
    new = {"score": _text(value), "status": status}
    if mark is not None and old == new:  # old is None when there is no mark yet
        return mark
    _class_open(assignment.teaching_class)
    if mark is None:
        mark = Mark(school_id=assignment.school_id, assignment=assignment, pupil=pupil)
    mark.score, mark.status = value, status
    mark.save()
    audit.record(
        actor=actor,
        school=assignment.school_id,
        action="assessment.mark.changed",
        target=assignment,
        data={"pupil": pupil.pk, "old": old, "new": new},
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
