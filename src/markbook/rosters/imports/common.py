"""Small helpers every roster upload shares: reading uploaded bytes as UTF-8 CSV text
and splitting it into records, each problem reported as a `Problem` (row, column,
message). Kept generic: no knowledge of any particular file layout."""

import codecs
import csv
import io
from dataclasses import dataclass

from django.conf import settings

SAVE_AS = "In Excel choose File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)' and upload that."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: row None (and column "") for the whole file."""

    row: int | None
    column: str
    message: str


def decode_csv_bytes(
    data: bytes, problems: list[Problem], *, save_as: str = SAVE_AS, limit: int | None = None
) -> str | None:
    """UTF-8 text (a BOM is tolerated), or None with a problem saying how to fix it."""
    limit = settings.MARKBOOK_MAX_UPLOAD_BYTES if limit is None else limit
    hint = f" {save_as}" if save_as else ""
    if len(data) > limit:
        problems.append(
            Problem(
                None,
                "",
                f"The file is {len(data):,} bytes; the limit is {limit:,} bytes. "
                "Split it into smaller files.",
            )
        )
        return None
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        problems.append(Problem(None, "", "This is an Excel workbook, not a CSV file." + hint))
        return None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        problems.append(Problem(None, "", "The file is saved as UTF-16 ('Unicode text')." + hint))
        return None
    if b"\x00" in data:
        problems.append(
            Problem(None, "", "This is not a text file (it contains binary data)." + hint)
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
                f"Row {row} is not UTF-8 text: the file was probably saved as Windows (ANSI, "
                "cp1252) or Latin-1, which spoils names like Zoë or Siân." + hint,
            )
        )
        return None
    if not text.strip():
        problems.append(Problem(None, "", "The file is empty."))
        return None
    return text


def csv_records(text: str, problems: list[Problem]) -> list[tuple[int, list[str]]] | None:
    """(row number, values) for each record (the header is row 1); None if the CSV
    itself is malformed."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
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
