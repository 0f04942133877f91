"""The markbook grid's reads (ASM-3, ASM-4): who may open a class's grid, and what it
shows, in a fixed number of queries whatever the number of pupils (the page and the
API assert it).

Only the class's teachers and the school's administrators open it (404 for everyone
else, TEN-3). Pupils are read with the few fields the grid shows (never the
encrypted ones), marks as plain rows.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import Http404

from markbook.admission import ADMINS, STAFF, AccessRequest, require_role
from markbook.assessment.cells import ABSENT, NOT_REQUIRED, score_text
from markbook.assessment.models import Assignment, AssignmentBoundary, Mark
from markbook.rosters.models import Enrolment, Pupil, TeachingClass
from markbook.tracking.cells import entry_text, field_scale
from markbook.tracking.models import (
    DataDrop,
    DropField,
    Grade,
    Subject,
    SubjectClass,
    TrackingEntry,
)

PUPIL_FIELDS = ("id", "school_id", "first_name", "last_name", "pseudonym", "username")


def access_class_for_marking(request: AccessRequest, class_id: int) -> TeachingClass:
    """A class whose markbook the user may open and write: a teacher of the class, or a
    school or trust administrator (404 otherwise, as elsewhere)."""
    require_role(request, *STAFF)
    classes = TeachingClass.objects.select_related("school")
    if not request.access.has(*ADMINS):
        classes = classes.filter(teacher_links__teacher=request.user)
    teaching_class = classes.filter(pk=class_id).first()
    if teaching_class is None:
        raise Http404
    return teaching_class


def class_pupils(teaching_class: TeachingClass) -> list[Pupil]:
    """The class's pupils by surname, with only the fields the grid shows."""
    pupils = (
        Pupil.objects.filter(enrolments__teaching_class=teaching_class)
        .only(*PUPIL_FIELDS)
        .order_by("last_name", "first_name", "pk")
    )
    school = teaching_class.school
    rows = list(pupils)
    for pupil in rows:
        pupil.school = school  # display_name reads the school's pseudonymising setting
    return rows


def class_pupil(teaching_class: TeachingClass, pupil_id: int) -> Pupil:
    """One pupil of the class (404 for anyone else)."""
    pupil = (
        Pupil.objects.filter(enrolments__teaching_class=teaching_class, pk=pupil_id)
        .only(*PUPIL_FIELDS)
        .first()
    )
    if pupil is None:
        raise Http404
    pupil.school = teaching_class.school
    return pupil


def class_assignments(teaching_class: TeachingClass) -> list[Assignment]:
    """The class's assignments, in order, with their boundaries and grades."""
    boundaries = AssignmentBoundary.objects.select_related("grade").order_by("-minimum_mark")
    return list(
        Assignment.objects.filter(teaching_class=teaching_class).prefetch_related(
            Prefetch("boundaries", boundaries)
        )
    )


@dataclass
class Column:
    id: int
    title: str
    detail: str
    maximum: str
    graded: bool
    average: str
    completion: str
    # A practice set's homework (ASM-2): each pupil's progress shows in its cells.
    practice: bool = False


def _average(values: Sequence[Decimal]) -> str:
    if not values:
        return ""
    return f"{sum(values) / len(values):.1f}"


def _completion(done: int, total: int) -> str:
    return f"{done} of {total}" if total else ""


def _detail(assignment: Assignment) -> str:
    due = assignment.due_date
    kind = assignment.get_kind_display()
    if assignment.question_set_id is not None:
        kind = f"Practice {kind.lower()}"
    return f"{kind}, due {due.day} {due:%b}" if due else kind


def markbook_grid(teaching_class: TeachingClass) -> dict[str, Any]:
    """Everything the class's grid shows (ASM-3), as JSON-ready data: pupils (ids and
    names), the assignments as columns with average and completion, and per pupil the
    cells [text, version, grade]; for a practice set's homework (ASM-2), per pupil
    their progress (`progress[pupil][assignment]`: on_time, late or started; absent:
    not started). Four queries, whatever the size, and one more with practice homework."""
    from markbook.practice import homework

    pupils = class_pupils(teaching_class)
    assignments = class_assignments(teaching_class)
    # Plain rows, not model instances: 30,000 of them are read for a large class.
    marks = Mark.objects.filter(assignment__teaching_class=teaching_class).values_list(
        "pupil_id", "assignment_id", "score", "status", "version"
    )
    # Each assignment's boundaries once (highest first), not per mark.
    bounds = {
        a.pk: [(b.minimum_mark, b.grade.label) for b in a.boundaries.all()] for a in assignments
    }
    cells: dict[int, dict[int, list[Any]]] = {p.pk: {} for p in pupils}
    scores: dict[int, list[Decimal]] = {a.pk: [] for a in assignments}
    done: dict[int, int] = {a.pk: 0 for a in assignments}
    shown: dict[str, str] = {Mark.Status.ABSENT: ABSENT, Mark.Status.NOT_REQUIRED: NOT_REQUIRED}
    for pupil_id, assignment_id, score, status, version in marks:
        row = cells.get(pupil_id)
        if row is None:  # a mark of a pupil who has left the class
            continue
        if status == Mark.Status.CLEARED:  # no mark, but the version of the cleared cell
            row[assignment_id] = ["", version, ""]
            continue
        grade = ""
        if status == Mark.Status.MARKED and score is not None:
            scores[assignment_id].append(score)
            grade = next((label for low, label in bounds[assignment_id] if score >= low), "")
        row[assignment_id] = [shown.get(status) or score_text(score), version, grade]
        done[assignment_id] += 1
    columns = [
        Column(
            id=a.pk,
            title=a.title,
            detail=_detail(a),
            maximum=score_text(a.max_mark),
            graded=bool(a.boundaries.all()),
            average=_average(scores[a.pk]),
            completion=_completion(done[a.pk], len(pupils)),
            practice=a.question_set_id is not None,
        ).__dict__
        for a in assignments
    ]
    progress: dict[int, dict[int, str]] = {}
    for assignment_id, by_pupil in homework.completion(assignments).items():
        for pupil_id, status in by_pupil.items():
            if pupil_id in cells:
                progress.setdefault(pupil_id, {})[assignment_id] = status
    return {
        "pupils": [{"id": p.pk, "name": p.display_name} for p in pupils],
        "columns": columns,
        "cells": cells,
        "progress": progress,
        "progress_labels": homework.LABELS,
    }


# --- Drop entry ------------------------------------------------------------------


def class_subject(teaching_class: TeachingClass) -> Subject | None:
    link = (
        SubjectClass.objects.select_related("subject__scale")
        .filter(teaching_class=teaching_class)
        .first()
    )
    return link.subject if link else None


def class_drops(teaching_class: TeachingClass) -> list[DataDrop]:
    """The drops that cover the class's year group (or every year group)."""
    drops = DataDrop.objects.all()
    year = teaching_class.year_group
    return [d for d in drops if not d.year_groups or not year or year in d.year_groups]


def access_drop_for_class(teaching_class: TeachingClass, drop_id: int) -> tuple[DataDrop, Subject]:
    """A drop the class enters grades for, and the class's subject (404 when the class
    has no subject or the drop does not cover its year group)."""
    subject = class_subject(teaching_class)
    drop = next((d for d in class_drops(teaching_class) if d.pk == drop_id), None)
    if subject is None or drop is None:
        raise Http404
    return drop, subject


def drop_fields(drop: DataDrop) -> list[DropField]:
    return list(DropField.objects.filter(drop=drop).select_related("scale"))


def drop_grid(teaching_class: TeachingClass, drop: DataDrop, subject: Subject) -> dict[str, Any]:
    """The class's entry for a drop (ASM-4): pupils x the drop's fields, each column with
    the labels its scale takes and its completion."""
    pupils = class_pupils(teaching_class)
    fields = drop_fields(drop)
    scales = {field_scale(f, subject) for f in fields}
    labels: dict[int, list[str]] = {s.pk: [] for s in scales}
    for grade in Grade.objects.filter(scale__in=scales).order_by("-rank"):
        labels[grade.scale_id].append(grade.label)
    entries = (
        TrackingEntry.objects.filter(drop=drop, subject=subject)
        .filter(pupil__in=Enrolment.objects.filter(teaching_class=teaching_class).values("pupil"))
        .select_related("grade")
        .only("pupil_id", "field_id", "value", "version", "grade__label")
    )
    cells: dict[int, dict[int, list[Any]]] = {p.pk: {} for p in pupils}
    done = {f.pk: 0 for f in fields}
    for entry in entries:
        row = cells.get(entry.pupil_id)
        if row is None or entry.field_id not in done:
            continue
        row[entry.field_id] = [entry_text(entry), entry.version, ""]
        if entry.grade_id is not None or entry.value is not None:  # not a cleared cell
            done[entry.field_id] += 1
    columns = []
    for field in fields:
        scale = field_scale(field, subject)
        if scale.numeric:
            detail = f"{scale.name}: {score_text(scale.minimum or Decimal(0))} to " + (
                score_text(scale.maximum or Decimal(0))
            )
        else:
            detail = ", ".join(labels[scale.pk][:12])
        columns.append(
            Column(
                id=field.pk,
                title=field.label,
                detail=detail,
                maximum="",
                graded=False,
                average="",
                completion=_completion(done[field.pk], len(pupils)),
            ).__dict__
        )
    return {
        "pupils": [{"id": p.pk, "name": p.display_name} for p in pupils],
        "columns": columns,
        "cells": cells,
        "locked": drop.locked_at is not None,
    }
