"""Per-fact heat maps of what a pupil, or a class, finds hard (ASM-2).

For each times-table fact (a 12 x 12 grid: multiplication `7x8`, division `56/8` by
divisor and answer) or each question of a teacher's set: how often it was answered,
the accuracy and the median response time. One query whatever the number of answers:
on PostgreSQL grouped by fact with the median from `percentile_cont`; elsewhere (the
SQLite demo) the answered items' figures, grouped here. The set's questions take one
more. A class's map leaves out restricted pupils (DSR-5).

Each cell has a band from 0 (hardest) to 4 for its colour (a colour-blind safe
palette, with the figures in the cell) and the `hardest` list is the same data as
text, for screen readers and print.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q, QuerySet

from markbook.practice.models import Item, Question, QuestionSet
from markbook.privacy.restriction import unrestricted
from markbook.rosters.models import Pupil, TeachingClass

SIZE = 12
OPERATIONS = {"multiply": "Multiplication", "divide": "Division"}
HARDEST_SHOWN = 10


@dataclass
class Cell:
    key: str
    label: str
    asked: int = 0
    correct: int = 0
    median_ms: int | None = None

    @property
    def accuracy(self) -> int | None:
        """Percentage right (rounded), None when never asked."""
        return None if not self.asked else round(100 * self.correct / self.asked)

    @property
    def band(self) -> int | None:
        """0 (under 50% right) to 4 (95% or more), None when never asked."""
        if self.accuracy is None:
            return None
        for band, floor in ((4, 95), (3, 85), (2, 70), (1, 50)):
            if self.accuracy >= floor:
                return band
        return 0

    @property
    def median_seconds(self) -> str:
        return "" if self.median_ms is None else f"{self.median_ms / 1000:.1f}"


@dataclass
class HeatMap:
    title: str
    columns: list[str] = field(default_factory=list)  # column headings (a grid only)
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)  # every cell, in reading order
    answers: int = 0

    @property
    def hardest(self) -> list[Cell]:
        """The asked cells from least to most accurate, slowest first among equals."""
        asked = [c for c in self.cells if c.asked]
        asked.sort(key=lambda c: (c.accuracy or 0, -(c.median_ms or 0), c.key))
        return asked[:HARDEST_SHOWN]


class Median(Aggregate):
    """PostgreSQL's continuous median of a column, within each group."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _fill(cells: dict[str, Cell], items: QuerySet[Item], key: str) -> int:
    """Count each cell's answers, right answers and median time from `items` (grouped
    by `key`, the fact or the question); how many answers there were."""
    count = 0
    if connection.vendor == "postgresql":
        grouped = (
            items.order_by()
            .values(key)
            .annotate(
                n=Count("pk"),
                right=Count("pk", filter=Q(correct=True)),
                mid=Median("response_ms"),
            )
            .values_list(key, "n", "right", "mid")
        )
        for name, n, right, mid in grouped:
            cell = cells.get(str(name))
            if cell is not None:
                cell.asked, cell.correct = n, right
                cell.median_ms = None if mid is None else int(mid)
                count += n
        return count
    times: dict[str, list[int]] = defaultdict(list)
    for name, correct, ms in items.values_list(key, "correct", "response_ms"):
        cell = cells.get(str(name))
        if cell is None:
            continue
        count += 1
        cell.asked += 1
        cell.correct += 1 if correct else 0
        if ms is not None:
            times[str(name)].append(ms)
    for name, values in times.items():
        cells[name].median_ms = int(median(values))
    return count


def _answered(items: QuerySet[Item]) -> QuerySet[Item]:
    return items.filter(answered_at__isnull=False)


def fact_key(operation: str, row: int, column: int) -> str:
    """The item `fact` of a grid cell: `7x8` (7 times 8); `56/8` (row 8, answer 7)."""
    if operation == "divide":
        return f"{row * column}/{row}"
    return f"{row}x{column}"


def table_map(items: QuerySet[Item], operation: str) -> HeatMap:
    """The 12 x 12 grid of multiplication (row times column) or division (rows the
    divisor, columns the answer) facts."""
    sign = "÷" if operation == "divide" else "×"
    grid: list[tuple[str, list[Cell]]] = []
    cells: dict[str, Cell] = {}
    for row in range(1, SIZE + 1):
        line = []
        for column in range(1, SIZE + 1):
            key = fact_key(operation, row, column)
            label = (
                f"{row * column} {sign} {row}"
                if operation == "divide"
                else f"{row} {sign} {column}"
            )
            cell = Cell(key=key, label=label)
            cells[key] = cell
            line.append(cell)
        grid.append((f"{sign} {row}" if operation == "divide" else str(row), line))
    heat = HeatMap(
        title=OPERATIONS.get(operation, OPERATIONS["multiply"]),
        columns=[str(c) for c in range(1, SIZE + 1)],
        rows=grid,
        cells=[c for _, line in grid for c in line],
    )
    heat.answers = _fill(cells, _answered(items).filter(fact__in=list(cells)), "fact")
    return heat


def set_map(items: QuerySet[Item], question_set: QuestionSet) -> HeatMap:
    """One cell per question of a teacher's set, in the set's order."""
    questions = list(Question.objects.filter(question_set=question_set).order_by("position"))
    cells = {
        str(q.pk): Cell(key=str(q.pk), label=f"{q.position}. {q.prompt[:60]}") for q in questions
    }
    heat = HeatMap(title=question_set.title, cells=list(cells.values()))
    answered = _answered(items).filter(question__question_set=question_set)
    heat.answers = _fill(cells, answered, "question_id")
    return heat


def class_items(teaching_class: TeachingClass) -> QuerySet[Item]:
    """The answers of the class's current pupils, restricted pupils left out (DSR-5)."""
    pupils = Pupil.objects.filter(enrolments__teaching_class=teaching_class).values("pk")
    return unrestricted(Item.objects.filter(pupil_id__in=pupils), "pupil_id")


def pupil_items(pupil: Pupil) -> QuerySet[Item]:
    return Item.objects.filter(pupil=pupil)


def heat_map(
    items: QuerySet[Item], *, operation: str = "multiply", question_set: QuestionSet | None = None
) -> HeatMap:
    """A times-table grid, or a set's questions when `question_set` is given."""
    if question_set is not None and question_set.kind == QuestionSet.Kind.CUSTOM:
        return set_map(items, question_set)
    return table_map(items, operation if operation in OPERATIONS else "multiply")
