"""Per-fact heat maps (ASM-2): accuracy and median response time for each times-table
fact (multiplication and division) or each question of a teacher's set, per pupil and
per class, with the hardest facts as text; a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from markbook.core.tenancy import school_scope
from markbook.practice import heatmap
from markbook.practice.models import Question
from markbook.privacy.services import restriction_place
from tests.practice.helpers import answers, teacher_set, times_tables

pytestmark = pytest.mark.django_db


def _cell(heat: heatmap.HeatMap, key: str) -> heatmap.Cell:
    return next(c for c in heat.cells if c.key == key)


def test_a_pupils_grid_has_accuracy_and_median_time_per_fact(world):
    tables = times_tables(world)
    answers(
        world.amy,
        tables,
        [("7x8", True, 1000), ("7x8", False, 4000), ("7x8", True, 2000), ("3x4", True, 900)],
    )
    with school_scope(world.a):
        heat = heatmap.table_map(heatmap.pupil_items(world.amy), "multiply")
    assert len(heat.rows) == 12 and all(len(cells) == 12 for _, cells in heat.rows)
    seven_eight = _cell(heat, "7x8")
    assert (seven_eight.asked, seven_eight.correct, seven_eight.accuracy) == (3, 2, 67)
    assert seven_eight.median_ms == 2000 and seven_eight.band == 1
    assert _cell(heat, "3x4").band == 4
    assert _cell(heat, "8x7").asked == 0 and _cell(heat, "8x7").band is None
    assert [c.key for c in heat.hardest] == ["7x8", "3x4"]
    assert heat.answers == 4


def test_division_facts_are_a_grid_by_divisor_and_answer(world):
    tables = times_tables(world)
    answers(world.amy, tables, [("56/8", False, 5000), ("56/8", True, 3000)])
    with school_scope(world.a):
        heat = heatmap.table_map(heatmap.pupil_items(world.amy), "divide")
    row_label, cells = heat.rows[7]  # divisor 8
    assert row_label == "÷ 8"
    assert cells[6].key == "56/8" and cells[6].label == "56 ÷ 8"
    assert cells[6].accuracy == 50 and cells[6].median_ms == 4000


def test_a_class_map_counts_its_pupils_only_and_leaves_out_restricted_ones(world):
    tables = times_tables(world)
    answers(world.amy, tables, [("6x7", False, 3000)])
    answers(world.ben, tables, [("6x7", True, 1000)])
    answers(world.cal, tables, [("6x7", False, 9000)])  # 7B, not in 7A
    with school_scope(world.a):
        heat = heatmap.table_map(heatmap.class_items(world.class_7a), "multiply")
        assert _cell(heat, "6x7").asked == 2 and _cell(heat, "6x7").accuracy == 50
        restriction_place(
            school=world.a, subject=world.ben, kind="restriction", reason="Asked", by=None
        )
        heat = heatmap.table_map(heatmap.class_items(world.class_7a), "multiply")
    assert _cell(heat, "6x7").asked == 1 and _cell(heat, "6x7").accuracy == 0


def test_a_sets_map_has_a_cell_per_question(world):
    made = teacher_set(world)
    with school_scope(world.a):
        first, second = Question.objects.filter(question_set=made).order_by("position")
    answers(
        world.amy,
        made,
        [("q", True, 2000), ("q", False, 6000)],
        questions=[first, second],
    )
    with school_scope(world.a):
        heat = heatmap.set_map(heatmap.pupil_items(world.amy), made)
    assert [c.label[:2] for c in heat.cells] == ["1.", "2."]
    assert heat.cells[0].accuracy == 100 and heat.cells[1].accuracy == 0
    assert heat.hardest[0].key == str(second.pk)


def test_the_class_map_page_costs_the_same_however_many_answers(world, client_for):
    tables = times_tables(world)
    client = client_for("teacher")
    url = reverse(
        "practice_teachers:class_heatmap",
        kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk},
    )

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    answers(world.amy, tables, [("2x2", True, 800)])
    few = count()
    for a in range(1, 13):
        answers(world.amy, tables, [(f"{a}x{b}", b % 3 != 0, 1000 + 100 * b) for b in range(1, 13)])
        answers(world.ben, tables, [(f"{a}x{b}", b % 2 == 0, 1500) for b in range(1, 13)])
    assert count() == few


def test_the_page_has_the_figures_in_the_cells_and_a_text_list_of_the_hardest(world, client_for):
    tables = times_tables(world)
    answers(world.amy, tables, [("7x8", False, 4200), ("7x8", False, 3800), ("9x9", True, 1100)])
    url = reverse(
        "practice_teachers:class_heatmap",
        kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk},
    )
    page = client_for("teacher").get(url).content.decode()
    assert 'class="heat-0" title="7 × 8: 0 of 2 right, median 4.0 s"' in page
    assert "7 × 8: 0% right (0 of 2), median 4.0 seconds" in page
    assert client_for("colleague").get(url).status_code == 404


def test_the_pupils_page_shows_sessions_points_and_their_map(world, client_for):
    tables = times_tables(world)
    answers(world.amy, tables, [("7x8", True, 1000), ("6x6", True, 1400)], days_ago=2)
    answers(world.amy, tables, [("7x8", False, 3000)])
    url = reverse(
        "practice_teachers:pupil_practice",
        kwargs={"school_id": world.a.pk, "pupil_id": world.amy.pk},
    )
    for role in ("teacher", "admin", "pupil", "parent"):
        page = client_for(role).get(url).content.decode()
        assert "practice-chart-data" in page and "Times tables to 12" in page, role
    assert client_for("colleague").get(url).status_code == 404
    summary = (
        client_for("teacher")
        .get(f"/api/schools/{world.a.pk}/practice/pupils/{world.amy.pk}/summary")
        .json()
    )
    assert summary["sessions"] == 2 and summary["answers"] == 3 and summary["correct"] == 2
    assert summary["points"] == 20 and len(summary["days"]) == 2


def test_the_api_heat_maps_and_bad_input(world, client_for):
    tables = times_tables(world)
    answers(world.amy, tables, [("7x8", True, 1000)])
    client = client_for("teacher")
    base = f"/api/schools/{world.a.pk}/practice"
    pupil = client.get(f"{base}/pupils/{world.amy.pk}/heatmap").json()
    assert pupil["rows"][6][7]["key"] == "7x8" and pupil["rows"][6][7]["accuracy"] == 100
    klass = client.get(f"{base}/classes/{world.class_7a.pk}/heatmap?operation=divide").json()
    assert klass["title"] == "Division" and klass["answers"] == 0
    assert (
        client.get(f"{base}/classes/{world.class_7a.pk}/heatmap?operation=power").status_code == 422
    )
    bad_set = client.get(f"{base}/classes/{world.class_7a.pk}/heatmap?set_id=999999")
    assert bad_set.status_code == 422 and "set_id" in bad_set.json()["errors"]
