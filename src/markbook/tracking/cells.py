"""Saving drop-entry cells (ASM-4 through ASM-3's grid): one pupil's value of one drop
field in one subject, typed as text.

On a scale of grades the text must be one of the scale's labels ("5+", "D*", "Secure";
the case need not match); on a numeric scale (KS2 80-120, percentages) a number from
the scale's minimum to its maximum, stored with the grade whose threshold it reaches.
"" clears the cell: its row stays with neither grade nor number (`HELD` leaves it out
of every count), so its version goes on and a write based on the value it held is
refused as a conflict. A locked drop takes no writes. Versions, conflicts, per-cell
atomicity and the access log work as for marks (assessment.cells).
"""

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.assessment.cells import (
    Cell,
    CellResult,
    Outcome,
    check_batch_size,
    parse_number,
    score_text,
)
from markbook.audit import services as audit
from markbook.rosters.models import Pupil
from markbook.tracking.models import DataDrop, DropField, Grade, GradeScale, Subject, TrackingEntry


def field_scale(field: DropField, subject: Subject) -> GradeScale:
    """The scale a drop field is entered on: its own, else the subject's."""
    return field.scale if field.scale is not None else subject.scale


def entry_text(entry: TrackingEntry | None) -> str:
    """An entry as the grid shows it: the number on a numeric scale, else the grade."""
    if entry is None:
        return ""
    if entry.value is not None:
        return score_text(entry.value)
    return entry.grade.label if entry.grade_id and entry.grade else ""


class _Scale:
    """One scale's grades, for checking typed values without a query per cell."""

    def __init__(self, scale: GradeScale, grades: list[Grade]) -> None:
        self.scale = scale
        self.grades = sorted(grades, key=lambda g: g.rank)
        self.by_label = {g.label: g for g in self.grades}
        self.by_folded = {g.label.casefold(): g for g in self.grades}

    def read(self, text: str, what: str) -> tuple[Grade | None, Decimal | None]:
        if self.scale.numeric:
            number = parse_number(
                text,
                minimum=self.scale.minimum if self.scale.minimum is not None else Decimal(0),
                maximum=self.scale.maximum if self.scale.maximum is not None else Decimal(99999),
                what=f"{what} ({self.scale.name})",
            )
            reached = [g for g in self.grades if g.minimum is not None and number >= g.minimum]
            return (reached[-1] if reached else None), number
        grade = self.by_label.get(text) or self.by_folded.get(text.casefold())
        if grade is None:
            labels = ", ".join(g.label for g in reversed(self.grades[-12:]))
            raise ValueError(f"{what}: {text[:20]} is not a grade on {self.scale.name} ({labels}).")
        return grade, None


def tracking_cells_save(
    *,
    actor: User | None,
    drop: DataDrop,
    subject: Subject,
    fields: Iterable[DropField],
    pupils: Iterable[Pupil],
    cells: Sequence[Cell],
) -> list[CellResult]:
    """Save drop-entry cells (ASM-4): each cell's column a field of `drop`, its pupil one
    of `pupils` (the class's), in `subject`. A locked drop refuses every cell; values
    not on the field's scale are refused naming the cell; every saved change is in the
    access log with its old and new value (DSR-3)."""
    check_batch_size(len(cells))
    columns = {f.pk: f for f in fields if f.drop_id == drop.pk}
    rows = {p.pk: p for p in pupils}
    with transaction.atomic():
        locked = DataDrop.objects.filter(pk=drop.pk, locked_at__isnull=False).exists()
        if locked:
            message = f"{drop.name} is locked; its grades can no longer be changed."
            return [
                CellResult(c.pupil, c.column, "invalid", c.value, c.version, message=message)
                for c in cells
            ]
        return _save(actor, drop, subject, columns, rows, cells)


def _scales(columns: dict[int, DropField], subject: Subject) -> dict[int, _Scale]:
    scales = {field_scale(f, subject) for f in columns.values()}
    grades: dict[int, list[Grade]] = {s.pk: [] for s in scales}
    for grade in Grade.objects.filter(scale__in=scales):
        grades[grade.scale_id].append(grade)
    return {s.pk: _Scale(s, grades[s.pk]) for s in scales}


def _save(
    actor: User | None,
    drop: DataDrop,
    subject: Subject,
    columns: dict[int, DropField],
    rows: dict[int, Pupil],
    cells: Sequence[Cell],
) -> list[CellResult]:
    wanted = [c for c in cells if c.column in columns and c.pupil in rows]
    scales = _scales(columns, subject) if wanted else {}
    stored: dict[tuple[int, int], TrackingEntry] = {}
    if wanted:
        entries = (
            TrackingEntry.objects.select_for_update(of=("self",))  # grade: an outer join
            .select_related("grade")
            .filter(
                subject=subject,
                field_id__in={c.column for c in wanted},
                pupil_id__in={c.pupil for c in wanted},
            )
        )
        stored = {(e.pupil_id, e.field_id): e for e in entries}
    results: list[CellResult] = []
    seen: set[tuple[int, int]] = set()
    created: list[TrackingEntry] = []
    updated: list[TrackingEntry] = []
    events: list[tuple[str, DropField, dict | None]] = []
    now = timezone.now()
    for cell in cells:
        key = (cell.pupil, cell.column)
        field, pupil = columns.get(cell.column), rows.get(cell.pupil)
        if field is None or pupil is None:
            results.append(
                CellResult(
                    cell.pupil,
                    cell.column,
                    "invalid",
                    cell.value,
                    cell.version,
                    message="This cell is not in this class's entry for this drop.",
                )
            )
            continue
        what = f"{pupil.display_name}, {field.label}"
        entry = stored.get(key)
        current = entry.version if entry else None
        if key in seen or cell.version != current:
            message = (
                f"{what}: this cell was sent twice."
                if key in seen
                else f"{what}: this cell was changed by someone else since you loaded it; "
                "it now shows their value."
            )
            outcome: Outcome = "invalid" if key in seen else "conflict"
            results.append(
                CellResult(
                    cell.pupil, cell.column, outcome, entry_text(entry), current, "", message
                )
            )
            continue
        seen.add(key)
        text = (cell.value or "").strip()
        grade: Grade | None = None
        number: Decimal | None = None
        if text:
            try:
                grade, number = scales[field_scale(field, subject).pk].read(text, what)
            except ValueError as error:
                results.append(
                    CellResult(
                        cell.pupil, cell.column, "invalid", cell.value, current, message=str(error)
                    )
                )
                continue
        old = _state(entry)
        new = None if not text else _values(grade, number)
        if old == new:
            results.append(
                CellResult(cell.pupil, cell.column, "unchanged", entry_text(entry), current)
            )
            continue
        if entry is None:
            entry = TrackingEntry(
                school_id=drop.school_id,
                drop=drop,
                field=field,
                pupil=pupil,
                subject=subject,
                grade=grade,
                value=number,
                version=1,
                updated_by=actor,
                updated_at=now,
            )
            created.append(entry)
        else:  # cleared too: the row stays, its version goes on (ASM-3)
            entry.grade, entry.value, entry.version = grade, number, entry.version + 1
            entry.updated_by, entry.updated_at = actor, now
            updated.append(entry)
        events.append(
            (
                "tracking.entry.changed",
                field,
                {"pupil": pupil.pk, "subject": subject.pk, "old": old, "new": new},
            )
        )
        results.append(
            CellResult(cell.pupil, cell.column, "saved", entry_text(entry), entry.version)
        )
    if created:
        TrackingEntry.objects.bulk_create(created)
    if updated:
        TrackingEntry.objects.bulk_update(
            updated, ["grade", "value", "version", "updated_by", "updated_at"]
        )
    if events:
        audit.record_many(actor=actor, school=drop.school_id, events=events)
    return results


def _values(grade: Grade | None, number: Decimal | None) -> dict[str, str | None]:
    return {
        "grade": grade.label if grade else None,
        "value": None if number is None else str(number),
    }


def _state(entry: TrackingEntry | None) -> dict[str, str | None] | None:
    """An entry's value for the access log; None for no entry or a cleared one."""
    if entry is None or (entry.grade_id is None and entry.value is None):
        return None
    return _values(entry.grade, entry.value)


def tracking_cell_save(
    *,
    actor: User | None,
    drop: DataDrop,
    field: DropField,
    pupil: Pupil,
    subject: Subject,
    value: str,
    version: int | None,
) -> CellResult:
    """Save one drop-entry cell (ASM-4): see `tracking_cells_save`."""
    cell = Cell(pupil=pupil.pk, column=field.pk, value=value, version=version)
    return tracking_cells_save(
        actor=actor, drop=drop, subject=subject, fields=[field], pupils=[pupil], cells=[cell]
    )[0]
