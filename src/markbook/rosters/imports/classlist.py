"""The class-list CSV upload (ROS-1, ROS-2, ROS-3): class, first name, last name,
optional username (and optional year group).

Every row is checked before anything is written; every problem is reported with its
row number (the header is row 1, as a spreadsheet shows it) and column name; the
file is then written in one transaction, or not at all. Classes missing in the
current academic year are created; pupils are matched by username (or, without
one, by their exact name) or created, without any password hash (ACC-2).
Pages and the JSON API both call `classlist_import`.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.privacy.suppression import NOT_RECREATED, Suppressed
from markbook.rosters import services
from markbook.rosters.imports.common import (
    Problem,
    csv_records,
    decode_csv_bytes,
    formula_warning,
)
from markbook.rosters.models import YEAR_GROUPS, Enrolment, Pupil, TeachingClass
from markbook.schools import years
from markbook.schools.models import School

COLUMNS = {
    "class": "class",
    "first_name": "first name",
    "last_name": "last name",
    "username": "username",
    "year_group": "year group",
}
REQUIRED = ("class", "first_name", "last_name")
# Header spellings accepted for each column, compared without case, spaces or punctuation.
ALIASES = {
    "class": {"class", "classname", "teachingclass", "group", "set", "classcode", "classgroup"},
    "first_name": {
        "firstname",
        "forename",
        "forenames",
        "givenname",
        "first",
        "legalforename",
        "preferredforename",
    },
    "last_name": {"lastname", "surname", "familyname", "last", "legalsurname", "preferredsurname"},
    "username": {"username", "user", "login", "loginname", "userid"},
    "year_group": {"yeargroup", "year", "ncyear", "currentncyear", "yeargrp"},
}


def _limit(max_length: int | None) -> int:
    # Every column of the file is stored in a CharField declared with a max_length.
    assert max_length is not None
    return max_length


MAX_LENGTH = {
    "class": _limit(TeachingClass._meta.get_field("name").max_length),
    "first_name": _limit(Pupil._meta.get_field("first_name").max_length),
    "last_name": _limit(Pupil._meta.get_field("last_name").max_length),
    "username": _limit(Pupil._meta.get_field("username").max_length),
    "year_group": 9,
}
_YEAR_VALUES = {code.upper() for code, _ in YEAR_GROUPS}


@dataclass
class ImportResult:
    filename: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # stored as given (formulas)
    rows: int = 0
    classes_created: int = 0
    pupils_created: int = 0
    pupils_matched: int = 0
    enrolments_added: int = 0
    # Rows of pupils erased at the school's request, not created again (DSR-4).
    suppressed: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Row:
    number: int
    class_name: str
    first_name: str
    last_name: str
    username: str
    year_group: str


def _key(header: str) -> str:
    return re.sub(r"[^a-z]", "", header.lower())


def _decode(data: bytes, result: ImportResult) -> str | None:
    """UTF-8 text (a BOM is tolerated), or None with a problem saying how to fix it."""
    return decode_csv_bytes(
        data, result.problems, too_big_advice="Split the class list into smaller files."
    )


def _records(text: str, result: ImportResult) -> list[tuple[int, list[str]]] | None:
    """(row number, values) for each record; None if the CSV itself is malformed."""
    return csv_records(text, result.problems)


def _header(values: list[str], result: ImportResult) -> dict[str, int] | None:
    positions: dict[str, int] = {}
    for index, raw in enumerate(values):
        key = _key(raw)
        column = next((name for name, names in ALIASES.items() if key in names), None)
        if column is None:
            if raw.strip():
                result.ignored_columns.append(raw.strip())
            continue
        if column in positions:
            result.problems.append(
                Problem(
                    1, raw.strip(), f"Two columns mean '{COLUMNS[column]}'; keep only one of them."
                )
            )
            continue
        positions[column] = index
    missing = [COLUMNS[c] for c in REQUIRED if c not in positions]
    if missing:
        found = ", ".join(repr(v.strip()) for v in values if v.strip()) or "nothing"
        result.problems.append(
            Problem(
                1,
                ", ".join(missing),
                f"The header row must name the columns class, first name and last name "
                f"(username and year group are optional); missing: {', '.join(missing)}. "
                f"Found: {found}.",
            )
        )
        return None
    return positions if not result.problems else None


def _parse_rows(
    records: list[tuple[int, list[str]]],
    positions: dict[str, int],
    width: int,
    result: ImportResult,
) -> list[_Row]:
    rows = []
    for number, values in records:
        if not any(v.strip() for v in values):
            continue  # blank lines are harmless
        result.rows += 1
        if len(values) < width or any(v.strip() for v in values[width:]):
            result.problems.append(
                Problem(
                    number,
                    "",
                    f"Row {number} has {len(values)} values but the header has {width} columns.",
                )
            )
            continue
        cells = {name: values[i].strip() for name, i in positions.items()}
        bad = False
        for name, value in cells.items():
            if warning := formula_warning(value):
                result.warnings.append(Problem(number, COLUMNS[name], warning))
        for name, value in cells.items():
            if len(value) > MAX_LENGTH[name]:
                bad = True
                result.problems.append(
                    Problem(
                        number,
                        COLUMNS[name],
                        f"Too long: {len(value)} characters, at most {MAX_LENGTH[name]}.",
                    )
                )
        for name in REQUIRED:
            if not cells[name]:
                bad = True
                result.problems.append(Problem(number, COLUMNS[name], "This must not be blank."))
        username = cells.get("username", "").lower()
        if username and not services.USERNAME_PATTERN.match(username):
            bad = True
            result.problems.append(
                Problem(
                    number,
                    "username",
                    f"{cells['username']!r} is not a valid username: use letters, digits, "
                    "'.', '-' or '_'.",
                )
            )
        year = cells.get("year_group", "").upper().removeprefix("YEAR").strip()
        if year and year not in _YEAR_VALUES:
            bad = True
            result.problems.append(
                Problem(
                    number,
                    "year group",
                    f"{cells['year_group']!r} is not a year group (N1, N2, R, 1 to 13).",
                )
            )
        if not bad:
            rows.append(
                _Row(
                    number,
                    cells["class"],
                    cells["first_name"],
                    cells["last_name"],
                    username,
                    year,
                )
            )
    return rows


def _name_key(first: str, last: str) -> tuple[str, str]:
    return (first.casefold(), last.casefold())


class _Plan:
    """What the file will do, worked out (and checked against the school) before writing."""

    def __init__(self) -> None:
        self.classes: dict[str, TeachingClass | None] = {}  # casefolded name -> existing or None
        self.class_names: dict[str, str] = {}
        self.class_years: dict[str, set[str]] = {}
        self.pupils: dict[object, Pupil | None] = {}  # pupil key -> existing or None
        self.new_pupils: dict[object, _Row] = {}
        self.enrol: list[tuple[str, object]] = []


def _year_for(row: _Row, teaching_class: TeachingClass | None) -> str:
    if row.year_group:
        return row.year_group
    if teaching_class is not None and teaching_class.year_group:
        return teaching_class.year_group
    match = re.match(r"^(?:Y(?:ear)?\s*)?(1[0-3]|[1-9])(?!\d)", row.class_name, re.IGNORECASE)
    return match[1] if match else ""


def _plan(
    rows: list[_Row], academic_year: str, result: ImportResult, *, restore_erased: bool = False
) -> _Plan:
    plan = _Plan()
    erased = None if restore_erased else Suppressed()
    existing_classes = {
        c.name.casefold(): c
        for c in TeachingClass.objects.filter(academic_year__name=academic_year).select_related(
            "academic_year"
        )
    }
    # One query for the school's pupils: a school has hundreds to a few thousand.
    by_username: dict[str, Pupil] = {}
    by_name: dict[tuple[str, str], list[Pupil]] = {}
    for known in Pupil.objects.only(
        "id", "school_id", "username", "first_name", "last_name", "year_group"
    ):
        by_username[known.username.lower()] = known
        by_name.setdefault(_name_key(known.first_name, known.last_name), []).append(known)
    seen_username: dict[str, _Row] = {}
    seen_pair: dict[tuple[object, str], int] = {}
    for row in rows:
        class_key = row.class_name.casefold()
        if class_key not in plan.classes:
            plan.classes[class_key] = existing_classes.get(class_key)
            plan.class_names[class_key] = row.class_name
        teaching_class = plan.classes[class_key]
        name_key = _name_key(row.first_name, row.last_name)
        if row.username:
            key: object = row.username
            earlier = seen_username.get(row.username)
            if earlier is not None and _name_key(earlier.first_name, earlier.last_name) != name_key:
                result.problems.append(
                    Problem(
                        row.number,
                        "username",
                        f"The username {row.username!r} is also on row {earlier.number} for "
                        f"{earlier.first_name} {earlier.last_name}; usernames must be unique.",
                    )
                )
                continue
            seen_username.setdefault(row.username, row)
            pupil = by_username.get(row.username)
            if pupil is not None and _name_key(pupil.first_name, pupil.last_name) != name_key:
                result.problems.append(
                    Problem(
                        row.number,
                        "username",
                        f"The username {row.username!r} already belongs to another pupil "
                        f"({pupil.first_name} {pupil.last_name}).",
                    )
                )
                continue
        else:
            key = name_key
            matches = by_name.get(name_key, [])
            if len(matches) > 1:
                result.problems.append(
                    Problem(
                        row.number,
                        "username",
                        f"{len(matches)} pupils are called {row.first_name} {row.last_name}; "
                        "add a username to say which one.",
                    )
                )
                continue
            pupil = matches[0] if matches else None
        if (key, class_key) in seen_pair:
            result.problems.append(
                Problem(
                    row.number,
                    "class",
                    f"This pupil is already listed in {row.class_name} on row "
                    f"{seen_pair[(key, class_key)]}.",
                )
            )
            continue
        seen_pair[(key, class_key)] = row.number
        if (
            pupil is None
            and erased
            and erased.named(username=row.username, name=f"{row.first_name} {row.last_name}")
        ):
            result.warnings.append(Problem(row.number, "", NOT_RECREATED))
            result.suppressed.append(row.number)
            continue
        if pupil is None and key not in plan.new_pupils:
            year = _year_for(row, teaching_class)
            if not year:
                result.problems.append(
                    Problem(
                        row.number,
                        "year group",
                        "A new pupil needs a year group: add a 'year group' column, or name the "
                        "class with its year first (like 7A).",
                    )
                )
                continue
            row.year_group = year
            plan.new_pupils[key] = row
        plan.pupils.setdefault(key, pupil)
        if row.year_group or pupil is None:
            plan.class_years.setdefault(class_key, set()).add(
                row.year_group or getattr(pupil, "year_group", "")
            )
        plan.enrol.append((class_key, key))
    return plan


def _write(
    *, actor: User | None, school: School, plan: _Plan, academic_year: str, result: ImportResult
) -> None:
    classes: dict[str, TeachingClass] = {}
    for class_key, existing in plan.classes.items():
        if existing is None:
            years = plan.class_years.get(class_key, set()) - {""}
            existing = services.class_create(
                actor=actor,
                school=school,
                name=plan.class_names[class_key],
                year_group=years.pop() if len(years) == 1 else "",
                academic_year=academic_year,
            )
            result.classes_created += 1
        classes[class_key] = existing
    pupils: dict[object, Pupil] = {}
    taken: set[str] = {r.username for r in plan.new_pupils.values() if r.username}
    for key, pupil in plan.pupils.items():
        if pupil is None:
            row = plan.new_pupils[key]
            username = row.username or services.pupil_username_generate(
                first_name=row.first_name, last_name=row.last_name, taken=taken
            )
            taken.add(username)
            try:
                pupil = services.pupil_create(
                    actor=actor,
                    school=school,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    year_group=row.year_group,
                    username=username,
                )
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        result.problems.append(Problem(row.number, name.replace("_", " "), message))
                continue
            result.pupils_created += 1
        else:
            result.pupils_matched += 1
        pupils[key] = pupil
    if result.problems:
        return
    existing_pairs = set(
        Enrolment.objects.filter(
            teaching_class__in=[c for c in classes.values()], pupil__in=list(pupils.values())
        ).values_list("teaching_class_id", "pupil_id")
    )
    for class_key, key in plan.enrol:
        teaching_class, pupil = classes[class_key], pupils[key]
        if (teaching_class.pk, pupil.pk) not in existing_pairs:
            services.enrolment_add(actor=actor, teaching_class=teaching_class, pupil=pupil)
            result.enrolments_added += 1


class _RollBack(Exception):
    pass


def classlist_import(
    *,
    actor: User | None,
    school: School,
    data: bytes,
    filename: str,
    academic_year: str | None = None,
    restore_erased: bool = False,
) -> ImportResult:
    """Import a class list, writing all of it or nothing (ROS-1, ROS-2, ROS-3).

    A pupil erased at the school's request (by username or full name) is not created
    again: a warning names the row (DSR-4), unless `restore_erased`.

    Runs inside the school's scope. `result.problems` lists every problem by row and
    column; when it is not empty nothing was written. Re-importing the same file
    changes nothing."""
    result = ImportResult(filename=filename)
    academic_year = academic_year or years.academic_year_current(school).name
    text = _decode(data, result)
    if text is None:
        return result
    records = _records(text, result)
    if records is None:
        return result
    if not records:
        result.problems.append(Problem(None, "", "The file is empty."))
        return result
    (_, header), body = records[0], records[1:]
    positions = _header(header, result)
    if positions is None:
        return result
    rows = _parse_rows(body, positions, len(header), result)
    if not rows and not result.problems:
        result.problems.append(Problem(None, "", "The file has a header row but no pupils."))
    plan = _plan(rows, academic_year, result, restore_erased=restore_erased)
    if result.problems:
        result.problems.sort(key=lambda p: (p.row or 0, p.column))
        return result
    try:
        with transaction.atomic():
            _write(
                actor=actor, school=school, plan=plan, academic_year=academic_year, result=result
            )
            if result.problems:
                raise _RollBack
            audit.record(
                actor=actor,
                school=school,
                action="rosters.classlist.imported",
                data={
                    "filename": filename[:200],
                    "rows": result.rows,
                    "classes_created": result.classes_created,
                    "pupils_created": result.pupils_created,
                    "enrolments_added": result.enrolments_added,
                },
            )
    except _RollBack:
        result.classes_created = result.pupils_created = result.enrolments_added = 0
        result.pupils_matched = 0
    return result
