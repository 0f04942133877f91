"""ASM-4: expected grades on flat and stepped (flight path) targets."""

import itertools
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from markbook.tracking.models import DataDrop, Grade, Target
from markbook.tracking.targets import expected_grade


def _scale(n: int) -> list[Grade]:
    return [Grade(pk=i, label=f"g{i}", rank=i) for i in range(1, n + 1)]


def _drops(n: int) -> list[DataDrop]:
    start = date(2026, 10, 1)
    return [DataDrop(pk=i + 1, name=f"d{i}", date=start + timedelta(days=60 * i)) for i in range(n)]


def _target(grades: list[Grade], start: int, end: int, path: str = Target.Path.STEPPED) -> Target:
    return Target(grade=grades[end], starting_grade=grades[start], path=path)


def test_flat_path_expects_the_target_at_every_drop():
    """ASM-4: flat means the target at every drop."""
    grades, drops = _scale(10), _drops(3)
    target = _target(grades, 2, 7, Target.Path.FLAT)
    assert [expected_grade(target, d, drops, grades).label for d in drops] == ["g8"] * 3


def test_stepped_path_moves_from_start_to_target():
    """ASM-4: a flight path of 3 drops from 4 to 8 passes 6 half way."""
    grades, drops = _scale(10), _drops(3)
    target = _target(grades, 3, 7)
    assert [expected_grade(target, d, drops, grades).label for d in drops] == ["g4", "g6", "g8"]


def test_a_drop_outside_the_list_is_placed_by_date():
    grades, drops = _scale(10), _drops(3)
    later = DataDrop(pk=99, name="extra", date=drops[1].date + timedelta(days=1))
    assert expected_grade(_target(grades, 3, 7), later, drops, grades).label == "g6"


@given(
    scale_size=st.integers(2, 15),
    drop_count=st.integers(1, 8),
    data=st.data(),
)
def test_stepped_paths_are_monotone_and_end_at_the_target(scale_size, drop_count, data):
    """ASM-4: starts at the starting grade, ends at the target, never turns back."""
    grades, drops = _scale(scale_size), _drops(drop_count)
    start = data.draw(st.integers(0, scale_size - 1))
    end = data.draw(st.integers(0, scale_size - 1))
    target = _target(grades, start, end)
    ranks = [expected_grade(target, d, drops, grades).rank for d in drops]
    assert ranks[-1] == grades[end].rank
    if drop_count > 1:
        assert ranks[0] == grades[start].rank
    step = 1 if end >= start else -1
    assert all((b - a) * step >= 0 for a, b in itertools.pairwise(ranks))
    low, high = sorted((grades[start].rank, grades[end].rank))
    assert all(low <= r <= high for r in ranks)
