"""Pieces shared by the roster imports (ROS-2, ROS-3): problems by row and column,
decoding an upload to text, reading CSV records, matching header spellings.

Row numbers count the header as row 1, as a spreadsheet shows it; a problem with
row None (and column "") is about the whole file.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from markbook.core.spreadsheet import formula_like

SAVE_AS = "In Excel choose File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)' and upload that."
# A workbook's limits, past which it is refused before it is read to the end: a zip
# of a few megabytes can hold gigabytes of sheet, and a sheet may claim (or hold a
# stray cell in) column XFD, which would pad every row to 16,384 cells.
XLSX_MAX_UNZIPPED = 200 * 1024 * 1024
XLSX_MAX_ROWS = 50_000
XLSX_MAX_COLUMNS = 200


# An import's progress callback: progress(done, total, stage), `stage` saying what
# done and total count ("rows checked", "pupil records written"; ROS-2, ROS-4). A
# stage ending in WRITTEN is reported while writing (Written): it never stops an
# attempt (jobs._progress), which would lose the writes already made.
class Report(Protocol):
    def __call__(self, done: int, total: int, stage: str = "", /) -> None: ...


WRITTEN = "written"


@dataclass
class Written:
    """A writer's progress across several bulk writes (core.rows insert_rows and
    update_rows, audit.record_many): `part()` is the `progress` of the next write,
    adding its rows to those of the writes before it, reported as (done, total, stage)."""

    report: Report | None
    total: int
    stage: str  # ends in WRITTEN
    done: int = 0

    def part(self) -> Callable[[int], None] | None:
        report = self.report
        if report is None:
            return None
        before = self.done

        def told(rows: int) -> None:
            self.done = before + rows
            report(self.done, self.total, self.stage)

        return told


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: row None (and column "") for the whole file."""

    row: int | None
    column: str
    message: str


def header_key(header: str) -> str:
    """A header compared without case, spaces or punctuation: " Legal Surname" -> "legalsurname"."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


class Oversized(bytes):
    """The first bytes of an upload past the size limit, knowing the file's real size."""

    size: int


def formula_warning(value: str) -> str | None:
    """The warning for a value a spreadsheet could run as a formula (SEC-1): a
    warning, not an error, since the value is stored as given; None for others."""
    if not formula_like(value):
        return None
    return (
        f"This begins with {value[0]!r}, so a spreadsheet could run it as a formula. It "
        "is stored as given; Markbook's CSV downloads show it as text."
    )


def upload_read(upload: UploadedFile) -> bytes:
    """An upload's content; past MARKBOOK_MAX_UPLOAD_BYTES only its first bytes (one past
    the limit), so an oversized file is refused without reading it all, as an
    `Oversized` that keeps the file's real size for the message (`size_message`)."""
    limit = settings.MARKBOOK_MAX_UPLOAD_BYTES
    data = upload.read(limit + 1)
    if len(data) <= limit:
        return data
    oversized = Oversized(data)
    oversized.size = max(upload.size or 0, len(data))
    return oversized


def upload_size(data: bytes) -> int:
    """The size of the uploaded file `data` was read from (see upload_read)."""
    return data.size if isinstance(data, Oversized) else len(data)


def size_message(data: bytes) -> str | None:
    """What is wrong with an upload past the size limit, naming its real size; None
    within it."""
    limit = settings.MARKBOOK_MAX_UPLOAD_BYTES
    size = upload_size(data)
    if size <= limit:
        return None
    return f"The file is {size:,} bytes; the limit is {limit:,} bytes."


def too_big(data: bytes, problems: list[Problem], advice: str) -> bool:
    """Whether `data` passes the upload size limit; if so a problem says so."""
    message = size_message(data)
    if message is not None:
        problems.append(Problem(None, "", f"{message} {advice}"))
        return True
    return False


def is_workbook(data: bytes) -> bool:
    """An Excel file: XLSX (a zip) or the old binary XLS."""
    return data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))


def decode_csv_bytes(
    data: bytes, problems: list[Problem], *, advice: str = SAVE_AS, too_big_advice: str = ""
) -> str | None:
    """A CSV upload as text: within the size limit, not a workbook, UTF-8 (see decode)."""
    if too_big(data, problems, too_big_advice or "Split it into smaller files."):
        return None
    if is_workbook(data):
        problems.append(
            Problem(None, "", _join("This is an Excel workbook, not a CSV file.", advice))
        )
        return None
    return decode(data, problems, advice=advice)


def _join(message: str, advice: str) -> str:
    return f"{message} {advice}" if advice else message


def decode(data: bytes, problems: list[Problem], *, advice: str = SAVE_AS) -> str | None:
    """UTF-8 text (a BOM is tolerated), or None with a problem saying how to fix it."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        problems.append(
            Problem(None, "", _join("The file is saved as UTF-16 ('Unicode text').", advice))
        )
        return None
    if b"\x00" in data:
        problems.append(
            Problem(None, "", _join("This is not a text file (it contains binary data).", advice))
        )
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        problems.append(
            Problem(
                row,
                "",
                _join(
                    f"Row {row} is not UTF-8 text: the file was probably saved as Windows "
                    "(ANSI, cp1252) or Latin-1, which spoils names like Zoë or Siân.",
                    advice,
                ),
            )
        )
        return None
    if not text.strip():
        problems.append(Problem(None, "", "The file is empty."))
        return None
    return text


def csv_records(text: str, problems: list[Problem]) -> list[tuple[int, list[str]]] | None:
    """(row number, values) for each record; None if the CSV itself is malformed."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return records
        except csv.Error as error:
            problems.append(
                Problem(
                    start,
                    "",
                    f'Row {start} is not valid CSV ({error}); check for a quote mark (") '
                    "that is opened and never closed.",
                )
            )
            return None
        records.append((start, values))


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_records(data: bytes, problems: list[Problem]) -> list[tuple[int, list[str]]] | None:
    """(row number, values) of the first sheet of an XLSX workbook, as csv_records
    gives them; None, with a problem, for a workbook that cannot be read or is past
    the limits above."""
    from openpyxl import load_workbook  # only XLSX uploads need it

    unreadable = (
        "This Excel file cannot be read: it may be cut short, password protected or an "
        "old .xls workbook. Save it again as .xlsx, or as CSV UTF-8."
    )
    try:
        unzipped = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        problems.append(Problem(None, "", unreadable))
        return None
    if unzipped > XLSX_MAX_UNZIPPED:
        book.close()
        problems.append(
            Problem(
                None,
                "",
                f"This Excel file unpacks to {unzipped:,} bytes, more than "
                f"{XLSX_MAX_UNZIPPED:,}. Save the sheet you need as CSV UTF-8 and upload that.",
            )
        )
        return None
    records: list[tuple[int, list[str]]] = []
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # rows as stored, not padded to a claimed size
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v).strip() for v in values]
            while cells and not cells[-1]:
                cells.pop()
            if len(cells) > XLSX_MAX_COLUMNS:
                problems.append(
                    Problem(
                        number,
                        "",
                        f"Row {number} has {len(cells):,} columns; Markbook reads at most "
                        f"{XLSX_MAX_COLUMNS}. Delete the columns you do not need.",
                    )
                )
                return None
            if number > XLSX_MAX_ROWS:
                problems.append(
                    Problem(
                        None,
                        "",
                        f"The sheet has more than {XLSX_MAX_ROWS:,} rows; an export has one "
                        "row per pupil. Check that this is the right sheet.",
                    )
                )
                return None
            records.append((number, cells))
    finally:
        book.close()
    # A spreadsheet has no "short" rows: empty trailing cells are simply not stored.
    width = max((len(values) for _, values in records), default=0)
    return [(number, values + [""] * (width - len(values))) for number, values in records]
