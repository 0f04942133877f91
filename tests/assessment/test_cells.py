"""Markbook cells (ASM-3, DSR-3): typed values checked per cell with clear messages,
optimistic concurrency on Mark.version, each change audited with old and new values,
in a fixed number of queries, and batches reported cell by cell."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from markbook.assessment.cells import (
    MAX_CELLS,
    Cell,
    TooManyCells,
    mark_cell_save,
    marks_cells_save,
)
from markbook.assessment.grid import class_assignments
from markbook.assessment.models import Mark
from markbook.assessment.services import mark_record
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from tests import factories as f


@pytest.fixture
def test1(world):  # type: ignore[no-untyped-def]
    return f.markbook_assignment(world.class_7a, "Test 1", max_mark=20)


def _save(world, assignment, value, version=None, pupil=None):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return mark_cell_save(
            actor=world.teacher,
            assignment=assignment,
            pupil=pupil or world.amy,
            value=value,
            version=version,
        )


def _events(world, action: str = "assessment.mark.changed") -> int:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return AuditEvent.objects.filter(action=action).count()


def _mark(world, assignment, pupil=None):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return Mark.objects.filter(assignment=assignment, pupil=pupil or world.amy).first()


@pytest.mark.parametrize(
    ("value", "status", "score", "shown"),
    [
        ("12", "marked", Decimal("12"), "12"),
        ("12.5", "marked", Decimal("12.5"), "12.5"),
        (" 0 ", "marked", Decimal("0"), "0"),
        ("20", "marked", Decimal("20"), "20"),
        ("A", "absent", None, "A"),
        ("n", "not_required", None, "N"),
    ],
)
def test_a_typed_mark_is_saved(world, test1, value, status, score, shown):
    """ASM-3: numbers, A (absent) and N (not required)."""
    result = _save(world, test1, value)
    assert (result.outcome, result.value, result.version) == ("saved", shown, 1)
    mark = _mark(world, test1)
    assert (mark.status, mark.score, mark.updated_by) == (status, score, world.teacher)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "12,5",
            "Amy Adams, Test 1 (out of 20): 12,5 is not a number; write decimals with a point.",
        ),
        ("-1", "Amy Adams, Test 1 (out of 20): -1 is below 0."),
        ("1e309", "Amy Adams, Test 1 (out of 20): 1e309 is not a number."),
        ("21", "Amy Adams, Test 1 (out of 20): 21 is outside 0 to 20."),
        ("12.555", "Amy Adams, Test 1 (out of 20): 12.555 has more than 2 decimal places."),
        ("ten", "Amy Adams, Test 1 (out of 20): ten is not a number."),
        ("NaN", "Amy Adams, Test 1 (out of 20): NaN is not a number."),
    ],
)
def test_a_bad_mark_is_refused_naming_the_cell(world, test1, value, message):
    """ASM-3: refused with a message naming the pupil and assignment; nothing written."""
    before = _events(world)
    result = _save(world, test1, value)
    assert (result.outcome, result.message, result.value) == ("invalid", message, value)
    assert _mark(world, test1) is None
    assert _events(world) == before


def test_each_change_is_audited_with_old_and_new_value(world, test1):
    """DSR-3: who, when, old value, new value for every change, clearing included."""
    first = _save(world, test1, "12")
    second = _save(world, test1, "A", version=first.version)
    assert second.version == 2
    cleared = _save(world, test1, "", version=second.version)
    assert (cleared.outcome, cleared.value, cleared.version) == ("saved", "", 3)
    assert _mark(world, test1).status == Mark.Status.CLEARED
    with school_scope(world.a):
        events = list(AuditEvent.objects.filter(action="assessment.mark.changed").order_by("seq"))
    assert [(e.data["old"], e.data["new"]) for e in events] == [
        (None, {"score": "12.00", "status": "marked"}),
        ({"score": "12.00", "status": "marked"}, {"score": None, "status": "absent"}),
        ({"score": None, "status": "absent"}, None),
    ]
    assert {e.actor_id for e in events} == {world.teacher.pk}
    assert all(e.data["pupil"] == world.amy.pk and e.at for e in events)


def test_the_same_value_again_changes_nothing(world, test1):
    first = _save(world, test1, "12")
    again = _save(world, test1, "12.00", version=first.version)
    assert (again.outcome, again.version) == ("unchanged", 1)
    assert _events(world) == 1


def test_a_write_based_on_an_old_version_is_refused_with_the_current_value(world, test1):
    """ASM-3: two teachers on one cell: the later write is told, nothing overwritten."""
    loaded = _save(world, test1, "12")
    colleague = _save(world, test1, "15", version=loaded.version)
    late = _save(world, test1, "9", version=loaded.version)
    assert (late.outcome, late.value, late.version) == ("conflict", "15", colleague.version)
    assert "changed by someone else since you loaded it" in late.message
    assert _mark(world, test1).score == Decimal("15")
    # A cell believed empty that someone has filled is a conflict too.
    fresh = _save(world, test1, "3", version=None, pupil=world.ben)
    assert _save(world, test1, "4", version=None, pupil=world.ben).outcome == "conflict"
    assert _mark(world, test1, world.ben).version == fresh.version


def test_resending_the_value_already_stored_is_no_conflict(world, test1):
    """A save whose answer was lost (the connection dropped) and is sent again."""
    _save(world, test1, "12")
    assert _save(world, test1, "12", version=None).outcome == "unchanged"


def test_the_import_service_moves_the_version_on(world, test1):
    """A mark changed by mark_record (imports) makes an open grid's version old."""
    saved = _save(world, test1, "12")
    with school_scope(world.a):
        mark_record(actor=None, assignment=test1, pupil=world.amy, score=14)
    assert _save(world, test1, "13", version=saved.version).outcome == "conflict"


def test_a_save_takes_the_same_queries_whatever_the_cell(world, test1):
    """DSR-3: a fixed number of queries per save, audit event included."""
    counts = []
    version = None
    for value in ("12", "13", "A", "", "7"):
        with CaptureQueriesContext(connection) as queries:
            version = _save(world, test1, value, version=version).version
        counts.append(len(queries))
    # Changing, absent, clearing, entering again: the same; the first save of the
    # school's chain one more (savepoints included).
    assert len(set(counts[1:])) == 1, counts
    # PostgreSQL also sets the row-level security school list for each scope (TEN-4).
    assert max(counts) <= (12 if connection.vendor == "sqlite" else 15), counts


def test_a_batch_saves_valid_cells_and_reports_each(world, test1):
    """ASM-3 paste path: per-cell results; valid cells saved, refused ones named."""
    test2 = f.markbook_assignment(world.class_7a, "Test 2", max_mark=10)
    cells = [
        Cell(world.amy.pk, test1.pk, "12"),
        Cell(world.amy.pk, test2.pk, "11"),
        Cell(world.ben.pk, test1.pk, "A"),
        Cell(world.ben.pk, test2.pk, "N"),
        Cell(world.cal.pk, test1.pk, "5"),  # not in 7A
        Cell(world.amy.pk, test1.pk, "13"),  # sent twice
    ]
    with school_scope(world.a):
        results = marks_cells_save(
            actor=world.teacher,
            assignments=class_assignments(world.class_7a),
            pupils=[world.amy, world.ben],
            cells=cells,
        )
    assert [r.outcome for r in results] == [
        "saved",
        "invalid",
        "saved",
        "saved",
        "invalid",
        "invalid",
    ]
    assert results[1].message == "Amy Adams, Test 2 (out of 10): 11 is outside 0 to 10."
    assert results[5].message == "Amy Adams, Test 1: this cell was sent twice."
    with school_scope(world.a):
        assert Mark.objects.count() == 3
    assert _events(world) == 3


def test_a_batch_takes_as_many_queries_for_one_cell_as_for_forty(world, test1):
    """Within the database's batch limits (999 parameters on SQLite)."""
    pupils = [world.amy, world.ben]
    with school_scope(world.a):
        for p in range(19):
            extra = f.PupilFactory(school=world.a, username=f"extra{p}")
            pupils.append(extra)
    assignments = [test1, f.markbook_assignment(world.class_7a, "Test 2")]

    def run(cells):  # type: ignore[no-untyped-def]
        with school_scope(world.a), CaptureQueriesContext(connection) as queries:
            marks_cells_save(
                actor=world.teacher, assignments=assignments, pupils=pupils, cells=cells
            )
        return len(queries)

    run([Cell(pupils[0].pk, assignments[1].pk, "1")])  # the school's chain begins
    one = run([Cell(pupils[0].pk, test1.pk, "1")])
    many = run([Cell(p.pk, a.pk, "2") for p in pupils[1:] for a in assignments])
    assert len(pupils[1:]) * len(assignments) == 40
    assert many == one


def test_too_many_cells_are_refused_whole(world, test1):
    """A paste of 10,000 cells: refused with a clear message, nothing written."""
    cells = [Cell(world.amy.pk, test1.pk, "1")] * 10_000
    with (
        school_scope(world.a),
        pytest.raises(TooManyCells, match="10,000 cells were sent; at most 5,000"),
    ):
        marks_cells_save(actor=world.teacher, assignments=[test1], pupils=[world.amy], cells=cells)
    assert MAX_CELLS == 5000
    assert _mark(world, test1) is None


def test_a_cleared_cell_keeps_its_version_so_a_stale_write_is_told(world, test1):
    """ASM-3: a colleague clears a cell this teacher loaded with a mark: the row stays,
    its version goes on, and the write based on the mark it held is refused."""
    loaded = _save(world, test1, "12")
    cleared = _save(world, test1, "", version=loaded.version)
    assert (cleared.outcome, cleared.value, cleared.version) == ("saved", "", 2)
    late = _save(world, test1, "9", version=loaded.version)
    assert (late.outcome, late.value, late.version) == ("conflict", "", 2)
    assert _mark(world, test1).status == Mark.Status.CLEARED
    # Clearing again changes nothing; writing on the cleared version is saved.
    assert _save(world, test1, "", version=2).outcome == "unchanged"
    again = _save(world, test1, "9", version=2)
    assert (again.outcome, again.value, again.version) == ("saved", "9", 3)
    with school_scope(world.a):
        events = list(AuditEvent.objects.filter(action="assessment.mark.changed").order_by("seq"))
    assert [e.data["old"] for e in events][-1] is None  # written into a cleared cell


def test_a_cleared_cell_counts_as_no_mark_everywhere(world, test1):
    """ASM-3: completion, averages, the grid, results and the OneRoster results take a
    cleared cell as missing."""
    import csv
    import datetime
    import io
    import zipfile

    from markbook.assessment.grid import markbook_grid
    from markbook.assessment.selectors import completion, pupil_results
    from markbook.rosters.oneroster.export import oneroster_export

    first = _save(world, test1, "12")
    _save(world, test1, "20", pupil=world.ben)
    _save(world, test1, "", version=first.version)
    with school_scope(world.a):
        grid = markbook_grid(world.class_7a)
        column = grid["columns"][0]
        assert column["average"] == "20.0"  # Ben alone, not (12 + 20) / 2 or 20 / 2
        assert column["completion"].startswith("1 of ")
        assert grid["cells"][world.amy.pk][test1.pk] == ["", 2, ""]
        assert completion([test1])[test1.pk].marked == 1
        result = next(
            r
            for r in pupil_results(world.amy, datetime.date(2026, 1, 1))
            if r.assignment.pk == test1.pk
        )
        assert result.mark is None and result.status == "waiting"
        archive = zipfile.ZipFile(io.BytesIO(oneroster_export(actor=world.admin, school=world.a)))
        rows = list(csv.DictReader(io.StringIO(archive.read("results.csv").decode())))
    assert [r["score"] for r in rows] == ["20"]
