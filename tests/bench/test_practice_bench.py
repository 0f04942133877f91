"""bench/practice.py keeps working: a small run reports every figure, and an answer
is the answer's own five statements (ASM-2). Nothing is timed."""

import pytest

from tests.bench import load

bench = load("practice")

pytestmark = pytest.mark.django_db


def test_a_small_run_reports_every_figure(settings):
    settings.MARKBOOK_PRACTICE_FAIR_USE = False
    settings.MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE = 0
    figures = bench.run(pupils=3, answers=12)
    # The answer's five and the leaderboards' one (practice.boards.answered).
    assert figures["answer_own_queries"] == 6
    assert figures["answer_queries"] > figures["answer_own_queries"]
    text = bench.report(figures, 3, 12)
    assert "answer request" in text and "service alone" in text and "ratio" in text
