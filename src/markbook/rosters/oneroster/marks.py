"""Marks in a OneRoster import: lineItems.csv as assignments, results.csv as marks
(ROS-4, ASM-1, ASM-3). The decisions are listed in `import_`'s docstring.

A mixin of `import_._Import`: it reads the tables, classes and pupils that the
roster part of the import has checked, and writes through the assessment services.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from markbook.assessment import services as assessment
from markbook.assessment.models import HELD, Assignment, Mark
from markbook.rosters.models import Pupil, TeachingClass
from markbook.rosters.oneroster import spec
from markbook.rosters.oneroster.export import assignment_sourced_id

if TYPE_CHECKING:
    from markbook.rosters.oneroster.files import Row


class MarksMixin:
    # Set by the roster part of the import (import_._Import).
    reader: Any
    result: Any
    actor: Any
    school: Any
    tables: dict[str, list[Row]]
    modes: dict[str, str]
    classes: dict[str, Row]
    other_classes: set[str]
    deleted_classes: dict[str, Row]
    pupils: dict[str, Row]
    known_pupils: dict[str, Pupil]

    if TYPE_CHECKING:
        # Defined by the roster part of the import (write.py's WriteMixin).
        def _errors(
            self, file: str, row: Row, error: ValidationError, names: dict[str, str]
        ) -> None: ...

    def _number(self, row: Row, column: str) -> Decimal | None:
        value = row[column]
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.reader.problem(row.file, row.number, column, f"{value!r} is not a number.")
            return None
        if number != number.quantize(Decimal("0.01")):
            self.reader.problem(
                row.file, row.number, column, f"{value} has more than 2 decimal places."
            )
            return None
        return number

    def _check_marks(self) -> None:
        reader, sid = self.reader, self.school.pk
        self.known_classes = {
            spec.sourced_id(sid, "class", c.pk): c for c in TeachingClass.objects.all()
        }
        self.known_assignments = {
            assignment_sourced_id(a): a for a in Assignment.objects.select_related("school")
        }
        self.line_items: dict[str, Row] = {}
        self.line_item_values: dict[str, tuple[Decimal, date | None]] = {}
        maxima = {ref: a.max_mark for ref, a in self.known_assignments.items()}
        ignored: set[str] = set()
        for row in self.tables.get("lineItems", []):
            ref, klass = row["sourcedId"], row["classSourcedId"]
            if klass in self.deleted_classes:
                ignored.add(ref)  # noted with the class (_note_deleted_classes)
                continue
            if klass in self.other_classes:
                ignored.add(ref)
                self.reader.note(
                    "other:lineItems",
                    "lineItems.csv: line items of other orgs' classes were ignored.",
                )
                continue
            if klass not in self.classes and klass not in self.known_classes:
                reader.problem(
                    "lineItems",
                    row.number,
                    "classSourcedId",
                    f"{klass or 'blank'!r} is not a class in classes.csv or a class of this school.",
                )
                continue
            self.line_items[ref] = row
            if row.status == "tobedeleted":
                continue
            if not row["title"]:
                reader.problem("lineItems", row.number, "title", "This must not be blank.")
            if not row["resultValueMax"]:
                reader.problem(
                    "lineItems",
                    row.number,
                    "resultValueMax",
                    "This must not be blank: it is the assignment's maximum mark.",
                )
                continue
            high = self._number(row, "resultValueMax")
            if high is not None and high <= 0:
                reader.problem(
                    "lineItems", row.number, "resultValueMax", f"{high} must be more than 0."
                )
                high = None
            if row["resultValueMin"]:
                low = self._number(row, "resultValueMin")
                if low is not None and low != 0:
                    reader.problem(
                        "lineItems",
                        row.number,
                        "resultValueMin",
                        f"{row['resultValueMin']!r}: Markbook marks start at 0, so this "
                        "must be 0 or blank.",
                    )
            due = reader.date(row, "dueDate")
            if high is not None:
                maxima[ref] = high
                self.line_item_values[ref] = (high, due)
        self.result_values: list[tuple[Row, str, Decimal | None]] = []
        self.result_pairs: set[tuple[str, str]] = set()
        skipped: dict[str, int] = defaultdict(int)
        for row in self.tables.get("results", []):
            item, student = row["lineItemSourcedId"], row["studentSourcedId"]
            if item in ignored:
                continue
            if item not in self.line_items and item not in self.known_assignments:
                reader.problem(
                    "results",
                    row.number,
                    "lineItemSourcedId",
                    f"{item or 'blank'!r} is not a line item in lineItems.csv or an "
                    "assignment of this school.",
                )
                continue
            if student not in self.pupils and student not in self.known_pupils:
                reader.problem(
                    "results",
                    row.number,
                    "studentSourcedId",
                    f"{student or 'blank'!r} is not a student of this school.",
                )
                continue
            self.result_pairs.add((item, student))
            if row.status == "tobedeleted":
                self.result_values.append((row, "", None))
                continue
            status = reader.enum(row, "scoreStatus", spec.SCORE_STATUSES, required=True)
            if status in ("submitted", "partially graded"):
                skipped[status] += 1
                continue
            if status == "fully graded":
                if not row["score"]:
                    reader.problem(
                        "results", row.number, "score", "A fully graded result needs a score."
                    )
                    continue
                score = self._number(row, "score")
                high = maxima.get(item)
                if score is not None and high is not None and not 0 <= score <= high:
                    reader.problem(
                        "results",
                        row.number,
                        "score",
                        f"{row['score']} is outside 0 to {high}, the line item's resultValueMax.",
                    )
                    continue
                if score is not None:
                    self.result_values.append((row, Mark.Status.MARKED, score))
            elif status:
                if row["score"] and self._number(row, "score") != 0:
                    reader.problem(
                        "results",
                        row.number,
                        "score",
                        f"An {status!r} result has no score: leave it blank (or 0).",
                    )
                    continue
                mark = Mark.Status.NOT_REQUIRED if status == "exempt" else Mark.Status.ABSENT
                self.result_values.append((row, mark, None))
        for status, count in sorted(skipped.items()):
            reader.note(
                f"results:{status}",
                f"results.csv: {count} {status!r} result(s) were skipped: only graded, "
                "exempt (Not required) and not submitted (Absent) results are marks.",
            )

    def _write_marks(self, classes: dict[str, TeachingClass], pupils: dict[str, Pupil]) -> None:
        result, actor = self.result, self.actor
        assignments = dict(self.known_assignments)
        named: set[int] = set()
        for ref, row in self.line_items.items():
            assignment = assignments.get(ref)
            if row.status == "tobedeleted":
                if assignment is not None:
                    assessment.assignment_delete(actor=actor, assignment=assignment)
                    del assignments[ref]
                    result.assignments_deleted += 1
                continue
            if ref not in self.line_item_values:
                continue
            high, due = self.line_item_values[ref]
            klass = row["classSourcedId"]
            teaching_class = classes.get(klass) or self.known_classes[klass]
            names = {"title": "title", "max_mark": "resultValueMax", "due_date": "dueDate"}
            try:
                if assignment is None:
                    assignment = assessment.assignment_create(
                        actor=actor,
                        teaching_class=teaching_class,
                        title=row["title"],
                        max_mark=high,
                        due_date=due,
                        oneroster_id=ref,
                    )
                    result.assignments_created += 1
                elif assignment.teaching_class_id != teaching_class.pk:
                    self.reader.problem(
                        "lineItems",
                        row.number,
                        "classSourcedId",
                        f"This line item is already an assignment of {assignment.teaching_class}; "
                        "Markbook does not move an assignment to another class.",
                    )
                    continue
                else:
                    kept = (assignment.title, assignment.max_mark, assignment.due_date)
                    assessment.assignment_update(
                        actor=actor,
                        assignment=assignment,
                        title=row["title"],
                        max_mark=high,
                        due_date=due,
                    )
                    if kept != (assignment.title, assignment.max_mark, assignment.due_date):
                        result.assignments_updated += 1
            except ValidationError as error:
                self._errors("lineItems", row, error, names)
                continue
            assignments[ref] = assignment
            named.add(assignment.pk)
        if result.problems:
            return
        marks = {
            (m.assignment_id, m.pupil_id): m
            for m in Mark.objects.filter(HELD, assignment__in=assignments.values()).select_related(
                "assignment"
            )
        }
        listed: dict[int, set[int]] = defaultdict(set)
        for item, student in self.result_pairs:
            assignment = assignments.get(item)
            pupil = pupils.get(student) or self.known_pupils.get(student)
            if assignment is not None and pupil is not None:
                listed[assignment.pk].add(pupil.pk)
                named.add(assignment.pk)
        names = {"score": "score", "status": "scoreStatus", "pupil": "studentSourcedId"}
        for row, status, score in self.result_values:
            assignment = assignments.get(row["lineItemSourcedId"])
            student = row["studentSourcedId"]
            pupil = pupils.get(student) or self.known_pupils.get(student)
            if assignment is None or pupil is None:
                continue  # its line item was deleted, or the pupil left before ever arriving
            before = marks.get((assignment.pk, pupil.pk))
            if row.status == "tobedeleted":
                if before is not None:
                    assessment.mark_delete(actor=actor, mark=before)
                    del marks[(assignment.pk, pupil.pk)]
                    result.marks_removed += 1
                continue
            try:
                mark = assessment.mark_record(
                    actor=actor, assignment=assignment, pupil=pupil, score=score, status=status
                )
            except ValidationError as error:
                self._errors("results", row, error, names)
                continue
            if before is None or (before.score, before.status) != (score, status):
                result.marks_recorded += 1
            marks[(assignment.pk, pupil.pk)] = mark
        if self.modes.get("results") == "bulk":
            for (assignment_id, pupil_id), mark in list(marks.items()):
                if assignment_id in named and pupil_id not in listed[assignment_id]:
                    assessment.mark_delete(actor=actor, mark=mark)
                    result.marks_removed += 1
