"""The OneRoster import's pupil values that other systems' files leave to it (ROS-4,
ROS-5): the year group of a pupil without grades, from their classes; birth dates and
sexes from demographics.csv, of the fields the school keeps. A mixin of
`import_._Import`, like guardians.GuardiansMixin and marks.MarksMixin."""

from collections import defaultdict
from typing import Any

from markbook.rosters.models import Pupil
from markbook.rosters.oneroster import spec
from markbook.rosters.oneroster.files import Row, numbers, year_group


class PeopleMixin:
    # Set by the reading and checking parts of the import (import_._Import).
    reader: Any
    school: Any
    tables: dict[str, list[Row]]
    pupils: dict[str, Row]
    classes: dict[str, Row]
    enrolments: list[Row]
    no_grades: list[Row]

    def _years(self) -> None:
        """The year groups of pupils whose grades cell is blank (optional in 1.2): the
        grades of the classes they are enrolled in, when those agree; else none (a new
        pupil has no year group, a known one keeps theirs). Both noted, naming the rows."""
        self.years: dict[str, str] = {
            ref: year_group(row["grades"]) for ref, row in self.pupils.items()
        }
        if not self.no_grades:
            return
        classes: dict[str, set[str]] = defaultdict(set)
        for row in self.enrolments:
            if row["role"] == "student" and row.status == "active":
                klass = self.classes[row["classSourcedId"]]
                classes[row["userSourcedId"]].add(year_group(klass["grades"]))
        derived, blank = [], []
        for row in self.no_grades:
            years = classes.get(row["sourcedId"], set())
            if len(years) == 1 and "" not in years:
                self.years[row["sourcedId"]] = next(iter(years))
                derived.append(row.number)
            else:
                blank.append(row.number)
        if derived:
            self.reader.note(
                "grades:derived",
                f"users.csv: {len(derived)} pupil(s) with no grades took the year group of "
                f"the classes they are enrolled in (rows {numbers(derived)}).",
            )
        if blank:
            self.reader.note(
                "grades:blank",
                f"users.csv: {len(blank)} pupil(s) with no grades, whose classes do not give "
                "one year group, were imported without one (a pupil already in Markbook "
                f"keeps theirs): rows {numbers(blank)}. Set it on the pupil's page.",
            )

    def _check_demographics(self) -> None:
        """Birth dates and sexes of the file's pupils (demographics.csv, by the user's
        sourcedId), of the fields the school keeps only: the others are not even read
        (ROS-5). Sex "unspecified" or "other" leaves the field blank (noted): Markbook
        keeps the census's M or F."""
        reader = self.reader
        self.demographics: dict[str, dict[str, Any]] = defaultdict(dict)
        kept = {c: f for c, f in spec.DEMOGRAPHIC_FIELDS.items() if self.school.keeps(f)}
        neither = 0
        for row in self.tables.get("demographics", []):
            if row["sourcedId"] not in self.pupils or row.status == "tobedeleted":
                continue  # staff, parents and other orgs' people; a deletion blanks nothing
            values = self.demographics[row["sourcedId"]]
            if "birthDate" in kept and (born := reader.date(row, "birthDate")):
                values["date_of_birth"] = born
            sex = reader.enum(row, "sex", spec.SEXES, required=False) if "sex" in kept else ""
            if sex in ("male", "female"):
                values["sex"] = Pupil.Sex.MALE if sex == "male" else Pupil.Sex.FEMALE
            elif sex:
                neither += 1
        if neither:
            reader.note(
                "sex",
                f"demographics.csv: {neither} pupil(s) with sex unspecified or other were "
                "left without one: Markbook keeps the school census's M or F.",
            )
