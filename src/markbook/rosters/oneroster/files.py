"""The OneRoster import's result and its reading of the zip (ROS-4): the zip opened
and checked, each CSV table decoded and matched to the 1.2 (or 1.1) header, problems
by file, row and column, and what was accepted leniently noted. The decisions are
listed in `import_`'s docstring."""

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from markbook.core.spreadsheet import formula_like
from markbook.rosters.imports.common import Problem, csv_records, decode
from markbook.rosters.models import YEAR_GROUPS
from markbook.rosters.oneroster import spec
from markbook.rosters.oneroster.spec import split_values as _split
from markbook.schools.models import School

_YEARS = {code for code, _ in YEAR_GROUPS}
_CEDS_EARLY = {"KG": "R"}  # kindergarten is read as Reception (uncertain)


@dataclass(frozen=True)
class FileProblem:
    file: str  # "" for the zip itself
    row: int | None
    column: str
    message: str


# The phases of an import, as its progress reports them: progress(i, len(PHASES)) as
# phase i starts; progress(len(PHASES), len(PHASES)) once a confirmed import is saved.
PHASES = ("read", "check", "pupils", "classes", "enrolments", "parents", "marks")

# What an import did, by name: the preview, the access log and a job's summary.
COUNTS = (
    "pupils_created",
    "pupils_updated",
    "pupils_matched",
    "pupils_left",
    "classes_created",
    "teacher_links_added",
    "teacher_links_removed",
    "enrolments_added",
    "enrolments_removed",
    "assignments_created",
    "assignments_updated",
    "assignments_deleted",
    "marks_recorded",
    "marks_removed",
    "parents_created",
    "parents_matched",
    "parent_links_added",
    "parent_links_removed",
    "parents_skipped",
)


@dataclass
class Result:
    problems: list[FileProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    version: str = ""
    confirmed: bool = False
    pupils_created: int = 0
    pupils_updated: int = 0
    pupils_matched: int = 0
    pupils_left: int = 0
    classes_created: int = 0
    teacher_links_added: int = 0
    teacher_links_removed: int = 0
    enrolments_added: int = 0
    enrolments_removed: int = 0
    assignments_created: int = 0
    assignments_updated: int = 0
    assignments_deleted: int = 0
    marks_recorded: int = 0
    marks_removed: int = 0
    parents_created: int = 0
    parents_matched: int = 0
    parent_links_added: int = 0
    parent_links_removed: int = 0
    parents_skipped: int = 0  # an account of another school: not linked (noted)
    # Erased at the school's request: not created again (noted; DSR-4).
    pupils_suppressed: int = 0
    parents_suppressed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}


@dataclass
class Row:
    file: str
    number: int
    cells: dict[str, str]
    status: str = "active"
    modified: date | None = None

    def __getitem__(self, name: str) -> str:
        return self.cells.get(name, "")


class Reader:
    """Reads the files of the zip into rows, collecting problems and lenient notes."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self._noted: set[str] = set()

    def problem(self, file: str, row: int | None, column: str, message: str) -> None:
        self.result.problems.append(FileProblem(file, row, column, message))

    def note(self, key: str, message: str) -> None:
        if key not in self._noted:
            self._noted.add(key)
            self.result.notes.append(message)

    def enum(self, row: Row, column: str, allowed: tuple[str, ...], required: bool) -> str:
        value = row[column]
        if not value:
            if required:
                self.problem(row.file, row.number, column, "This must not be blank.")
            return ""
        if value in allowed:
            return value
        folded = {a.casefold(): a for a in allowed}
        if value.casefold() in folded:
            self.note(
                f"case:{row.file}:{column}",
                f"{row.file}.csv, column {column}: values in another case (like {value!r}) "
                "were accepted.",
            )
            return folded[value.casefold()]
        self.problem(
            row.file,
            row.number,
            column,
            f"{value!r} is not allowed here; use one of {', '.join(allowed)}.",
        )
        return ""

    def date(self, row: Row, column: str, required: bool = False) -> date | None:
        value = row[column]
        if not value:
            if required:
                self.problem(row.file, row.number, column, "This must not be blank.")
            return None
        parsed, strict = parse_date(value)
        if parsed is None:
            self.problem(
                row.file,
                row.number,
                column,
                f"{value!r} is not a date; write it as YYYY-MM-DD (or an ISO 8601 date-time "
                "like 2026-09-01T08:00:00Z).",
            )
        elif not strict:
            self.note(
                f"date:{row.file}:{column}",
                f"{row.file}.csv, column {column}: dates written like {value!r} were accepted.",
            )
        return parsed


_DATE_FORMATS = ("%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(value: str) -> tuple[date | None, bool]:
    """(date, True) for ISO 8601 dates and date-times; (date, False) for other common
    day-first formats (English usage); (None, False) when it is not a date."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text), True
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?", text):
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date(), True
    except ValueError:
        return None, False
    for fmt in (*_DATE_FORMATS, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, fmt).date(), False
        except ValueError:
            continue
    return None, False


def year_group(value: str) -> str:
    """OneRoster grades -> a Markbook year group ("07" -> "7"); "" when not one."""
    first = _split(value)[0].upper() if _split(value) else ""
    first = first.removeprefix("YEAR").removeprefix("Y").strip()
    first = _CEDS_EARLY.get(first, first)
    if first.isdigit():
        first = str(int(first))
    return first if first in _YEARS else ""


def academic_year(session: Row | None) -> str:
    if session is None:
        return ""
    title = session["title"].strip()
    if re.fullmatch(r"\d{4}/\d{2}", title):
        return title
    start, _ = parse_date(session["startDate"])
    if start is None:
        return ""
    first = start.year if start.month >= 8 else start.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def open_zip(data: bytes, reader: Reader) -> dict[str, bytes] | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        reader.problem(
            "",
            None,
            "",
            "This is not a zip file. A OneRoster export is a .zip holding manifest.csv, "
            "orgs.csv, users.csv and the other CSV files.",
        )
        return None
    files: dict[str, bytes] = {}
    total = 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = info.filename.rsplit("/", 1)[-1]
        if not name.lower().endswith(".csv"):
            continue
        total += info.file_size
        if total > 50 * 1024 * 1024:
            reader.problem("", None, "", "The zip holds more than 50 MB of CSV: too large.")
            return None
        if "/" in info.filename:
            reader.note("folder", "The CSV files were in a folder inside the zip; that is fine.")
        files[name[:-4]] = archive.read(info)
    return files


def _note_formulas(name: str, rows: list[Row], reader: Reader) -> None:
    """A warning, not an error, for values a spreadsheet could run as formulas among
    the columns the import reads (SEC-1, core.spreadsheet): stored as given."""
    read = spec.READ.get(name, ())
    where = [
        f"row {row.number} {column}" for row in rows for column in read if formula_like(row[column])
    ]
    if where:
        more = f" and {len(where) - 10} more" if len(where) > 10 else ""
        reader.note(
            f"formula:{name}",
            f"{name}.csv: values that begin with =, +, -, @, a tab or a carriage return "
            f"({', '.join(where[:10])}{more}) could be run as formulas by a spreadsheet. "
            "They are stored as given; Markbook's CSV downloads show them as text.",
        )


def _fits(found: list[str], header: list[str]) -> bool:
    return [f.casefold() for f in found[: len(header)]] == [h.casefold() for h in header]


def read_table(
    name: str,
    content: bytes,
    header: list[str],
    mode: str,
    reader: Reader,
    variants: list[list[str]] | None = None,
) -> list[Row] | None:
    problems: list[Problem] = []
    # The upload limit is the zip's; the CSV inside may be larger (up to _read's total).
    text = decode(content, problems, advice="")
    records = csv_records(text, problems) if text is not None else None
    for p in problems:
        reader.problem(name, p.row, p.column, p.message)
    if records is None:
        return None
    if content.startswith(b"\xef\xbb\xbf"):
        reader.note(f"bom:{name}", f"{name}.csv starts with a byte order mark; it was ignored.")
    if not records:
        reader.problem(name, None, "", "The file is empty: it needs a header row.")
        return None
    found = [value.strip() for value in records[0][1]]
    variant = next(
        (v for v in variants or [] if not _fits(found, header) and _fits(found, v)), None
    )
    if variant is not None:
        dropped = ", ".join(h for h in variant if h not in header)
        reader.note(
            f"variant:{name}",
            f"{name}.csv has the column {dropped} of the first 1.2 binding, which 1.2.1 "
            "dropped; the file was read and that column ignored.",
        )
        header = variant
    given = found[: len(header)]
    if given != header:
        if _fits(given, header):
            reader.note(
                f"header:{name}",
                f"{name}.csv: header names in another case were accepted.",
            )
        else:
            for index, expected in enumerate(header):
                actual = given[index] if index < len(given) else ""
                if actual.casefold() != expected.casefold():
                    where = f"column {index + 1}"
                    reader.problem(
                        name,
                        1,
                        actual or where,
                        f"The header's {where} must be {expected!r}, found "
                        f"{actual or 'nothing'!r}. The header must be, in this order: "
                        f"{','.join(header)}.",
                    )
                    return None
    extra = [h for h in found[len(header) :] if h]
    if extra:
        reader.note(f"extra:{name}", f"{name}.csv: extra columns ignored: {', '.join(extra)}.")
    rows = []
    for number, values in records[1:]:
        if not any(v.strip() for v in values):
            continue
        cells = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        row = Row(name, number, cells)
        if mode == "delta":
            row.status = reader.enum(row, "status", spec.STATUSES, required=True) or "active"
            row.modified = reader.date(row, "dateLastModified", required=True)
        elif row["status"].casefold() == "tobedeleted":
            # Not for a bulk file, but written by real systems: a deletion all the same.
            row.status = "tobedeleted"
            row.modified = reader.date(row, "dateLastModified")
            reader.note(
                f"bulkdeleted:{name}",
                f"{name}.csv is a bulk file, yet marks rows tobedeleted: they were read as "
                "deletions, as in a delta file.",
            )
        elif row["status"] or row["dateLastModified"]:
            reader.note(
                f"bulkstatus:{name}",
                f"{name}.csv is a bulk file: its status and dateLastModified cells were ignored.",
            )
        if not row[header[0]]:
            reader.problem(name, number, header[0], "This must not be blank.")
            continue
        rows.append(row)
    if not rows:
        reader.problem(name, None, "", "The file has a header row but no data rows.")
    _note_formulas(name, rows, reader)
    seen: dict[str, int] = {}
    key = header[0]
    for row in rows:
        if row[key] in seen:
            reader.problem(
                name,
                row.number,
                key,
                f"{row[key]!r} is also on row {seen[row[key]]}; {key} values must be unique.",
            )
        seen.setdefault(row[key], row.number)
    return rows


def numbers(numbers: list[int], shown: int = 20) -> str:
    """Row numbers for a note: "4, 7, 9", the first `shown` and how many more."""
    more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
    return ", ".join(str(n) for n in numbers[:shown]) + more


def unread_notes(
    files: dict[str, bytes],
    modes: dict[str, str],
    tables: dict[str, list[Row]],
    headers: dict[str, list[str]],
    school: School,
    reader: Reader,
) -> None:
    """Name in the notes every file of the zip the import does not read, and every
    column holding values that it does not read (spec.READ), demographics the
    school does not keep among them (ROS-4, ROS-5)."""
    unread = sorted(set(files) - {"manifest"} - set(modes))
    if unread:
        reader.note(
            "unread:files",
            f"Not read, Markbook keeps nothing of them: {', '.join(f'{n}.csv' for n in unread)}.",
        )
    for name, rows in tables.items():
        header = headers[name] if not rows else list(rows[0].cells)
        with_values = [c for c in header if any(row[c] for row in rows)]
        skipped = [c for c in with_values if c not in spec.READ[name]]
        not_kept = [
            c
            for c, field in spec.DEMOGRAPHIC_FIELDS.items()
            if name == "demographics" and c in with_values and not school.keeps(field)
        ]
        if skipped:
            reader.note(
                f"unread:{name}",
                f"{name}.csv: columns not read, Markbook keeps nothing of them: "
                f"{', '.join(skipped)}.",
            )
        if not_kept:
            reader.note(
                "unread:kept",
                f"demographics.csv: {', '.join(not_kept)} not read: this school does not "
                "keep that field (school settings).",
            )
