"""bench/markbook.py keeps working: a small run reports every figure, and the grid's
query count is the same for a class and for a tenth of it (ASM-3). Nothing is timed."""

import pytest

from tests.bench import load

bench = load("markbook")

pytestmark = pytest.mark.django_db


def test_a_small_run_reports_every_figure():
    figures = bench.run(pupils=20, assignments=3, saves=4)
    assert figures["grid_queries"] == figures["grid_queries_tenth"] > 0
    assert figures["save_queries"] > 0
    text = bench.report(figures, 20, 3)
    assert "grid page" in text and "cell save" in text and "ratio" in text
