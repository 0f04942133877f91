"""Reads of practice (ASM-2, ASM-7, ASM-8): what a pupil can practise, their points,
and fair-use decisions. A fixed number of queries each, whatever the numbers of sets,
attempts or pupils."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from markbook.accounts.models import User
from markbook.admission import Access
from markbook.assessment.models import Assignment
from markbook.practice import banks, homework
from markbook.practice.models import Attempt, FairUseEvent, QuestionSet, Standing
from markbook.practice.points import monday
from markbook.rosters import selectors as roster_selectors
from markbook.rosters.models import Pupil


@dataclass
class SetRow:
    """A set the pupil can practise, the attempt they have in progress, and the
    homework it is set as (if any, with its due date)."""

    question_set: QuestionSet
    attempt: Attempt | None
    assignment: Assignment | None = None

    @property
    def due_date(self) -> date | None:
        return self.assignment.due_date if self.assignment is not None else None


def _assigned(pupil: Pupil) -> list[tuple[Assignment, QuestionSet]]:
    """The pupil's homework that is a practice set (practice.homework)."""
    return homework.assigned_sets(pupil=pupil)


def pupil_sets(pupil: Pupil) -> list[SetRow]:
    """The school's open sets, homework first (soonest due first), then the teachers'
    own by title, then the built-in ones; each
    with the pupil's attempt in progress: two queries (and the homework's)."""
    order = {b.key: n for n, b in enumerate(banks.BUILTINS)}
    sets = sorted(
        QuestionSet.objects.filter(published=True, archived=False),
        # The teachers' own sets first, then the built-in ones in their order.
        key=lambda s: (order.get(str(s.generator.get("builtin", "")), -1), s.title.lower()),
    )
    attempts: dict[int, Attempt] = {}
    for attempt in Attempt.objects.filter(pupil=pupil, state=Attempt.State.IN_PROGRESS).order_by(
        "started_at", "pk"
    ):
        attempts[attempt.question_set_id] = attempt  # the latest wins
    rows = []
    for assignment, question_set in sorted(
        _assigned(pupil), key=lambda pair: (pair[0].due_date or date.max, pair[0].pk)
    ):
        rows.append(SetRow(question_set, attempts.get(question_set.pk), assignment))
    rows += [SetRow(s, attempts.get(s.pk)) for s in sets]
    return rows


@dataclass
class PointsNow:
    today: int
    week: int


def pupil_points(pupil: Pupil) -> PointsNow:
    """Points earned today and this week (one query)."""
    standing = Standing.objects.filter(pupil=pupil).first()
    today = timezone.localdate()
    if standing is None:
        return PointsNow(0, 0)
    return PointsNow(
        standing.day_points if standing.day == today else 0,
        standing.week_points if standing.week == monday(today) else 0,
    )


def fair_use_events(
    user: User, access: Access, *, pupil: Pupil | None = None, limit: int = 200
) -> QuerySet[FairUseEvent]:
    """Fair-use decisions about the pupils the user may see (a pupil: their own),
    newest first, with their pupil and teacher."""
    visible = roster_selectors.pupils_visible_to(user, access)
    events = FairUseEvent.objects.select_related("pupil", "pupil__school", "by").filter(
        pupil__in=visible.values("pk")
    )
    if pupil is not None:
        events = events.filter(pupil=pupil)
    return events.order_by("-created_at", "-pk")[:limit]


@dataclass
class Suspended:
    pupil: Pupil
    events: list[FairUseEvent]


def suspended_pupils(user: User, access: Access) -> list[Suspended]:
    """The suspended pupils the user may see, each with their latest decisions (two
    queries)."""
    visible = roster_selectors.pupils_visible_to(user, access)
    pupils = list(
        Pupil.objects.select_related("school").filter(
            pk__in=visible.values("pk"), practice_standing__suspended=True
        )
    )
    events: dict[int, list[FairUseEvent]] = {p.pk: [] for p in pupils}
    for event in FairUseEvent.objects.filter(pupil__in=pupils).order_by("-created_at", "-pk"):
        if len(events[event.pupil_id]) < 10:
            events[event.pupil_id].append(event)
    return [Suspended(p, events[p.pk]) for p in pupils]
