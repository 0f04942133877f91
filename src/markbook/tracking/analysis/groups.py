"""The pure rules of school analysis (ASM-5): KS2 prior attainment bands, progress
against target, the pupil groups, and the small-group rule. No database here.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Groups smaller than this are shown as "fewer than N" in school-wide and trust
# reports; a school may raise it (School.analysis_min_group), never lower it.
MIN_GROUP = 5

ABOVE, ON, BELOW, NO_TARGET = "above", "on", "below", "no_target"
STATUS_LABELS = {
    ABOVE: "Above target",
    ON: "On target",
    BELOW: "Below target",
    NO_TARGET: "No target",
}
# The traffic-light colours trackers use (green, amber, red); the pages always print
# the label beside them, never colour alone.
STATUS_COLOURS = {ABOVE: "#1a7f37", ON: "#b7791f", BELOW: "#c62828", NO_TARGET: "#6b7280"}

LOW, MIDDLE, HIGH = "low", "middle", "high"
NOT_RECORDED = "none"
KS2_BAND_LABELS = {LOW: "Low (below 100)", MIDDLE: "Middle (100-109)", HIGH: "High (110+)"}


def ks2_band(reading: int | None, maths: int | None) -> str | None:
    """The pupil's KS2 prior attainment band from the average of their reading and
    maths scaled scores: low below 100, middle 100 to 109, high 110 and above.

    The DfE's Key Stage 4 performance tables band prior attainment on the average of
    the KS2 reading and maths scaled scores in the same way: below the expected
    standard (100), at it, and high (110 or more, the "high score" of the KS2 results;
    docs/domain.md, Assessment). One score alone is used when only one is known;
    neither known: no band (None)."""
    scores = [s for s in (reading, maths) if s is not None]
    if not scores:
        return None
    average = sum(scores) / len(scores)
    if average < 100:
        return LOW
    if average < 110:
        return MIDDLE
    return HIGH


def progress_status(rank: int, expected_rank: int | None) -> str:
    """Above, on or below target: a grade's rank against the expected grade's rank on
    the same scale (higher is better); no expected grade: no target."""
    if expected_rank is None:
        return NO_TARGET
    if rank > expected_rank:
        return ABOVE
    if rank == expected_rank:
        return ON
    return BELOW


@dataclass(frozen=True)
class Dimension:
    """One way of splitting the pupils: by subject, class, year group or a pupil group.

    `fields` are the pupil fields the grouping reads (to decide who may use it and
    which the school keeps); `sensitive` ones are encrypted (SEC-2); `binary` ones
    have a gap analysis (yes against no)."""

    key: str
    label: str
    fields: tuple[str, ...] = ()
    sensitive: bool = False
    binary: bool = False
    values: Callable[[Any], str] | None = None
    value_labels: tuple[tuple[str, str], ...] = ()


def _yes_no(name: str) -> Callable[[Any], str]:
    def value(pupil: Any) -> str:
        v = getattr(pupil, name)
        return NOT_RECORDED if v is None else ("yes" if v else "no")

    return value


def _code(name: str) -> Callable[[Any], str]:
    def value(pupil: Any) -> str:
        return getattr(pupil, name) or NOT_RECORDED

    return value


def _sen(pupil: Any) -> str:
    code = pupil.sen_provision
    return {"N": "no", "K": "support", "E": "ehcp"}.get(code or "", NOT_RECORDED)


def _ks2(pupil: Any) -> str:
    return ks2_band(pupil.ks2_reading, pupil.ks2_maths) or NOT_RECORDED


YES_NO = (("yes", "Yes"), ("no", "No"), (NOT_RECORDED, "Not recorded"))

DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        Dimension("subject", "Subject"),
        Dimension("class", "Class"),
        Dimension("year_group", "Year group", values=lambda p: p.year_group or NOT_RECORDED),
        Dimension(
            "disadvantaged",
            "Disadvantaged",
            ("disadvantaged",),
            True,
            True,
            _yes_no("disadvantaged"),
            YES_NO,
        ),
        Dimension("fsm", "Free school meals", ("fsm",), True, True, _yes_no("fsm"), YES_NO),
        Dimension(
            "sen",
            "SEN",
            ("sen_provision",),
            True,
            False,
            _sen,
            (
                ("no", "No SEN"),
                ("support", "SEN support"),
                ("ehcp", "EHC plan"),
                (NOT_RECORDED, "Not recorded"),
            ),
        ),
        Dimension("eal", "EAL", ("eal",), False, True, _yes_no("eal"), YES_NO),
        Dimension(
            "sex",
            "Gender",
            ("sex",),
            False,
            False,
            _code("sex"),
            (("F", "Female"), ("M", "Male"), (NOT_RECORDED, "Not recorded")),
        ),
        Dimension("ethnicity", "Ethnicity", ("ethnicity",), True, False, _code("ethnicity")),
        Dimension(
            "gifted_talented",
            "Gifted and talented",
            ("gifted_talented",),
            False,
            True,
            _yes_no("gifted_talented"),
            YES_NO,
        ),
        Dimension(
            "ks2_band",
            "KS2 prior attainment",
            ("ks2_reading", "ks2_maths"),
            False,
            False,
            _ks2,
            (*KS2_BAND_LABELS.items(), (NOT_RECORDED, "Not recorded")),
        ),
    )
}
PUPIL_DIMENSIONS = tuple(k for k, d in DIMENSIONS.items() if d.values is not None and d.fields)


# --- The small-group rule -----------------------------------------------------


def pinned(cells: Sequence[Any], counts: dict[Any, int], hidden: set[Any], minimum: int) -> bool:
    """Whether the shown figures of one line (its total and its shown cells) pin down a
    hidden cell of it: the hidden cells add up to the total minus the shown ones, each
    is known to be 1 to minimum-1 ("fewer than N") or at least the minimum (hidden
    beside one), and one of them can take only one value (ASM-5)."""
    inside = [c for c in cells if c in hidden and counts.get(c, 0) > 0]
    if not inside:
        return False
    total = sum(counts[c] for c in inside)
    bounds = [(1, minimum - 1) if counts[c] < minimum else (minimum, None) for c in inside]
    for k, (lo, hi) in enumerate(bounds):
        rest = bounds[:k] + bounds[k + 1 :]
        rest_low = sum(low for low, _ in rest)
        highs = [high for _, high in rest]
        rest_high = None if None in highs else sum(h for h in highs if h is not None)
        least = lo if rest_high is None else max(lo, total - rest_high)
        most = total - rest_low if hi is None else min(hi, total - rest_low)
        if least >= most:
            return True
    return False


def suppressed_lines(
    counts: dict[Any, int], lines: Iterable[Sequence[Any]], *, minimum: int
) -> set[Any]:
    """Which cells to hide so no count of a line can be read off a report, even by
    differencing (ASM-5).

    `counts` maps each cell to the number of pupils it stands for; `lines` are the
    groups of cells whose total the report also shows (a table's rows adding up to its
    whole-school row; a matrix's rows and columns). A cell of 1 to minimum-1 pupils is
    hidden (primary suppression; an empty cell reveals nobody). A line whose total and
    shown cells still pin a hidden cell down (one hidden cell alone is the total minus
    the others; a small one beside one of exactly the minimum is known too) has its
    smallest shown non-empty cell hidden as well (complementary, secondary
    suppression), until no line pins one down or a line has nothing left to hide: the
    caller then hides that line's total (`pinned` tells)."""
    hidden = {cell for cell, n in counts.items() if 0 < n < minimum}
    lines = [list(line) for line in lines]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if not pinned(line, counts, hidden, minimum):
                continue
            others = sorted(
                (c for c in line if c not in hidden and counts.get(c, 0) > 0),
                key=lambda c: (counts[c], str(c)),
            )
            if not others:
                continue  # nothing left to hide: the caller hides the line's total
            hidden.add(others[0])
            changed = True
    return hidden
