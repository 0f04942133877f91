"""The grade scales every school starts with, and the common bands they map onto
(ASM-4; grades from docs/domain.md, Assessment).

Bands are the school's to edit; these are the defaults. A numeric scale's grades are
thresholds (`minimum`): KS2's 100 is the expected standard and 110 a high score.
"""

from dataclasses import dataclass
from decimal import Decimal

from markbook.tracking.models import GradeScale

BANDS = (
    (1, "Well below expected"),
    (2, "Below expected"),
    (3, "Expected"),
    (4, "Above expected"),
    (5, "Well above expected"),
)


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    kind: str
    grades: tuple[tuple[str, int], ...]  # (label, band rank), lowest grade first
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    thresholds: tuple[Decimal, ...] = ()  # a numeric scale's grade minimums, in order

    @property
    def numeric(self) -> bool:
        return self.minimum is not None


def _fine(grade: str) -> tuple[str, ...]:
    return (f"{grade}-", grade, f"{grade}+")


_GCSE_BANDS = {"U": 1, "1": 1, "2": 1, "3": 2, "4": 3, "5": 3, "6": 4, "7": 4, "8": 5, "9": 5}

SCALES = (
    ScaleSpec("GCSE 9-1", GradeScale.Kind.GCSE, tuple((g, _GCSE_BANDS[g]) for g in "U123456789")),
    ScaleSpec(
        "GCSE 9-1 fine grades",
        GradeScale.Kind.GCSE,
        (("U", 1), *((f, _GCSE_BANDS[g]) for g in "123456789" for f in _fine(g))),
    ),
    ScaleSpec(
        "A level A*-E",
        GradeScale.Kind.A_LEVEL,
        (("U", 1), ("E", 1), ("D", 2), ("C", 3), ("B", 3), ("A", 4), ("A*", 5)),
    ),
    ScaleSpec("BTEC", GradeScale.Kind.BTEC, (("U", 1), ("P", 2), ("M", 3), ("D", 4), ("D*", 5))),
    ScaleSpec(
        "KS2 scaled score",
        GradeScale.Kind.KS2,
        (("80-89", 1), ("90-99", 2), ("100-109", 3), ("110-114", 4), ("115-120", 5)),
        minimum=Decimal(80),
        maximum=Decimal(120),
        thresholds=(Decimal(80), Decimal(90), Decimal(100), Decimal(110), Decimal(115)),
    ),
    ScaleSpec(
        "Percentage",
        GradeScale.Kind.PERCENT,
        (("0-39%", 1), ("40-54%", 2), ("55-69%", 3), ("70-84%", 4), ("85-100%", 5)),
        minimum=Decimal(0),
        maximum=Decimal(100),
        thresholds=(Decimal(0), Decimal(40), Decimal(55), Decimal(70), Decimal(85)),
    ),
)
