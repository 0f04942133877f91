"""The class consent list as CSV (CON-2), for a person's spreadsheet (SEC-1)."""

from markbook.consent.selectors import PupilState, Target
from markbook.core.spreadsheet import csv_for_people

HEADER = ("Pupil", "Year group", "For", "Answer", "Offline alternative")


def class_consent_csv(target: Target | None, rows: list[PupilState]) -> str:
    name = target.name if target is not None else ""
    alternative = target.offline_alternative if target is not None else ""
    return csv_for_people(
        HEADER,
        (
            (
                row.pupil.display_name,
                row.pupil.year_group,
                name,
                row.label,
                alternative if row.without_consent else "",
            )
            for row in rows
        ),
    )
