"""Reading an Excel upload (ROS-2, ROS-3): the first sheet's rows as a CSV export
would hold them, and a workbook past the limits refused by name before it is read to
the end (a few megabytes of zip can unpack to gigabytes, or claim 16,384 columns)."""

import io
import re
import zipfile
from datetime import date

from markbook.rosters.imports import common
from markbook.rosters.imports.common import Problem, xlsx_records
from tests.rosters.conftest import xlsx


def with_sheet(data: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    """The workbook with its first sheet's XML changed by `change`."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(info, content)
    return out.getvalue()


ROWS = [["Surname", "Year", "Date of Birth"], ["Evans", 7, date(2014, 9, 1)], ["Ford", 7.0, None]]


def read(data: bytes) -> tuple[list | None, list[Problem]]:
    problems: list[Problem] = []
    return xlsx_records(data, problems), problems


def test_cells_read_as_a_csv_export_would_hold_them():
    records, problems = read(xlsx(ROWS))
    assert problems == []
    assert records == [
        (1, ["Surname", "Year", "Date of Birth"]),
        (2, ["Evans", "7", "2014-09-01"]),
        (3, ["Ford", "7", ""]),
    ]


def test_a_sheet_claiming_column_xfd_is_read_at_its_real_width(monkeypatch):
    claimed = with_sheet(
        xlsx(ROWS),
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD3"', xml),
    )
    assert b"XFD3" in zipfile.ZipFile(io.BytesIO(claimed)).read("xl/worksheets/sheet1.xml")
    cells = []
    monkeypatch.setattr(common, "_cell_text", lambda v: cells.append(v) or str(v or ""))
    records, problems = read(claimed)
    assert problems == [] and records is not None
    assert {len(values) for _, values in records} == {3}
    assert len(cells) == 8  # the stored cells only (Ford has no date), not 3 x 16,384


def test_a_value_far_to_the_right_is_refused_naming_its_row():
    rows = [list(r) for r in ROWS]
    rows[2] += [None] * 300 + ["stray"]
    records, problems = read(xlsx(rows))
    assert records is None
    [problem] = problems
    assert problem.row == 3 and "304 columns" in problem.message


def test_trailing_empty_cells_do_not_count_as_columns():
    rows = [list(r) for r in ROWS]
    rows[1] += [None] * 300 + [""]
    records, problems = read(xlsx(rows))
    assert problems == [] and records is not None
    assert {len(values) for _, values in records} == {3}


def test_a_sheet_with_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(common, "XLSX_MAX_ROWS", 2)
    records, problems = read(xlsx(ROWS))
    assert records is None
    assert "more than 2 rows" in problems[0].message


def test_a_workbook_unpacking_past_the_limit_is_refused(monkeypatch):
    data = xlsx(ROWS)
    unzipped = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    monkeypatch.setattr(common, "XLSX_MAX_UNZIPPED", unzipped - 1)
    records, problems = read(data)
    assert records is None
    assert f"unpacks to {unzipped:,} bytes" in problems[0].message


def test_a_truncated_workbook_is_a_clear_problem():
    records, problems = read(xlsx(ROWS)[:500])
    assert records is None
    assert "cannot be read" in problems[0].message
