"""Saving markbook cells (ASM-3, DSR-3): what the grid and the bulk API write.

A cell is one pupil's mark for one assignment, typed as text: "" clears it, "A" is
Absent, "N" Not required, anything else must be a number from 0 to the assignment's
maximum with at most 2 decimal places ("12", "12.5"; not "12,5", "-1" or "1e309").

Every cell carries the version of the mark it was based on (None: the cell was never
written). A write based on another version than the one stored is refused as a
conflict and answers the current value and version: nobody's mark is overwritten
unseen. A cleared cell keeps its row (`Mark.Status.CLEARED`) and its version grows, so
a write based on the mark it held before is refused too.

Each cell is atomic: it is saved with its access-log event (old value, new value; the
event holds who and when), or refused with a message naming it, and a batch reports
every cell. A batch takes a fixed number of queries whatever its size up to the
database's batch limits, one cell as many as a hundred (the mark rows are read once
with a lock, written with one statement per kind of change, the events in one insert).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from markbook.accounts.models import User
from markbook.assessment.grading import grade_for_mark
from markbook.assessment.models import Assignment, AssignmentBoundary, Mark
from markbook.audit import services as audit
from markbook.rosters.models import Pupil
from markbook.tracking.models import Grade

# The most cells one request may send (a pasted block of 5,000 is fine).
MAX_CELLS = 5000

Outcome = Literal["saved", "unchanged", "invalid", "conflict"]
_NUMBER = re.compile(r"\d+(\.\d+)?|\.\d+")
ABSENT, NOT_REQUIRED = "A", "N"


@dataclass(frozen=True)
class Cell:
    """A cell as sent: the pupil, the column (an assignment or a drop field), the typed
    value and the version it was based on."""

    pupil: int
    column: int
    value: str
    version: int | None = None


@dataclass
class CellResult:
    """What became of one cell: its value and version as now stored (after a conflict,
    the colleague's), the grade for a mark where the assignment has boundaries, and
    for a refused cell the message naming it."""

    pupil: int
    column: int
    outcome: Outcome
    value: str
    version: int | None
    grade: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in ("saved", "unchanged")


class TooManyCells(ValueError):
    """A batch over MAX_CELLS: refused whole, before anything is read or written."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"{count:,} cells were sent; at most {MAX_CELLS:,} can be saved at once. "
            "Paste a smaller block."
        )


def check_batch_size(count: int) -> None:
    if count > MAX_CELLS:
        raise TooManyCells(count)


def mark_text(mark: Mark | None) -> str:
    """A mark as the grid shows and takes it: "", "A", "N" or the score ("12.5", "12")."""
    if mark is None or mark.status == Mark.Status.CLEARED:
        return ""
    if mark.status == Mark.Status.ABSENT:
        return ABSENT
    if mark.status == Mark.Status.NOT_REQUIRED:
        return NOT_REQUIRED
    return score_text(mark.score)


def score_text(score: Decimal | None) -> str:
    if score is None:
        return ""
    return format(Decimal(str(score)).normalize(), "f")


def parse_number(text: str, *, minimum: Decimal, maximum: Decimal, what: str) -> Decimal:
    """A typed number from `minimum` to `maximum` with at most 2 decimals, or ValueError
    with a message for the cell (`what` names it)."""
    if "," in text and _NUMBER.fullmatch(text.replace(",", ".")):
        raise ValueError(f"{what}: {text} is not a number; write decimals with a point.")
    if text.startswith("-") and _NUMBER.fullmatch(text[1:]):
        raise ValueError(f"{what}: {text} is below {score_text(minimum)}.")
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{what}: {text[:20]} is not a number.")
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"{what}: {text[:20]} is not a number.") from None
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(f"{what}: {text} has more than 2 decimal places.")
    if number < minimum or number > maximum:
        raise ValueError(
            f"{what}: {text} is outside {score_text(minimum)} to {score_text(maximum)}."
        )
    return number.quantize(Decimal("0.01"))


def _mark_state(text: str, assignment: Assignment, what: str) -> tuple[str, Decimal | None]:
    """The (status, score) a typed mark means; "" is no mark at all (status "")."""
    if text == "":
        return "", None
    if text.upper() == ABSENT:
        return Mark.Status.ABSENT, None
    if text.upper() == NOT_REQUIRED:
        return Mark.Status.NOT_REQUIRED, None
    if len(text) > 20:
        raise ValueError(f"{what}: this is not a mark; type a number, A or N.")
    score = parse_number(
        text,
        minimum=Decimal(0),
        maximum=assignment.max_mark,
        what=f"{what} (out of {score_text(assignment.max_mark)})",
    )
    return Mark.Status.MARKED, score


def _text(score: Decimal | None) -> str | None:
    return None if score is None else str(Decimal(str(score)).quantize(Decimal("0.01")))


def _old_new(mark: Mark | None) -> dict[str, str | None] | None:
    if mark is None or mark.status == Mark.Status.CLEARED:
        return None
    return {"score": _text(mark.score), "status": mark.status}


def marks_cells_save(
    *,
    actor: User | None,
    assignments: Iterable[Assignment],
    pupils: Iterable[Pupil],
    cells: Sequence[Cell],
) -> list[CellResult]:
    """Save grid cells (ASM-3): each cell's column an assignment of `assignments`, its
    pupil one of `pupils` (the class's), its result in the order sent.

    Refused cells (not a mark, over the maximum, not in this class, sent twice, based on
    an old version) change nothing and say why; every other cell is saved with its
    access-log event (DSR-3). Raises TooManyCells for a batch over MAX_CELLS."""
    check_batch_size(len(cells))
    columns = {a.pk: a for a in assignments}
    # The grades shown beside saved marks: one query, none when the caller prefetched.
    boundaries = AssignmentBoundary.objects.select_related("grade").order_by("-minimum_mark")
    prefetch_related_objects(list(columns.values()), Prefetch("boundaries", boundaries))
    rows = {p.pk: p for p in pupils}
    with transaction.atomic():
        return _save(actor, columns, rows, cells)


def _save(
    actor: User | None,
    columns: dict[int, Assignment],
    rows: dict[int, Pupil],
    cells: Sequence[Cell],
) -> list[CellResult]:
    wanted = [c for c in cells if c.column in columns and c.pupil in rows]
    stored: dict[tuple[int, int], Mark] = {}
    if wanted:
        marks = Mark.objects.select_for_update().filter(
            assignment_id__in={c.column for c in wanted}, pupil_id__in={c.pupil for c in wanted}
        )
        stored = {(m.pupil_id, m.assignment_id): m for m in marks}
    results: list[CellResult] = []
    seen: set[tuple[int, int]] = set()
    created: list[Mark] = []
    updated: list[Mark] = []
    events: list[tuple[str, Assignment, dict | None]] = []
    now = timezone.now()
    school_id = None
    for cell in cells:
        key = (cell.pupil, cell.column)
        assignment, pupil = columns.get(cell.column), rows.get(cell.pupil)
        if assignment is None or pupil is None:
            results.append(_refused(cell, "This cell is not in this class's markbook."))
            continue
        school_id = assignment.school_id
        what = f"{pupil.display_name}, {assignment.title}"
        if key in seen:
            results.append(_refused(cell, f"{what}: this cell was sent twice."))
            continue
        seen.add(key)
        mark = stored.get(key)
        current = mark.version if mark else None
        text = (cell.value or "").strip()
        try:
            status, score = _mark_state(text, assignment, what)
        except ValueError as error:
            status, score, refusal = "", None, str(error)
        else:
            refusal = ""
        old = _old_new(mark)
        new = None if status == "" else {"score": _text(score), "status": status}
        if cell.version != current and (refusal or old != new):
            # Based on another version: refused, unless it asks for what is stored (a
            # save whose answer was lost, sent again).
            results.append(
                CellResult(
                    cell.pupil,
                    cell.column,
                    "conflict",
                    mark_text(mark),
                    current,
                    _label(grade_for_mark(assignment, mark.score if mark else None)),
                    f"{what}: this cell was changed by someone else since you loaded it; "
                    "it now shows their value.",
                )
            )
            continue
        if refusal:
            results.append(_refused(cell, refusal, mark))
            continue
        if old == new:
            results.append(_result(cell, "unchanged", mark, assignment))
            continue
        if mark is None:
            mark = Mark(
                school_id=assignment.school_id,
                assignment=assignment,
                pupil=pupil,
                score=score,
                status=status,
                version=1,
                updated_by=actor,
                updated_at=now,
            )
            created.append(mark)
        else:
            if new is None:  # cleared: the row stays, so its version goes on (ASM-3)
                status, score, mark.feedback = Mark.Status.CLEARED, None, ""
            mark.score, mark.status, mark.version = score, status, mark.version + 1
            mark.updated_by, mark.updated_at = actor, now
            mark.from_practice = False  # a teacher's mark now: practice never replaces it
            updated.append(mark)
        events.append(
            ("assessment.mark.changed", assignment, {"pupil": pupil.pk, "old": old, "new": new})
        )
        results.append(_result(cell, "saved", mark, assignment))
    if created:
        Mark.objects.bulk_create(created)
    if updated:
        Mark.objects.bulk_update(
            updated,
            ["score", "status", "feedback", "version", "updated_by", "updated_at", "from_practice"],
        )
    if events:
        audit.record_many(actor=actor, school=school_id, events=events)
    return results


def _label(grade: Grade | None) -> str:
    return grade.label if grade is not None else ""


def _refused(cell: Cell, message: str, mark: Mark | None = None) -> CellResult:
    """A refused cell keeps what is stored (its version is the one the client holds)."""
    return CellResult(
        cell.pupil,
        cell.column,
        "invalid",
        cell.value,
        mark.version if mark else cell.version,
        message=message,
    )


def _result(cell: Cell, outcome: Outcome, mark: Mark | None, assignment: Assignment) -> CellResult:
    return CellResult(
        cell.pupil,
        cell.column,
        outcome,
        mark_text(mark),
        mark.version if mark else None,
        _label(grade_for_mark(assignment, mark.score if mark else None)),
    )


def mark_cell_save(
    *,
    actor: User | None,
    assignment: Assignment,
    pupil: Pupil,
    value: str,
    version: int | None,
) -> CellResult:
    """Save one cell (ASM-3): see `marks_cells_save`. The caller has checked that the
    pupil is in the assignment's class."""
    cell = Cell(pupil=pupil.pk, column=assignment.pk, value=value, version=version)
    return marks_cells_save(actor=actor, assignments=[assignment], pupils=[pupil], cells=[cell])[0]
