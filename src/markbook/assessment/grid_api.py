"""API: the markbook grid of a class (ASM-3) and its drop entry (ASM-4), read and
written cell by cell or in bulk (the paste path), through the same services as the
page.

Only the class's teachers and the school's administrators (404 for everyone else).
A write carries the version of each cell it was based on (null: the cell was empty);
a cell whose stored version differs is a conflict and answers what is stored now.
A bulk write saves each valid cell (with its access-log event) and reports every cell:
`saved`, `unchanged`, `invalid` (with a message naming the cell) or `conflict`.
"""

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.admission import AccessRequest
from markbook.assessment import grid
from markbook.assessment.cells import (
    MAX_CELLS,
    Cell,
    CellResult,
    TooManyCells,
    check_batch_size,
    marks_cells_save,
)
from markbook.core.api import InputSchema, responses
from markbook.rosters import selectors as roster_selectors
from markbook.tracking.cells import tracking_cells_save

router = Router(tags=["markbook"])

CLASS = "/schools/{school_id}/classes/{class_id}"


class ColumnOut(Schema):
    id: int
    title: str
    detail: str
    maximum: str = Field(description="The maximum mark; empty for drop fields.")
    graded: bool = Field(description="Marks turn into grades (the assignment has boundaries).")
    average: str
    completion: str
    practice: bool = Field(
        False, description="A practice set set as homework: `progress` shows each pupil's."
    )


class PupilOut(Schema):
    id: int
    name: str


class GridOut(Schema):
    pupils: list[PupilOut]
    columns: list[ColumnOut]
    cells: dict[int, dict[int, tuple[str, int, str]]] = Field(
        description="Per pupil id, per column id: [value, version, grade]; empty cells absent."
    )
    locked: bool = False
    progress: dict[int, dict[int, str]] = Field(
        default_factory=dict,
        description="Practice homework: per pupil id, per column id: on_time, late or started "
        "(absent: not started).",
    )


class MarkCellIn(InputSchema):
    pupil: int
    assignment: int
    value: str = Field(max_length=50, description='A number, "A" (absent), "N" or "" (clear).')
    version: int | None = Field(description="The version the cell was loaded with; null if empty.")


class MarkCellsIn(InputSchema):
    cells: list[MarkCellIn] = Field(description=f"At most {MAX_CELLS:,} cells.")


class EntryCellIn(InputSchema):
    pupil: int
    field: int
    value: str = Field(max_length=50, description='A grade of the scale, a number, or "" (clear).')
    version: int | None


class EntryCellsIn(InputSchema):
    cells: list[EntryCellIn] = Field(description=f"At most {MAX_CELLS:,} cells.")


class OneCellIn(InputSchema):
    value: str = Field(max_length=50)
    version: int | None


class CellOut(Schema):
    pupil: int
    column: int
    outcome: Literal["saved", "unchanged", "invalid", "conflict"]
    value: str = Field(description="As stored now (after a conflict, the other writer's).")
    version: int | None
    grade: str
    message: str


class CellsOut(Schema):
    saved: int
    refused: int
    results: list[CellOut]


def _out(results: list[CellResult]) -> dict[str, Any]:
    return {
        "saved": sum(1 for r in results if r.outcome == "saved"),
        "refused": sum(1 for r in results if not r.ok),
        "results": [r.__dict__ for r in results],
    }


def _too_many(count: int) -> None:
    try:
        check_batch_size(count)
    except TooManyCells as error:
        raise ValidationError({"cells": [str(error)]}) from None


# --- Marks ----------------------------------------------------------------------


@router.get(
    f"{CLASS}/marks",
    response=responses(GridOut),
    summary="A class's markbook",
    url_name="markbook_marks",
)
def marks(request: AccessRequest, school_id: int, class_id: int) -> dict:
    """The class's pupils, assignments (with average and completion) and marks."""
    teaching_class = grid.access_class_for_marking(request, class_id)
    data = grid.markbook_grid(teaching_class)
    _read(request, "assessment.markbook.viewed", teaching_class, data)
    return data


@router.post(f"{CLASS}/marks", response=responses(CellsOut), summary="Save marks in bulk")
def marks_save(request: AccessRequest, school_id: int, class_id: int, payload: MarkCellsIn) -> dict:
    """Save many cells at once (a pasted block): every cell checked, each valid one
    saved with its access-log event, each result reported; more than 5,000 cells are
    refused whole (422)."""
    teaching_class = grid.access_class_for_marking(request, class_id)
    _too_many(len(payload.cells))
    cells = [Cell(c.pupil, c.assignment, c.value, c.version) for c in payload.cells]
    results = marks_cells_save(
        actor=request.user,
        assignments=grid.class_assignments(teaching_class),
        pupils=grid.class_pupils(teaching_class),
        cells=cells,
    )
    return _out(results)


@router.put(
    f"{CLASS}/marks/{{assignment_id}}/{{pupil_id}}",
    response={**responses(CellOut), 409: CellOut},
    summary="Save one mark",
)
def mark_save(
    request: AccessRequest,
    school_id: int,
    class_id: int,
    assignment_id: int,
    pupil_id: int,
    payload: OneCellIn,
) -> Status:
    """One cell: 200 saved or unchanged; 409 when it changed since `version` (the body
    holds the current value and version); 422 for a value that is not a mark."""
    teaching_class = grid.access_class_for_marking(request, class_id)
    assignment = next(
        (a for a in grid.class_assignments(teaching_class) if a.pk == assignment_id), None
    )
    pupil = grid.class_pupil(teaching_class, pupil_id)
    if assignment is None:
        raise Http404
    cell = Cell(pupil.pk, assignment.pk, payload.value, payload.version)
    result = marks_cells_save(
        actor=request.user, assignments=[assignment], pupils=[pupil], cells=[cell]
    )[0]
    return _one(result)


def _one(result: CellResult) -> Status:
    if result.outcome == "conflict":
        return Status(409, result.__dict__)
    if result.outcome == "invalid":
        raise ValidationError({"value": [result.message]})
    return Status(200, result.__dict__)


# --- Drop entries -----------------------------------------------------------------


@router.get(
    f"{CLASS}/drops/{{drop_id}}/entries",
    response=responses(GridOut),
    url_name="markbook_entries",
    summary="A class's entries for a data drop",
)
def entries(request: AccessRequest, school_id: int, class_id: int, drop_id: int) -> dict:
    """The class's pupils, the drop's fields and the grades entered."""
    teaching_class = grid.access_class_for_marking(request, class_id)
    drop, subject = grid.access_drop_for_class(teaching_class, drop_id)
    data = grid.drop_grid(teaching_class, drop, subject)
    _read(request, "tracking.entries.viewed", teaching_class, data, drop=drop.pk)
    return data


@router.post(
    f"{CLASS}/drops/{{drop_id}}/entries",
    response=responses(CellsOut),
    summary="Save drop grades in bulk",
)
def entries_save(
    request: AccessRequest, school_id: int, class_id: int, drop_id: int, payload: EntryCellsIn
) -> dict:
    """Save many drop grades at once: each checked against its field's scale; a locked
    drop refuses every cell."""
    teaching_class = grid.access_class_for_marking(request, class_id)
    drop, subject = grid.access_drop_for_class(teaching_class, drop_id)
    _too_many(len(payload.cells))
    results = tracking_cells_save(
        actor=request.user,
        drop=drop,
        subject=subject,
        fields=grid.drop_fields(drop),
        pupils=grid.class_pupils(teaching_class),
        cells=[Cell(c.pupil, c.field, c.value, c.version) for c in payload.cells],
    )
    return _out(results)


@router.put(
    f"{CLASS}/drops/{{drop_id}}/entries/{{field_id}}/{{pupil_id}}",
    response={**responses(CellOut), 409: CellOut},
    summary="Save one drop grade",
)
def entry_save(
    request: AccessRequest,
    school_id: int,
    class_id: int,
    drop_id: int,
    field_id: int,
    pupil_id: int,
    payload: OneCellIn,
) -> Status:
    """One cell: 200, 409 when it changed since `version`, 422 when refused."""
    teaching_class = grid.access_class_for_marking(request, class_id)
    drop, subject = grid.access_drop_for_class(teaching_class, drop_id)
    field = next((f for f in grid.drop_fields(drop) if f.pk == field_id), None)
    pupil = grid.class_pupil(teaching_class, pupil_id)
    if field is None:
        raise Http404
    result = tracking_cells_save(
        actor=request.user,
        drop=drop,
        subject=subject,
        fields=[field],
        pupils=[pupil],
        cells=[Cell(pupil.pk, field.pk, payload.value, payload.version)],
    )[0]
    return _one(result)


def _read(request: AccessRequest, action: str, target: Any, data: dict, **extra: Any) -> None:
    """SEC-1: a staff read of the class's marks, in the access log."""
    roster_selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action=action,
        target=target,
        data={"pupils": len(data["pupils"]), "columns": len(data["columns"]), **extra},
        via="api",
    )
