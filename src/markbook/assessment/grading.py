"""From a mark to a grade through an assignment's boundaries (ASM-1, ASM-3).

One place for the rule, used by the results pages, the API and the markbook grid: a
score earns the highest grade whose lowest mark (`AssignmentBoundary.minimum_mark`) it
reaches; below every boundary, no grade. Boundaries are valid when each grade is on
the subject's scale, each mark lies in 0..max, and the marks rise strictly with the
grades' ranks (a better grade needs more marks).
"""

import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from markbook.assessment.models import Assignment
    from markbook.tracking.models import Grade


def grade_from_boundaries(
    boundaries: Iterable[tuple[Decimal, "Grade"]], score: Decimal | None
) -> "Grade | None":
    """The grade of the highest boundary `score` reaches, or None (no score, or below all)."""
    if score is None:
        return None
    best: tuple[Decimal, Grade] | None = None
    for minimum, grade in boundaries:
        if score >= minimum and (best is None or minimum > best[0]):
            best = (minimum, grade)
    return best[1] if best else None


def grade_for_mark(assignment: "Assignment", score: Decimal | None) -> "Grade | None":
    """The grade `score` earns on `assignment`, or None without boundaries or below them.

    Reads `assignment.boundaries.all()`: prefetch `boundaries__grade` for lists (the
    selectors do), so a page of marks costs no query per mark."""
    if score is None:
        return None
    return grade_from_boundaries(
        ((b.minimum_mark, b.grade) for b in assignment.boundaries.all()), score
    )


def check_boundaries(
    *, grades: Mapping[int, "Grade"], minimums: Mapping[int, Decimal], max_mark: Decimal
) -> None:
    """Refuse boundaries that are not a proper ladder: `minimums` maps grade id -> lowest
    mark; `grades` are the subject's scale's grades by id. Raises ValidationError on the
    field "boundaries" naming the first problem."""
    problems: list[str] = []
    for grade_id, minimum in minimums.items():
        grade = grades.get(grade_id)
        if grade is None:
            problems.append("A boundary names a grade that is not on the subject's scale.")
            continue
        if minimum < 0 or minimum > max_mark:
            problems.append(f"The lowest mark for {grade.label} must be from 0 to {max_mark}.")
    if problems:
        raise ValidationError({"boundaries": problems})
    ladder = sorted(((grades[g].rank, m, grades[g].label) for g, m in minimums.items()))
    for (_, low, low_label), (_, high, high_label) in itertools.pairwise(ladder):
        if high <= low:
            raise ValidationError(
                {
                    "boundaries": [
                        f"{high_label} needs more marks than {low_label} "
                        f"({high} is not more than {low})."
                    ]
                }
            )
