"""The leaderboards' declared projection, `BoardEntry` (ASM-6, DSR-5, CON-2, SEC-6).

Boards: the class's, the school's, the trust's and the global one; by points or by
times-table speed; for this week (Monday to Sunday), this month (the calendar month)
or this school year. The school year starts on 1 September for every school, as
England's does: the global board needs one year for all schools, and a school's own
academic year dates may differ by a few days.

Speed is correct times-table facts per minute in timed trials (an `Item` of a `TRIAL`
attempt whose fact is "AxB"), counted over the period; a pupil is ranked on speed from
`SPEED_MIN_FACTS` correct facts, so one lucky answer does not top the board.

Who is on the projection, and where:
- a restricted pupil (privacy.restriction, DSR-5) has no rows at all;
- every other pupil on roll has rows for the periods they practised in, seen by their
  own school's class and school boards;
- `on_trust` / `on_global` hold only for a pupil whose parents consented to the
  leaderboard purpose (`GLOBAL_LEADERBOARD`, CON-2) at a school that joined that board.
  The trust board is consent-gated too: like the global one it shows the child to
  pupils of other schools, which is what the consent text asks about.

Kept current by:
- `answered(item=...)`, on the answer hot path, inside the answering transaction: one
  UPDATE adding the answer's points (and trial figures) to the pupil's three current
  rows. Only when a row is missing (the first answer of a new week or month, a pupil's
  first answer ever) does it read who the pupil is and may be shown, insert the missing
  rows (ignoring a concurrent insert) and add to them: a few queries once per pupil per
  week. A restricted pupil gets no rows, so each of their answers pays that check.
- `boards_rebuild(school=...)`, from the school's own scoped data (its items,
  restrictions and consent), rewriting that school's rows: run when the school changes
  its board settings or pseudonyms, nightly (`markbook practice_boards_rebuild`, which
  also drops past periods and picks up renamed pupils), and by the demo seed.
- `board_pupil_refresh(pupil=...)`, the same for one pupil: run when a restriction is
  placed or lifted and when a parent answers the leaderboard consent.

The cross-school read (trust and global boards) is in `practice.board_reads`, the one
module allowed to read the projection outside a scope; it reads nothing else.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from markbook.audit import services as audit
from markbook.core.tenancy import school_scope
from markbook.practice.models import Attempt, BoardEntry, Item, QuestionSet
from markbook.rosters.models import Pupil
from markbook.schools.models import School

SPEED_MIN_FACTS = 10
TOP = 20
# A times-table fact as the generator names it ("7x8"); arithmetic and teachers'
# questions are not counted for speed.
TIMES_FACT_SQL = r"^[0-9]{1,2}x[0-9]{1,2}$"
TIMES_FACT = re.compile(TIMES_FACT_SQL)

Period = BoardEntry.Period


# --- Periods -------------------------------------------------------------------------


def period_start(period: str, day: date) -> date:
    """The first day of the week (Monday), month or school year (1 September) of `day`."""
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    if period == Period.YEAR:
        return date(day.year if day.month >= 9 else day.year - 1, 9, 1)
    raise ValueError(f"not a board period: {period!r}")


def period_starts(day: date) -> dict[str, date]:
    return {p: period_start(p, day) for p in Period.values}


def _local_day(moment: datetime | None) -> date:
    return timezone.localtime(moment or timezone.now()).date()


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- Names ---------------------------------------------------------------------------


def board_name(pupil: Pupil, school: School) -> str:
    """The name a board outside the class shows (ASM-6): the pseudonym at a school that
    uses them, otherwise the first name and the surname's initial. Never the username
    (it often spells the full name)."""
    if school.pseudonymise_pupils and pupil.pseudonym:
        return pupil.pseudonym[:120]
    first = (pupil.first_name or "").strip()
    last = (pupil.last_name or "").strip()
    if first:
        return f"{first} {last[:1]}.".strip() if last else first[:120]
    return (pupil.pseudonym or "A pupil")[:120]


def school_board_name(school: School) -> str:
    """The school's name as the boards show it. Schools have no pseudonym of their own:
    the boards name a school as it names itself."""
    return school.name


# --- Who may be on the boards ----------------------------------------------------------


@dataclass(frozen=True)
class _Standing:
    name: str
    on_trust: bool
    on_global: bool


def _standings(school: School, pupils: Any) -> dict[int, _Standing]:
    """Per pupil of `pupils` (a Pupil queryset of the scope) who may be on the boards:
    never a restricted one (DSR-5); on the shared boards only with consent (CON-2) at a
    school that joined them. Three queries."""
    from markbook.consent.selectors import GLOBAL_LEADERBOARD, pupils_with_consent
    from markbook.privacy.restriction import leaderboard_pupils

    shown = leaderboard_pupils(pupils.filter(status=Pupil.Status.ON_ROLL))
    consented = set(pupils_with_consent(shown, GLOBAL_LEADERBOARD).values_list("pk", flat=True))
    rows = shown.only("id", "school_id", "first_name", "last_name", "pseudonym")
    trust = bool(school.trust_id) and school.boards_trust
    return {
        p.pk: _Standing(
            name=board_name(p, school),
            on_trust=trust and p.pk in consented,
            on_global=school.boards_global and p.pk in consented,
        )
        for p in rows
    }


# --- The hot path ------------------------------------------------------------------------


def _increments(item: Item, attempt_mode: str) -> tuple[int, int, int]:
    points = int(item.points or 0)
    if attempt_mode == QuestionSet.Mode.TRIAL and TIMES_FACT.match(item.fact or ""):
        return points, 1 if item.correct else 0, int(item.response_ms or 0)
    return points, 0, 0


def _attempt_mode(item: Item) -> str:
    # The answering service holds the attempt; reading it again would cost a query.
    cached = Item.attempt.is_cached(item)
    if cached:
        return item.attempt.mode
    return Attempt.objects.filter(pk=item.attempt_id).values_list("mode", flat=True).first() or ""


def _current(starts: dict[str, date]) -> Q:
    return Q(period=Period.WEEK, starts=starts[Period.WEEK]) | (
        Q(period=Period.MONTH, starts=starts[Period.MONTH])
        | Q(period=Period.YEAR, starts=starts[Period.YEAR])
    )


_ADD = (
    "UPDATE {table} SET points = points + %s, trial_correct = trial_correct + %s, "
    "trial_ms = trial_ms + %s WHERE school_id = %s AND pupil_id = %s AND ("
    "(period = 'week' AND starts = %s) OR (period = 'month' AND starts = %s) "
    "OR (period = 'year' AND starts = %s))"
)


def answered(*, item: Item) -> None:
    """Count an acknowledged answer's points (and a trial's speed) towards the boards
    (ASM-6). One UPDATE in the common case; see the module docstring.

    The UPDATE is written in SQL: it runs for every answer, and the ORM's building of it
    cost more than the statement itself (bench/boards.py). It touches only the scope's
    school's rows (the WHERE names it; on PostgreSQL row-level security checks it too)."""
    points, correct, ms = _increments(item, _attempt_mode(item))
    if not (points or correct or ms):
        return
    starts = period_starts(_local_day(item.answered_at))
    days: list[Any] = [starts[Period.WEEK], starts[Period.MONTH], starts[Period.YEAR]]
    if connection.vendor != "postgresql":
        days = [d.isoformat() for d in days]  # SQLite keeps dates as ISO text
    with connection.cursor() as cursor:
        cursor.execute(
            _ADD.format(table=connection.ops.quote_name(BoardEntry._meta.db_table)),
            [points, correct, ms, item.school_id, item.pupil_id, *days],
        )
        updated = cursor.rowcount
    if updated == len(starts):
        return
    add = {
        "points": F("points") + points,
        "trial_correct": F("trial_correct") + correct,
        "trial_ms": F("trial_ms") + ms,
    }
    _enter(item, starts, add)


def _enter(item: Item, starts: dict[str, date], add: dict[str, Any]) -> None:
    """The pupil's missing rows for the current periods, if they may be on the boards,
    then the answer added to them."""
    school = School.objects.get(pk=item.school_id)
    standing = _standings(school, Pupil.objects.filter(pk=item.pupil_id)).get(item.pupil_id)
    if standing is None:  # restricted, or not on roll: on no board (DSR-5)
        return
    mine = BoardEntry.objects.filter(school_id=item.school_id, pupil_id=item.pupil_id)
    have = set(mine.filter(_current(starts)).values_list("period", "starts"))
    missing = [(p, d) for p, d in starts.items() if (p, d) not in have]
    BoardEntry.objects.bulk_create(
        [_row(school, item.pupil_id, standing, p, d) for p, d in missing],
        ignore_conflicts=True,  # a concurrent answer of the same pupil inserted it first
    )
    keys = Q()
    for p, d in missing:
        keys |= Q(period=p, starts=d)
    mine.filter(keys).update(**add)


def _row(
    school: School, pupil_id: int, standing: _Standing, period: str, starts: date, **figures: int
) -> BoardEntry:
    return BoardEntry(
        school=school,
        pupil_id=pupil_id,
        trust_id=school.trust_id,
        period=period,
        starts=starts,
        name=standing.name,
        school_name=school_board_name(school),
        on_trust=standing.on_trust,
        on_global=standing.on_global,
        **figures,
    )


# --- Rebuilds ----------------------------------------------------------------------------


def _figures(pupil_ids: Iterable[int], day: date) -> dict[tuple[int, str], dict[str, int]]:
    """Each pupil's points and trial figures per current period, from their items."""
    ids = list(pupil_ids)
    found: dict[tuple[int, str], dict[str, int]] = {}
    if not ids:
        return found
    trial = Q(attempt__mode=QuestionSet.Mode.TRIAL, fact__regex=TIMES_FACT_SQL)
    for period, start in period_starts(day).items():
        rows = (
            Item.objects.filter(pupil_id__in=ids, answered_at__gte=_aware(start))
            .values("pupil_id")
            .annotate(
                p=Sum("points"),
                c=Count("pk", filter=trial & Q(correct=True)),
                ms=Sum("response_ms", filter=trial),
            )
            .order_by()
        )
        for row in rows:
            found[(row["pupil_id"], period)] = {
                "points": int(row["p"] or 0),
                "trial_correct": int(row["c"] or 0),
                "trial_ms": int(row["ms"] or 0),
            }
    return found


def _rewrite(school: School, pupils: Any, day: date) -> int:
    standings = _standings(school, pupils)
    figures = _figures(standings, day)
    starts = period_starts(day)
    rows = [
        _row(school, pupil_id, standings[pupil_id], period, starts[period], **values)
        for (pupil_id, period), values in figures.items()
    ]
    BoardEntry.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def rebuild_rows(*, school: School, day: date | None = None) -> int:
    """Rewrite the school's rows of the projection from its own data, in its scope: the
    work of `boards_rebuild`, unaudited for the demo seed (which records one summary)."""
    day = day or _local_day(None)
    with school_scope(school):
        BoardEntry.objects.filter(school=school).delete()
        return _rewrite(school, Pupil.objects.filter(school=school), day)


@transaction.atomic
def boards_rebuild(*, school: School, actor: Any = None, day: date | None = None) -> int:
    """Rewrite the school's rows of the projection from its own data, in its scope
    (ASM-6): restricted pupils left out (DSR-5), the shared boards' flags from consent
    and the school's settings (CON-2). Idempotent; the number of rows written."""
    written = rebuild_rows(school=school, day=day)
    audit.record(
        actor=actor,
        school=school,
        action="practice.boards.rebuilt",
        data={"rows": written, "trust": school.boards_trust, "global": school.boards_global},
    )
    return written


@transaction.atomic
def board_pupil_refresh(*, pupil: Pupil, day: date | None = None) -> int:
    """Rewrite one pupil's rows (after a restriction is placed or lifted, or their
    parents' answer on the leaderboard consent changed: DSR-5, CON-2). Not audited: the
    change that calls it is."""
    day = day or _local_day(None)
    school = School.objects.get(pk=pupil.school_id)
    with school_scope(school):
        BoardEntry.objects.filter(school=school, pupil_id=pupil.pk).delete()
        return _rewrite(school, Pupil.objects.filter(pk=pupil.pk), day)
