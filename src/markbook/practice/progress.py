"""A pupil's practice over time (ASM-2): their sessions (attempts), accuracy, speed and
points, for the pupil's teachers and the school's administrators, and for the pupil
and their parents (their own education record, as their results are). Reads only; a
fixed number of queries whatever the number of answers.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from markbook.practice.models import Attempt, Item
from markbook.rosters.models import Pupil

SESSIONS_SHOWN = 50


@dataclass
class Day:
    day: date
    answers: int
    correct: int
    mean_ms: int | None

    @property
    def accuracy(self) -> int:
        return round(100 * self.correct / self.answers) if self.answers else 0

    @property
    def seconds(self) -> str:
        return "" if self.mean_ms is None else f"{self.mean_ms / 1000:.1f}"


@dataclass
class Summary:
    pupil: Pupil
    sessions: list[Attempt] = field(default_factory=list)
    session_count: int = 0
    answers: int = 0
    correct: int = 0
    points: int = 0
    mean_ms: int | None = None
    days: list[Day] = field(default_factory=list)

    @property
    def accuracy(self) -> int | None:
        return round(100 * self.correct / self.answers) if self.answers else None

    @property
    def seconds(self) -> str:
        return "" if self.mean_ms is None else f"{self.mean_ms / 1000:.1f}"

    def chart(self) -> dict:
        """The speed-and-accuracy chart's data (the table beside it has the same)."""
        return {
            "labels": [d.day.isoformat() for d in self.days],
            "accuracy": [d.accuracy for d in self.days],
            "seconds": [round(d.mean_ms / 1000, 2) if d.mean_ms else None for d in self.days],
        }


def pupil_summary(pupil: Pupil) -> Summary:
    """The pupil's latest sessions, their totals and their answers day by day (4 queries)."""
    attempts = Attempt.objects.filter(pupil=pupil)
    summary = Summary(
        pupil=pupil,
        sessions=list(attempts.select_related("question_set")[:SESSIONS_SHOWN]),
    )
    totals = attempts.aggregate(n=Count("pk"), points=Sum("points"))
    summary.session_count = totals["n"]
    summary.points = totals["points"] or 0
    answered = Item.objects.filter(pupil=pupil, answered_at__isnull=False)
    overall = answered.aggregate(
        n=Count("pk"), right=Count("pk", filter=Q(correct=True)), ms=Avg("response_ms")
    )
    summary.answers = overall["n"]
    summary.correct = overall["right"]
    summary.mean_ms = int(overall["ms"]) if overall["ms"] is not None else None
    by_day = (
        answered.annotate(day=TruncDate("answered_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"), right=Count("pk", filter=Q(correct=True)), ms=Avg("response_ms"))
        .order_by("day")
    )
    summary.days = [
        Day(
            day=row["day"],
            answers=row["n"],
            correct=row["right"],
            mean_ms=int(row["ms"]) if row["ms"] is not None else None,
        )
        for row in by_day
    ]
    return summary
