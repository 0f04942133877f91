"""The MIS pupil import (ROS-2, ROS-3, ROS-5, ACC-3): a CSV or XLSX export of the
school's MIS (SIMS, Arbor, Bromcom, or through Wonde or Xporter).

Steps: read the file; map its columns to pupil fields (header variants, or the
user's `mapping`); drop the columns of fields the school does not keep (ROS-5),
before any value is read; check every cell, reporting each problem by row and
column, errors apart from warnings; match each row to a pupil by UPN (through its
keyed hash) or MIS id; and preview what would be added, changed and left alone
(and, for a full import, who would be marked as left). With `confirm=True` and no
errors, everything is written in one transaction, or nothing is. Re-importing the
same file writes nothing but the import's summary event.

A school with pseudonyms (ACC-3) keeps no names and no UPN: names are not read at
all, a pseudonym is generated, and only the UPN's HMAC is stored and matched on.

The steps live in this package's modules: `fields` (the pupil fields, their header
spellings and the column mapping), `parse` (reading the file, checking cells and
rows), `plan` (matching rows to pupils, planning the changes), `write` (writing them)
and `result` (what an import found and would do); `mis_import` runs them in order.
"""

from django.db import transaction

from markbook.accounts.models import User
from markbook.rosters.imports.common import Problem, Report
from markbook.rosters.imports.mis.fields import (
    BY_NAME,
    FIELDS,
    IGNORE,
    OPTIONAL,
    RECOMMENDED,
    REQUIRED,
    Field,
    map_columns,
)
from markbook.rosters.imports.mis.parse import Memo, check_school_urn, parse_row, read_records
from markbook.rosters.imports.mis.plan import plan_rows
from markbook.rosters.imports.mis.result import Change, MisImportResult, Planned
from markbook.rosters.imports.mis.write import generate_pseudonym, write_result
from markbook.schools.models import School

__all__ = [
    "BY_NAME",
    "FIELDS",
    "IGNORE",
    "OPTIONAL",
    "PROGRESS_EVERY",
    "RECOMMENDED",
    "REQUIRED",
    "Change",
    "Field",
    "MisImportResult",
    "Planned",
    "generate_pseudonym",
    "mis_import",
]

PROGRESS_EVERY = 100  # rows between calls of mis_import's `progress`


def mis_import(
    *,
    actor: User | None,
    school: School,
    data: bytes,
    filename: str,
    mapping: dict[str, str] | None = None,
    full: bool = False,
    confirm: bool = False,
    progress: Report | None = None,
    restore_erased: bool = False,
) -> MisImportResult:
    """Check an MIS export and preview it; with `confirm`, write all of it or nothing.

    Runs inside the school's scope (TEN-4). `result.errors` and `result.warnings`
    name each problem by row and column; anything in `errors` stops the import.
    Without `confirm` nothing is written (ROS-2, ROS-3, ROS-5, ACC-3). `progress(done,
    total, stage)` is told of the rows checked every PROGRESS_EVERY rows, of the records
    written as they are written (core.rows.PROGRESS_BATCH), and (rows, rows) once all
    is written. A row of a pupil erased at the school's request is not added again
    (a warning says so, DSR-4) unless `restore_erased`."""
    result = MisImportResult(filename=filename, full=full)
    records = read_records(data, filename, result)
    if records is None:
        return result
    records = [(n, v) for n, v in records if any(c.strip() for c in v)] or records
    (_, header), body = records[0], records[1:]
    positions = map_columns(header, school, mapping or {}, result)
    if positions is None:
        return result
    rows = []
    memo: Memo = {}
    for number, values in body:
        result.rows += 1
        check_school_urn(number, values, school, result)
        parsed = parse_row(number, values, len(header), positions, result, memo)
        if parsed is not None:
            rows.append((number, parsed))
        if progress is not None and result.rows % PROGRESS_EVERY == 0:
            progress(result.rows, len(body), "rows checked")
    if not result.rows:
        result.errors.append(Problem(None, "", "The file has a header row but no pupils."))
    plan_rows(rows, school, full, result, restore_erased=restore_erased)
    result.errors.sort(key=lambda p: (p.row or 0, p.column))
    result.warnings.sort(key=lambda p: (p.row or 0, p.column))
    if result.errors:
        result.added, result.changed, result.unchanged, result.leavers = [], [], [], []
        return result
    if confirm:
        with transaction.atomic():
            write_result(actor=actor, school=school, result=result, progress=progress)
        result.applied = True
        if progress is not None:
            progress(result.rows, result.rows, "rows imported")
    return result
