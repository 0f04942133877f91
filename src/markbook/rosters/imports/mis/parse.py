"""Reading an MIS export and checking its cells, each problem named by row and column,
errors apart from warnings (ROS-2, ROS-3, TEN-4)."""

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from markbook.core.validators import uln_problem, upn_problem
from markbook.rosters import services
from markbook.rosters.imports import common
from markbook.rosters.imports.common import Problem
from markbook.rosters.imports.mis.fields import BY_NAME, FIELDS, NAMES, REQUIRED
from markbook.rosters.imports.mis.result import MisImportResult
from markbook.rosters.models import YEAR_GROUPS, Pupil
from markbook.schools.models import School

_MAX: dict[str, int] = {
    f.name: limit
    for f in FIELDS
    if (limit := getattr(Pupil._meta.get_field(f.name), "max_length", None))
}
_YEARS = {code for code, _ in YEAR_GROUPS}
_TRUE = {"y", "yes", "true", "t", "1", "eligible"}
_FALSE = {"n", "no", "false", "f", "0", "noteligible", "not eligible"}
_SEX = {"m": "M", "male": "M", "f": "F", "female": "F"}
_SEN_WORDS = {"no sen": "N", "none": "N", "sen support": "K", "ehc plan": "E", "ehcp": "E"}
# LA codes of English local authorities (characters 2-4 of a UPN). MIS vendors' lists
# differ (domain.md, Identifiers), so a code outside these ranges is only a warning.
KNOWN_LA_CODES = frozenset(
    [str(n) for n in range(201, 214)]
    + [str(n) for n in range(301, 321)]
    + [str(n) for n in (*range(330, 345), *range(350, 360), *range(370, 374))]
    + [str(n) for n in (*range(380, 385), *range(390, 395))]
    + [str(n) for n in range(800, 942)]
)
_ADVICE_SPLIT = "Export fewer pupils at a time (for example one year group per file)."


# --- Reading the file ---------------------------------------------------------


def read_records(
    data: bytes, filename: str, result: MisImportResult
) -> list[tuple[int, list[str]]] | None:
    """The file's rows as (row number, cells), CSV or XLSX; None when it cannot be
    read, with the reason in `result.errors`."""
    if common.too_big(data, result.errors, _ADVICE_SPLIT):
        return None
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        result.errors.append(
            Problem(
                None, "", "This is an old Excel (.xls) workbook. Save it as .xlsx or CSV UTF-8."
            )
        )
        return None
    if common.is_workbook(data) or filename.lower().endswith(".xlsx"):
        records = common.xlsx_records(data, result.errors)
    else:
        text = common.decode(data, result.errors)
        records = None if text is None else common.csv_records(text, result.errors)
    if records is not None and not any(any(v.strip() for v in r) for _, r in records):
        result.errors.append(Problem(None, "", "The file is empty."))
        return None
    return records


# --- Cells ------------------------------------------------------------------------


class _Bad(Exception):
    pass


def _text(name: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > _MAX[name]:
            raise _Bad(f"Too long: {len(value)} characters, at most {_MAX[name]}.")
        return value

    return parse


def _upn(value: str, warn: list[str]) -> str:
    upn = value.replace(" ", "").upper()
    problem = upn_problem(upn)
    if problem:
        raise _Bad(f"{value!r} is not a valid UPN: {problem}.")
    if upn[1:4] not in KNOWN_LA_CODES:
        warn.append(f"{upn}: {upn[1:4]} is not a local authority code Markbook knows; check it.")
    return upn


def _year(value: str) -> str:
    year = value.strip().upper()
    year = {"RECEPTION": "R", "REC": "R", "YR": "R"}.get(year, year)
    year = re.sub(r"^(NC\s*)?(YEAR|Y)\s*", "", year).lstrip("0") or year
    if year not in _YEARS:
        raise _Bad(f"{value!r} is not a year group (N1, N2, R, 1 to 13).")
    return year


def _sex(value: str) -> str:
    sex = _SEX.get(value.lower())
    if sex is None:
        raise _Bad(f"{value!r} is not a sex: use M or F (or MALE / FEMALE).")
    return sex


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")


def _quick_date(value: str) -> date | None:
    """The common spellings without strptime (a tenth of its time); None: not one of them."""
    try:
        if match := _ISO_DATE.fullmatch(value):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _UK_DATE.fullmatch(value):
            return date(int(match[4]), int(match[3]), int(match[1]))
    except ValueError:
        return None
    return None


def _date(value: str) -> date:
    day = _quick_date(value)
    if day is not None:
        # Only a date near today can be in the school's future (its local date).
        if day >= date.today() - timedelta(days=2) and day > timezone.localdate():
            raise _Bad(f"{value!r} is in the future.")
        return day
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            day = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        if day > timezone.localdate():
            raise _Bad(f"{value!r} is in the future.")
        return day
    raise _Bad(f"{value!r} is not a date: use DD/MM/YYYY or YYYY-MM-DD.")


def _yes_no(value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _Bad(f"{value!r} is not yes or no: use Y or N (or TRUE / FALSE).")


def _code(codes: tuple[str, ...], words: dict[str, str] | None = None) -> Callable[[str], str]:
    def parse(value: str) -> str:
        code = (words or {}).get(value.strip().lower(), value.strip().upper())
        if code not in codes:
            raise _Bad(f"{value!r} is not a census code; use one of {', '.join(codes)}.")
        return code

    return parse


def _score(value: str) -> int:
    try:
        score = int(value)
    except ValueError:
        raise _Bad(f"{value!r} is not a whole number.") from None
    if not 80 <= score <= 120:
        raise _Bad(f"A KS2 scaled score is 80 to 120, not {score}.")
    return score


def _uln(value: str) -> str:
    problem = uln_problem(value)
    if problem:
        raise _Bad(f"{value!r} is not a valid ULN: {problem}.")
    return value.strip()


PARSERS: dict[str, Callable[[str], Any]] = {
    "first_name": _text("first_name"),
    "last_name": _text("last_name"),
    "pseudonym": _text("pseudonym"),
    "mis_id": _text("mis_id"),
    "registration_group": _text("registration_group"),
    "year_group": _year,
    "sex": _sex,
    "date_of_birth": _date,
    "fsm": _yes_no,
    "disadvantaged": _yes_no,
    "eal": _yes_no,
    "gifted_talented": _yes_no,
    "sen_provision": _code(services.SEN_PROVISION_CODES, _SEN_WORDS),
    "sen_need": _code(services.SEN_NEED_CODES),
    "ethnicity": _code(services.ETHNICITY_CODES),
    "ks2_reading": _score,
    "ks2_maths": _score,
    "uln": _uln,
}
_BLANK: dict[str, Any] = {"first_name": "", "last_name": "", "pseudonym": "", "mis_id": ""}
_BLANK |= {"registration_group": "", "sex": "", "uln": ""}
# Columns with few distinct values: each value is parsed once per import (Memo).
_REPEATING = frozenset(PARSERS) - {"first_name", "last_name", "pseudonym", "mis_id", "uln"}
Memo = dict[str, dict[str, Any]]


def _parse_value(name: str, raw: str, memo: Memo) -> Any:
    """PARSERS[name](raw), remembered for a repeating column; raises _Bad."""
    if name not in _REPEATING:
        return PARSERS[name](raw)
    seen = memo.setdefault(name, {})
    if raw not in seen:
        try:
            seen[raw] = (PARSERS[name](raw), None)
        except _Bad as error:
            seen[raw] = (None, str(error))
    value, problem = seen[raw]
    if problem is not None:
        raise _Bad(problem)
    return value


def parse_row(
    number: int,
    values: list[str],
    width: int,
    positions: dict[str, int],
    result: MisImportResult,
    memo: Memo,
) -> dict[str, Any] | None:
    """Field name -> value of one row; None when the row has an error, every one of its
    problems added to `result`. `memo` carries the parsed values of repeating columns
    from row to row."""
    if len(values) < width:
        result.errors.append(
            Problem(
                number,
                "",
                f"Row {number} has {len(values)} values but the header has {width} columns: "
                "the file may be cut short.",
            )
        )
        return None
    if any(v.strip() for v in values[width:]):
        result.errors.append(
            Problem(number, "", f"Row {number} has more values than the header has columns.")
        )
        return None
    row: dict[str, Any] = {}
    bad = False
    has_pseudonym = "pseudonym" in positions and bool(values[positions["pseudonym"]].strip())
    for name, index in positions.items():
        raw = values[index].strip()
        if not raw:
            spec = BY_NAME[name]
            if spec.level == REQUIRED and not (name in NAMES and has_pseudonym):
                bad = True
                result.errors.append(Problem(number, spec.label, "This must not be blank."))
            row[name] = _BLANK.get(name)
            continue
        if warning := common.formula_warning(raw):
            result.warnings.append(Problem(number, BY_NAME[name].label, warning))
        try:
            if name == "upn":
                warn: list[str] = []
                row[name] = _upn(raw, warn)
                result.warnings.extend(Problem(number, BY_NAME[name].label, w) for w in warn)
            else:
                row[name] = _parse_value(name, raw, memo)
        except _Bad as error:
            bad = True
            result.errors.append(Problem(number, BY_NAME[name].label, str(error)))
    if not bad and not row.get("upn") and not row.get("mis_id"):
        bad = True
        result.errors.append(
            Problem(
                number, "UPN", "Each pupil needs a UPN or an MIS id, so they can be found again."
            )
        )
    return None if bad else row


def check_school_urn(
    number: int, values: list[str], school: School, result: MisImportResult
) -> None:
    """A row whose school URN is not this school's: another school's export (TEN-4)."""
    if result.school_urn_column is None or not school.urn:
        return
    index, title = result.school_urn_column
    urn = values[index].strip() if index < len(values) else ""
    if urn and urn != school.urn:
        result.errors.append(
            Problem(
                number,
                title,
                f"This row is from the school with URN {urn}, not {school.name} (URN "
                f"{school.urn}): is this another school's export?",
            )
        )
