"""Grade boundaries (ASM-1, ASM-3): one rule from a mark to a grade, and the ladder check."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from markbook.assessment.grading import check_boundaries, grade_from_boundaries

marks = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


def _grades(n: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(pk=i + 1, rank=i + 1, label=f"G{i + 1}") for i in range(n)]


@st.composite
def ladders(draw):  # type: ignore[no-untyped-def]
    """Strictly rising lowest marks for grades of rising rank."""
    minimums = sorted(draw(st.sets(marks, min_size=1, max_size=9)))
    grades = _grades(len(minimums))
    return list(zip(minimums, grades, strict=True))


@given(ladders(), marks)
def test_a_score_earns_the_highest_grade_whose_lowest_mark_it_reaches(ladder, score):
    """ASM-1: the grade is the best one reached; below every boundary, none."""
    grade = grade_from_boundaries(ladder, score)
    reached = [g for m, g in ladder if score >= m]
    if not reached:
        assert grade is None
    else:
        assert grade is reached[-1]
        assert all(score < m for m, g in ladder if g.rank > grade.rank)


@given(ladders(), marks, marks)
def test_a_higher_score_never_earns_a_lower_grade(ladder, a, b):
    """ASM-1: grades rise with marks (monotone)."""
    low, high = sorted((a, b))
    g_low, g_high = grade_from_boundaries(ladder, low), grade_from_boundaries(ladder, high)
    if g_low is not None:
        assert g_high is not None and g_high.rank >= g_low.rank


@given(ladders())
def test_exactly_the_lowest_mark_earns_the_grade(ladder):
    for minimum, grade in ladder:
        assert grade_from_boundaries(ladder, minimum) is grade


def test_no_score_no_grade():
    assert grade_from_boundaries([(Decimal(0), _grades(1)[0])], None) is None


@given(ladders())
def test_a_proper_ladder_is_accepted(ladder):
    grades = {g.pk: g for _, g in ladder}
    check_boundaries(grades=grades, minimums={g.pk: m for m, g in ladder}, max_mark=Decimal(100))


@given(ladders().filter(lambda ladder: len(ladder) >= 2))
def test_a_ladder_out_of_order_is_refused(ladder):
    """ASM-1: a better grade must need more marks; swapping two rungs is refused."""
    grades = {g.pk: g for _, g in ladder}
    minimums = {g.pk: m for m, g in ladder}
    first, last = ladder[0][1].pk, ladder[-1][1].pk
    minimums[first], minimums[last] = minimums[last], minimums[first]
    with pytest.raises(ValidationError, match="needs more marks"):
        check_boundaries(grades=grades, minimums=minimums, max_mark=Decimal(100))


@pytest.mark.parametrize(
    ("minimums", "words"),
    [
        ({1: Decimal(-1)}, "from 0 to 50"),
        ({1: Decimal(51)}, "from 0 to 50"),
        ({99: Decimal(5)}, "not on the subject's scale"),
        ({1: Decimal(10), 2: Decimal(10)}, "needs more marks"),
    ],
)
def test_bad_boundaries_are_refused_with_a_reason(minimums, words):
    grades = {g.pk: g for g in _grades(3)}
    with pytest.raises(ValidationError, match=words):
        check_boundaries(grades=grades, minimums=minimums, max_mark=Decimal(50))
