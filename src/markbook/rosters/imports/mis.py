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
"""

import io
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from difflib import get_close_matches
from typing import Any

from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core import keys
from markbook.core.fields import Ciphertext, EncryptedTextField
from markbook.core.rows import insert_rows, unusable_passwords, update_rows
from markbook.core.validators import uln_problem, upn_problem
from markbook.rosters import services
from markbook.rosters.imports import common
from markbook.rosters.imports.common import Problem
from markbook.rosters.models import YEAR_GROUPS, Pupil
from markbook.rosters.services import upn_digest
from markbook.schools.models import School

REQUIRED, RECOMMENDED, OPTIONAL = "required", "recommended", "optional"
IGNORE = "ignore"


@dataclass(frozen=True)
class Field:
    name: str  # the Pupil field
    label: str  # how reports name it
    level: str  # REQUIRED, RECOMMENDED or OPTIONAL
    aliases: tuple[str, ...]  # header keys (common.header_key), the preferred first


# Header spellings of SIMS, Arbor, Bromcom, Wonde and Xporter exports (domain.md,
# "Rosters and MIS exports"). When two columns mean the same field, the one whose
# spelling comes first here is used.
FIELDS = (
    Field(
        "first_name",
        "forename",
        REQUIRED,
        ("forename", "firstname", "legalforename", "givenname", "forenames", "preferredforename"),
    ),
    Field(
        "last_name",
        "surname",
        REQUIRED,
        ("surname", "lastname", "legalsurname", "familyname", "preferredsurname"),
    ),
    Field("pseudonym", "pseudonym", OPTIONAL, ("pseudonym", "alias")),
    Field("upn", "UPN", RECOMMENDED, ("upn", "uniquepupilnumber", "pupilupn")),
    Field(
        "mis_id",
        "MIS id",
        RECOMMENDED,
        ("misid", "admissionno", "admissionnumber", "adno", "pupilid", "personid", "externalid"),
    ),
    Field(
        "year_group",
        "year group",
        REQUIRED,
        ("ncyear", "yeargroup", "currentncyear", "nationalcurriculumyear", "year", "yeargrp"),
    ),
    Field(
        "registration_group",
        "registration group",
        OPTIONAL,
        ("reggroup", "registrationgroup", "regform", "formgroup", "tutorgroup", "form"),
    ),
    Field("sex", "sex", RECOMMENDED, ("sex", "gender", "legalsex")),
    Field("date_of_birth", "date of birth", RECOMMENDED, ("dateofbirth", "dob", "birthdate")),
    Field(
        "fsm",
        "FSM",
        OPTIONAL,
        ("fsm", "fsmeligible", "freeschoolmeals", "fsmeligibility", "eligibleforfsm"),
    ),
    Field(
        "disadvantaged",
        "disadvantaged",
        OPTIONAL,
        ("disadvantaged", "pupilpremium", "premiumpupilindicator", "pupilpremiumindicator", "pp"),
    ),
    Field("sen_provision", "SEN provision", OPTIONAL, ("senprovision", "senstatus", "sen")),
    Field("sen_need", "SEN primary need", OPTIONAL, ("senneed", "senprimaryneed", "primaryneed")),
    Field("eal", "EAL", OPTIONAL, ("eal", "englishasadditionallanguage")),
    Field(
        "gifted_talented",
        "gifted and talented",
        OPTIONAL,
        ("giftedandtalented", "giftedtalented", "giftedandtalentedstatus", "gandt", "gt"),
    ),
    Field("ethnicity", "ethnicity", OPTIONAL, ("ethnicity", "ethnicitycode", "ethniccode")),
    Field(
        "ks2_reading",
        "KS2 reading",
        OPTIONAL,
        ("ks2readingscaledscore", "ks2reading", "ks2readingscore", "ks2read"),
    ),
    Field(
        "ks2_maths",
        "KS2 maths",
        OPTIONAL,
        ("ks2mathsscaledscore", "ks2maths", "ks2mathematicsscaledscore", "ks2mathsscore"),
    ),
    Field("uln", "ULN", OPTIONAL, ("uln", "uniquelearnernumber", "learnernumber")),
)
BY_NAME = {f.name: f for f in FIELDS}
NAMES = ("first_name", "last_name")
KEYS = ("upn", "mis_id")
_ALIAS = {alias: f for f in FIELDS for alias in f.aliases}
# A column naming the school the export is from: checked against the school, never stored.
SCHOOL_URN_KEYS = frozenset({"urn", "schoolurn", "establishmenturn"})
_MAX = {
    f.name: Pupil._meta.get_field(f.name).max_length
    for f in FIELDS
    if getattr(Pupil._meta.get_field(f.name), "max_length", None)
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
PROGRESS_EVERY = 100  # rows between calls of mis_import's `progress`
_ADVICE_SPLIT = "Export fewer pupils at a time (for example one year group per file)."


@dataclass
class Change:
    label: str
    old: Any = None
    new: Any = None
    sensitive: bool = False  # shown and audited as "changed" only (SEC-2)


@dataclass
class Planned:
    """What one row will do: add a pupil, change one, or leave one alone."""

    row: int
    name: str  # for the preview: a pupil's display name, or the file's name for a new one
    pupil: Any = None  # the stored pupil (_Current), a Pupil once it is written
    values: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Change] = field(default_factory=dict)
    upn_hash: str = ""  # the keyed hash of the row's UPN, computed once (ACC-3)


@dataclass
class MisImportResult:
    filename: str
    full: bool = False
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # file header -> field label
    unknown_columns: list[str] = field(default_factory=list)
    suggestions: dict[str, str] = field(default_factory=dict)  # unknown header -> field or ignore
    not_kept_columns: list[str] = field(default_factory=list)  # dropped by ROS-5 / ACC-3
    added: list[Planned] = field(default_factory=list)
    changed: list[Planned] = field(default_factory=list)
    unchanged: list[Planned] = field(default_factory=list)
    leavers: list[Planned] = field(default_factory=list)
    applied: bool = False
    school_urn_column: tuple[int, str] | None = None  # (index, header) of a school URN column

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def problems(self) -> list[Problem]:
        return self.errors


def generate_pseudonym(taken: set[str]) -> str:
    """A pseudonym like "Pupil K7QX2M", unique among `taken` (ACC-3)."""
    alphabet = "ABCDEFGHJKLMNPQRTUVWXYZ2346789"
    while True:
        candidate = "Pupil " + "".join(secrets.choice(alphabet) for _ in range(6))
        if candidate.lower() not in taken:
            taken.add(candidate.lower())
            return candidate


# --- Reading the file ---------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_records(data: bytes, problems: list[Problem]) -> list[tuple[int, list[str]]] | None:
    from openpyxl import load_workbook  # only XLSX uploads need it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        problems.append(
            Problem(
                None,
                "",
                "This Excel file cannot be read: it may be cut short, password protected or an "
                "old .xls workbook. Save it again as .xlsx, or as CSV UTF-8.",
            )
        )
        return None
    try:
        sheet = book.worksheets[0]
        records = [
            (number, [_cell_text(v).strip() for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()
    # A spreadsheet has no "short" rows: empty trailing cells are simply not stored.
    width = max((len(values) for _, values in records), default=0)
    return [(number, values + [""] * (width - len(values))) for number, values in records]


def _read(
    data: bytes, filename: str, result: MisImportResult
) -> list[tuple[int, list[str]]] | None:
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
        records = _xlsx_records(data, result.errors)
    else:
        text = common.decode(data, result.errors)
        records = None if text is None else common.csv_records(text, result.errors)
    if records is not None and not any(any(v.strip() for v in r) for _, r in records):
        result.errors.append(Problem(None, "", "The file is empty."))
        return None
    return records


# --- Columns --------------------------------------------------------------------


def _columns(
    header: list[str], school: School, mapping: dict[str, str], result: MisImportResult
) -> dict[str, int] | None:
    """Field name -> column index, after mapping, aliases and dropping unkept fields."""
    mapping = {k.strip(): v for k, v in mapping.items()}
    for target in set(mapping.values()) - {IGNORE} - set(BY_NAME):
        result.errors.append(
            Problem(None, "", f"{target!r} is not a pupil field to map a column to.")
        )
    chosen: dict[str, tuple[int, int]] = {}  # field -> (rank, index)
    for index, raw in enumerate(header):
        title = raw.strip()
        if not title:
            continue
        if title in mapping:
            if mapping[title] == IGNORE or mapping[title] not in BY_NAME:
                continue
            spec, rank = BY_NAME[mapping[title]], -1  # the user's choice wins
        else:
            key = common.header_key(title)
            if key in SCHOOL_URN_KEYS:
                result.school_urn_column = (index, title)
                continue
            spec = _ALIAS.get(key)  # type: ignore[assignment]
            if spec is None:
                result.unknown_columns.append(title)
                guess = get_close_matches(key, list(_ALIAS), n=1, cutoff=0.75)
                result.suggestions[title] = _ALIAS[guess[0]].name if guess else IGNORE
                result.warnings.append(
                    Problem(
                        1,
                        title,
                        "Markbook does not know this column; it is ignored unless you map it "
                        "to a pupil field.",
                    )
                )
                continue
            rank = spec.aliases.index(key)
        pseudonyms = school.pseudonymise_pupils and spec.name in NAMES
        if pseudonyms or not school.keeps(spec.name):
            # Dropped at the door (ROS-5, ACC-3): its values are never read.
            result.not_kept_columns.append(title)
            continue
        if spec.name in chosen:
            other_rank, other = chosen[spec.name]
            keep, drop = (index, other) if rank < other_rank else (other, index)
            result.warnings.append(
                Problem(
                    1,
                    header[drop].strip(),
                    f"Two columns mean {spec.label}; using {header[keep].strip()!r}.",
                )
            )
            chosen[spec.name] = (min(rank, other_rank), keep)
            continue
        chosen[spec.name] = (rank, index)
    positions = {name: index for name, (_, index) in chosen.items()}
    result.columns = {header[i].strip(): BY_NAME[n].label for n, i in positions.items()}
    needed = [f for f in FIELDS if f.level == REQUIRED and school.keeps(f.name)]
    if school.pseudonymise_pupils:
        needed = [f for f in needed if f.name not in NAMES]
    elif "pseudonym" in positions:
        needed = [f for f in needed if f.name not in NAMES or f.name in positions]
    missing = [f.label for f in needed if f.name not in positions]
    if missing:
        found = ", ".join(repr(v.strip()) for v in header if v.strip()) or "nothing"
        result.errors.append(
            Problem(1, "", f"The file has no column for {', '.join(missing)}. Found: {found}.")
        )
    if not set(KEYS) & set(positions):
        result.errors.append(
            Problem(
                1,
                "",
                "The file needs a UPN or an MIS id column (like 'UPN' or 'Admission No'), "
                "so that pupils are found again by the next import.",
            )
        )
    for spec in FIELDS:
        if spec.level == RECOMMENDED and spec.name not in positions and school.keeps(spec.name):
            result.warnings.append(Problem(1, "", f"No {spec.label} column: it is recommended."))
    return None if result.errors else positions


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


def _parse_row(
    number: int,
    values: list[str],
    width: int,
    positions: dict[str, int],
    result: MisImportResult,
    memo: Memo,
) -> dict[str, Any] | None:
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


# --- Matching and planning ---------------------------------------------------------


def _check_school(number: int, values: list[str], school: School, result: MisImportResult) -> None:
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


def _label(pupil: Pupil, school: School) -> str:
    if school.pseudonymise_pupils:
        return pupil.pseudonym or pupil.username
    return f"{pupil.first_name} {pupil.last_name}".strip() or pupil.pseudonym or pupil.username


def _plan(
    rows: list[tuple[int, dict[str, Any]]], school: School, full: bool, result: MisImportResult
) -> None:
    read = set(rows[0][1]) if rows else set()
    pupils = _current_pupils(school, read)
    by_upn: dict[str, Pupil] = {}
    by_mis: dict[str, Pupil] = {}
    for pupil in pupils:
        digest = pupil.upn_hash or (upn_digest(pupil.upn) if pupil.upn else "")
        if digest:
            by_upn[digest] = pupil
        if pupil.mis_id:
            by_mis.setdefault(pupil.mis_id, pupil)
    seen_upn: dict[str, int] = {}
    seen_mis: dict[str, int] = {}
    matched: dict[int, int] = {}  # pupil id -> row
    for number, row in rows:
        digest = upn_digest(row["upn"]) if row.get("upn") else ""
        mis_id = row.get("mis_id") or ""
        bad = False
        for key, seen, column in ((digest, seen_upn, "UPN"), (mis_id, seen_mis, "MIS id")):
            if key and key in seen:
                bad = True
                result.errors.append(
                    Problem(number, column, f"The same {column} is also on row {seen[key]}.")
                )
            elif key:
                seen[key] = number
        if bad:
            continue
        by_key, by_id = by_upn.get(digest) if digest else None, by_mis.get(mis_id)
        if by_key is not None and by_id is not None and by_key.pk != by_id.pk:
            result.errors.append(
                Problem(
                    number,
                    "UPN",
                    f"This UPN belongs to another pupil of the school ({_label(by_key, school)}) "
                    f"than the MIS id {mis_id} ({_label(by_id, school)}).",
                )
            )
            continue
        pupil = by_key or by_id
        if pupil is not None:
            if pupil.pk in matched:
                result.errors.append(
                    Problem(
                        number,
                        "UPN" if by_key else "MIS id",
                        f"This is the same pupil as row {matched[pupil.pk]}.",
                    )
                )
                continue
            matched[pupil.pk] = number
            result_list, planned = _diff(number, row, pupil, school, full, digest)
            result_list_of = {"changed": result.changed, "unchanged": result.unchanged}
            result_list_of[result_list].append(planned)
        else:
            name = row.get("pseudonym") or f"{row.get('first_name', '')} {row.get('last_name', '')}"
            result.added.append(
                Planned(
                    number, name.strip() or f"new pupil (row {number})", values=row, upn_hash=digest
                )
            )
    on_roll = sum(pupil.status != Pupil.Status.LEFT for pupil in pupils)
    if full and rows and on_roll and not matched:
        result.errors.append(
            Problem(
                None,
                "",
                f"None of the file's pupils is one of the school's {on_roll} pupils on roll, "
                f"so a full import would mark all {on_roll} as left: is this another school's "
                "export? To add these pupils without marking anyone as left, untick "
                "'every pupil on roll'.",
            )
        )
    if full and not result.errors:
        today = timezone.localdate()
        for pupil in pupils:
            if pupil.pk not in matched and pupil.status != Pupil.Status.LEFT:
                planned = Planned(0, _label(pupil, school), pupil)
                planned.values = {"status": Pupil.Status.LEFT, "left_on": today}
                planned.changes = {
                    "status": Change("status", pupil.status, Pupil.Status.LEFT),
                    "left_on": Change("left on", None, today),
                }
                result.leavers.append(planned)


class _Current(dict):
    """A pupil as stored, for comparing with a row: only the columns the import reads,
    without a model instance (a school's whole roll is compared on every import)."""

    __getattr__ = dict.__getitem__

    @property
    def pk(self) -> int:
        return self["id"]


_ALWAYS_LOADED = (
    "id",
    "school_id",
    "user_id",
    "first_name",
    "last_name",
    "pseudonym",
    "username",
    "upn",
    "upn_hash",
    "mis_id",
    "status",
)


def _current_pupils(school: School, read: set[str]) -> list[_Current]:
    """Every pupil of the school in scope, with the columns the file has, decrypted
    (SEC-2: each field's key looked up once). One query."""
    names = [*_ALWAYS_LOADED, *sorted(read - set(_ALWAYS_LOADED))]
    pupils = [
        _Current(zip(names, values, strict=True)) for values in Pupil.objects.values_list(*names)
    ]
    for name in names:
        model_field = Pupil._meta.get_field(name)
        if isinstance(model_field, EncryptedTextField):
            decrypt = keys.decrypter(school.pk, model_field.context)
            for pupil in pupils:
                if isinstance(pupil[name], Ciphertext):
                    pupil[name] = model_field.decode(decrypt(pupil[name]))
    return pupils


def _instance(current: _Current) -> Pupil:
    """The model instance a planned write needs (update_rows, the audit target)."""
    # from_db takes the values in the model's field order.
    fields = [f for f in Pupil._meta.concrete_fields if f.attname in current]
    return Pupil.from_db(None, [f.attname for f in fields], [current[f.attname] for f in fields])


def _diff(
    number: int, row: dict[str, Any], pupil: Any, school: School, full: bool, digest: str = ""
) -> tuple[str, Planned]:
    planned = Planned(number, _label(pupil, school), pupil)
    for name, new in row.items():
        if name == "upn":
            if not new:
                continue  # a blank key never clears the one on record
            digest = digest or upn_digest(new)
            stored = None if school.pseudonymise_pupils else new
            if pupil.upn_hash == digest and pupil.upn == stored:
                continue
            # Also when only the hash is missing, or a clear UPN must go (pseudonyms turned
            # on later): written, but not reported as a change of UPN.
            planned.values |= {"upn_hash": digest, "upn": stored}
            old_digest = pupil.upn_hash or (upn_digest(pupil.upn) if pupil.upn else "")
            if old_digest != digest:
                planned.changes["upn"] = (
                    Change("UPN", sensitive=True)
                    if school.pseudonymise_pupils
                    else Change("UPN", pupil.upn, new)
                )
            continue
        if name == "mis_id" and not new:
            continue
        old = getattr(pupil, name)
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        planned.values[name] = new
        sensitive = name in services.SENSITIVE_FIELDS
        planned.changes[name] = Change(BY_NAME[name].label, old, new, sensitive)
    if full and pupil.status == Pupil.Status.LEFT:
        planned.values |= {"status": Pupil.Status.ON_ROLL, "left_on": None}
        planned.changes["status"] = Change("status", pupil.status, Pupil.Status.ON_ROLL)
    return ("changed" if planned.changes else "unchanged"), planned


# --- Writing -------------------------------------------------------------------------


def _audit_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _bulk_update(pupils: list[Pupil], names: list[str]) -> None:
    """bulk_update's writes, one prepared UPDATE per pupil; encrypted fields encrypted (SEC-2)."""
    update_rows(Pupil, pupils, names)


def _write(*, actor: User | None, school: School, result: MisImportResult) -> None:
    now = timezone.now()
    existing = list(Pupil.objects.values_list("username", "pseudonym"))
    taken = {u.lower() for u, _ in existing}
    pseudonyms = {p.lower() for _, p in existing if p}
    new_pupils: list[dict[str, Any]] = []
    for planned in result.added:
        values = dict(planned.values)
        upn = values.pop("upn", None)
        if upn:
            values["upn_hash"] = planned.upn_hash or upn_digest(upn)
            values["upn"] = None if school.pseudonymise_pupils else upn
        if school.pseudonymise_pupils and not values.get("pseudonym"):
            values["pseudonym"] = generate_pseudonym(pseudonyms)
        base_first = values.get("first_name") or values.get("pseudonym", "")
        username = services.username_base(base_first, values.get("last_name", ""))
        n = 2
        candidate = username
        while candidate in taken:
            candidate, n = f"{username}{n}", n + 1
        taken.add(candidate)
        values["username"] = candidate
        values["school_id"] = school.pk
        new_pupils.append(values)
    # Users, memberships and pupils as bulk_create would write them, without a model
    # instance per row (insert_rows); no password hash is computed (ACC-2).
    passwords = unusable_passwords(len(new_pupils))
    user_ids = insert_rows(
        User,
        [
            {
                "username": services._pupil_user_handle(school.pk, values["username"]),
                "first_name": values.get("first_name", "")[:150],
                "last_name": values.get("last_name", "")[:150],
                "password": password,
            }
            for values, password in zip(new_pupils, passwords, strict=True)
        ],
        now=now,
    )
    insert_rows(
        Membership,
        [
            {"school_id": school.pk, "user_id": user_id, "role": Membership.Role.PUPIL}
            for user_id in user_ids
        ],
        now=now,
    )
    for values, user_id in zip(new_pupils, user_ids, strict=True):
        values["user_id"] = user_id
    added_ids = insert_rows(Pupil, new_pupils, now=now)
    changed = [p for p in (*result.changed, *result.unchanged, *result.leavers) if p.values]
    names: set[str] = set()
    renamed: list[User] = []
    for planned in changed:
        assert planned.pupil is not None
        pupil = planned.pupil = _instance(planned.pupil)  # type: ignore[arg-type]
        for name, value in planned.values.items():
            setattr(pupil, name, value)
        pupil.updated_at = now
        names |= set(planned.values)
        if {"first_name", "last_name"} & set(planned.values) and pupil.user_id:
            user = User(pk=pupil.user_id, first_name=pupil.first_name[:150])
            user.last_name = pupil.last_name[:150]
            renamed.append(user)
    if changed:
        pupils = [p.pupil for p in changed if p.pupil is not None]
        _bulk_update(pupils, [*sorted(names), "updated_at"])
    if renamed:
        update_rows(User, renamed, ["first_name", "last_name"])
    # One event per changed pupil, as pupil_update writes, appended to the chain at once.
    audit.record_many(
        actor=actor,
        school=school,
        events=[
            (
                "rosters.pupil.changed",
                planned.pupil,
                {
                    name: {"changed": True}
                    if change.sensitive
                    else {"old": _audit_value(change.old), "new": _audit_value(change.new)}
                    for name, change in planned.changes.items()
                },
            )
            for planned in changed
            if planned.changes
        ],
    )
    audit.record(
        actor=actor,
        school=school,
        action="rosters.mis.imported",
        data={
            "filename": result.filename[:200],
            "rows": result.rows,
            "full": result.full,
            "added": len(result.added),
            "added_ids": added_ids,
            "changed": len([p for p in result.changed if p.changes]),
            "unchanged": len(result.unchanged),
            "left": len(result.leavers),
            "columns_not_kept": result.not_kept_columns,
            "columns_unknown": result.unknown_columns,
        },
    )


def mis_import(
    *,
    actor: User | None,
    school: School,
    data: bytes,
    filename: str,
    mapping: dict[str, str] | None = None,
    full: bool = False,
    confirm: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> MisImportResult:
    """Check an MIS export and preview it; with `confirm`, write all of it or nothing.

    Runs inside the school's scope (TEN-4). `result.errors` and `result.warnings`
    name each problem by row and column; anything in `errors` stops the import.
    Without `confirm` nothing is written (ROS-2, ROS-3, ROS-5, ACC-3). `progress(done,
    total)` is told of the rows checked every PROGRESS_EVERY rows, and (total, total)
    once all is written."""
    result = MisImportResult(filename=filename, full=full)
    records = _read(data, filename, result)
    if records is None:
        return result
    records = [(n, v) for n, v in records if any(c.strip() for c in v)] or records
    (_, header), body = records[0], records[1:]
    positions = _columns(header, school, mapping or {}, result)
    if positions is None:
        return result
    rows = []
    memo: Memo = {}
    for number, values in body:
        result.rows += 1
        _check_school(number, values, school, result)
        parsed = _parse_row(number, values, len(header), positions, result, memo)
        if parsed is not None:
            rows.append((number, parsed))
        if progress is not None and result.rows % PROGRESS_EVERY == 0:
            progress(result.rows, len(body))
    if not result.rows:
        result.errors.append(Problem(None, "", "The file has a header row but no pupils."))
    _plan(rows, school, full, result)
    result.errors.sort(key=lambda p: (p.row or 0, p.column))
    result.warnings.sort(key=lambda p: (p.row or 0, p.column))
    if result.errors:
        result.added, result.changed, result.unchanged, result.leavers = [], [], [], []
        return result
    if confirm:
        with transaction.atomic():
            _write(actor=actor, school=school, result=result)
        result.applied = True
        if progress is not None:
            progress(result.rows, result.rows)
    return result
