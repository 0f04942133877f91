"""Who is practising now and on which question, for the teacher's live class view
(ASM-2). Kept in Django's cache (Redis in production, the database cache in the demo),
never the database, so a refresh costs the same however many answers there are.

The answering service calls `seen(attempt=..., item=...)` whenever a pupil is shown a
question or answers one: one cache write per pupil, holding when they were last seen,
the set, the question's place and its prompt as shown, never its answer. The teacher's
page asks `class_state(teaching_class)`: the class's roster (cached for
`ROSTER_SECONDS`, so a pupil joining the class shows within that time) and one
`get_many` of its pupils' keys.

Every server process must share the cache: with a per-process cache (locmem) a
teacher served by one process would not see the pupils served by another.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from markbook.practice.models import Attempt, Item, QuestionSet
from markbook.rosters.models import Pupil, TeachingClass

# Seen in the last minute: online now.
ONLINE_SECONDS = 60
# How long a pupil's last position is kept after they were last seen.
KEEP_SECONDS = 30 * 60
ROSTER_SECONDS = 60


def pupil_key(school_id: int, pupil_id: int) -> str:
    return f"practice:live:{school_id}:pupil:{pupil_id}"


def roster_key(school_id: int, class_id: int) -> str:
    return f"practice:live:{school_id}:class:{class_id}"


def _set_title(attempt: Attempt) -> str:
    if Attempt.question_set.is_cached(attempt):
        return attempt.question_set.title
    title = (
        QuestionSet.objects.filter(pk=attempt.question_set_id)
        .values_list("title", flat=True)
        .first()
    )
    return title or ""


def seen(*, attempt: Attempt, item: Item | None) -> None:
    """Record that the attempt's pupil is online and on `item` (None: finished)."""
    state = {
        "at": timezone.now().timestamp(),
        "attempt_id": attempt.pk,
        "set_id": attempt.question_set_id,
        "set": _set_title(attempt),
        "position": item.position if item is not None else None,
        "total": attempt.total,
        "prompt": item.prompt if item is not None else "",
        "finished": item is None,
    }
    cache.set(pupil_key(attempt.school_id, attempt.pupil_id), state, KEEP_SECONDS)


def forget_roster(teaching_class: TeachingClass) -> None:
    """Read the class's pupils afresh on the next refresh."""
    cache.delete(roster_key(teaching_class.school_id, teaching_class.pk))


@dataclass
class LivePupil:
    pupil_id: int
    name: str
    last_seen: datetime | None = None
    online: bool = False
    set_id: int | None = None
    set_title: str = ""
    position: int | None = None
    total: int | None = None
    prompt: str = ""
    finished: bool = False

    @property
    def seconds_ago(self) -> int | None:
        if self.last_seen is None:
            return None
        return max(0, int((timezone.now() - self.last_seen).total_seconds()))


def roster(teaching_class: TeachingClass) -> list[tuple[int, str]]:
    """The class's pupils (id, name) in name order, cached for ROSTER_SECONDS."""
    key = roster_key(teaching_class.school_id, teaching_class.pk)
    found: list[tuple[int, str]] | None = cache.get(key)
    if found is None:
        pupils = (
            Pupil.objects.select_related("school")
            .filter(enrolments__teaching_class=teaching_class)
            .order_by("last_name", "first_name", "pk")
            .distinct()
        )
        found = [(p.pk, p.display_name) for p in pupils]
        cache.set(key, found, ROSTER_SECONDS)
    return found


def _pupil(pupil_id: int, name: str, state: dict[str, Any] | None, now: float) -> LivePupil:
    if not state:
        return LivePupil(pupil_id=pupil_id, name=name)
    at = float(state.get("at", 0))
    return LivePupil(
        pupil_id=pupil_id,
        name=name,
        last_seen=datetime.fromtimestamp(at, tz=timezone.get_current_timezone()),
        online=now - at <= ONLINE_SECONDS,
        set_id=state.get("set_id"),
        set_title=str(state.get("set", "")),
        position=state.get("position"),
        total=state.get("total"),
        prompt=str(state.get("prompt", "")),
        finished=bool(state.get("finished")),
    )


def class_state(teaching_class: TeachingClass) -> list[LivePupil]:
    """Each pupil of the class: online now or not, and where they are (ASM-2). Online
    pupils first, then by name; at most two cache reads (and one query when the
    cached roster has expired)."""
    pupils = roster(teaching_class)
    keys = {pupil_key(teaching_class.school_id, pk): (pk, name) for pk, name in pupils}
    states = cache.get_many(list(keys))
    now = timezone.now().timestamp()
    shown = [_pupil(pk, name, states.get(key), now) for key, (pk, name) in keys.items()]
    return sorted(shown, key=lambda p: not p.online)
