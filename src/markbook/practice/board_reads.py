"""Reading the leaderboards (ASM-6, SEC-6), in three queries whatever their size.

The class and school boards read the school's own rows of the projection in the
request's scope. The trust and global boards are the one place where one school's
pupils are shown to another school's users: they read `BoardEntry` (and nothing else)
outside the scope, with `all_schools()`, so this module is in UNSCOPED_ALLOW_LIST. The
rows they read were reduced before they were written (first name and surname initial,
the school's name; no restricted pupil, none without consent: see practice.boards),
and the read checks once more that each row's school still joins that board.

Who sees which board (`boards_open`): the class board, a pupil of the class and its
teachers (administrators: any class); the school board, pupils in a class and the
school's staff; the trust and global boards, the users of a school that joined them,
a pupil only with their parents' consent (CON-2: the feature is off without it).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F, FloatField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from markbook.admission import ADMINS, STAFF, Access
from markbook.core.tenancy import all_schools
from markbook.practice.boards import SPEED_MIN_FACTS, TOP, Period, period_start
from markbook.practice.models import BoardEntry
from markbook.rosters.models import Pupil, TeachingClass
from markbook.schools.models import School

KINDS = {"class": "Class", "school": "School", "trust": "Trust", "global": "Global"}
METRICS = {"points": "Points", "speed": "Times-table speed"}
PERIODS = dict(Period.choices)
CLASS_LIMIT = 100


@dataclass
class Row:
    place: int
    name: str
    school: str
    points: int
    speed: float | None
    me: bool = False


@dataclass
class Board:
    kind: str
    metric: str
    period: str
    starts: date
    rows: list[Row]
    me: Row | None


@dataclass
class Viewer:
    """Who is looking: the school they look from, and their own pupil record, if any."""

    school: School
    pupil: Pupil | None
    classes: list[TeachingClass]
    kinds: list[str]


def viewer_for(user: Any, access: Access) -> Viewer:
    """The boards a user may open in the request's school (see the module docstring)."""
    from markbook.consent.selectors import GLOBAL_LEADERBOARD, has_consent
    from markbook.rosters import selectors as roster_selectors

    school = access.school
    assert school is not None
    pupil = None
    classes: list[TeachingClass] = []
    kinds: list[str] = []
    consented = True
    if access.has(*STAFF):
        visible = roster_selectors.classes_visible_to(user, access)
        if not access.has(*ADMINS):
            visible = visible.filter(teacher_links__teacher=user)
        classes = list(roster_selectors.classes_current(visible).distinct())
        kinds = ["class", "school"] if classes else ["school"]
    elif access.has("pupil"):
        pupil = Pupil.objects.filter(user=user).first()
        if pupil is None:
            return Viewer(school, None, [], [])
        classes = list(
            roster_selectors.classes_current(
                TeachingClass.objects.filter(enrolments__pupil=pupil)
            ).distinct()
        )
        kinds = ["class", "school"] if classes else []
        consented = has_consent(pupil, GLOBAL_LEADERBOARD)
    else:
        return Viewer(school, None, [], [])
    if consented and school.trust_id and school.boards_trust:
        kinds.append("trust")
    if consented and school.boards_global:
        kinds.append("global")
    return Viewer(school, pupil, classes, kinds)


def _ranked(found: QuerySet[BoardEntry], metric: str) -> tuple[QuerySet[BoardEntry], str]:
    if metric == "speed":
        speed = Cast(F("trial_correct"), FloatField()) * 60000.0 / Cast(F("trial_ms"), FloatField())
        ranked = found.filter(trial_correct__gte=SPEED_MIN_FACTS, trial_ms__gt=0).annotate(
            value=speed
        )
    else:
        ranked = found.filter(points__gt=0).annotate(value=F("points"))
    return ranked.order_by("-value", "name", "pk"), "value"


def _rows(entries: list[BoardEntry], names: dict[int, str] | None) -> list[Row]:
    rows: list[Row] = []
    for index, entry in enumerate(entries):
        value = entry.value  # type: ignore[attr-defined]
        same = rows and value == entries[index - 1].value  # type: ignore[attr-defined]
        rows.append(
            Row(
                place=rows[-1].place if same else index + 1,
                name=names.get(entry.pupil_id, entry.name) if names else entry.name,
                school=entry.school_name,
                points=entry.points,
                speed=round(entry.speed, 1) if entry.speed is not None else None,
            )
        )
    return rows


def board_read(
    viewer: Viewer,
    *,
    kind: str,
    metric: str,
    period: str,
    teaching_class: TeachingClass | None = None,
    day: date | None = None,
) -> Board:
    """One board, the viewer's own row marked: the top 20 (a class: all of it) and the
    viewer's place when it is below them. The caller checked `kind in viewer.kinds`."""
    starts = period_start(period, day or timezone.localdate())
    if kind in ("trust", "global"):
        # The scoped manager filters when the query is made: made here, it sees every
        # school (the rows of the declared projection only).
        with all_schools():
            shared = BoardEntry.objects.filter(period=period, starts=starts)
            if kind == "trust":
                shared = shared.filter(
                    trust_id=viewer.school.trust_id or 0, on_trust=True, school__boards_trust=True
                )
            else:
                shared = shared.filter(on_global=True, school__boards_global=True)
            ranked, value = _ranked(shared, metric)
            entries = list(ranked[:TOP])
            return _finish(viewer, kind, metric, period, starts, ranked, value, entries, None)
    base = BoardEntry.objects.filter(period=period, starts=starts)
    limit = TOP
    if kind == "class":
        assert teaching_class is not None
        base = base.filter(pupil__enrolments__teaching_class=teaching_class).select_related("pupil")
        limit = CLASS_LIMIT
    else:
        base = base.filter(school=viewer.school)
    ranked, value = _ranked(base, metric)
    entries = list(ranked[:limit])
    names: dict[int, str] | None = None
    if kind == "class":
        # Inside the class, full names (the pupil's display name: their pseudonym where
        # the school uses them).
        names = {}
        for entry in entries:
            entry.pupil.school = viewer.school
            names[entry.pupil_id] = entry.pupil.display_name
    return _finish(viewer, kind, metric, period, starts, ranked, value, entries, names)


def _finish(
    viewer: Viewer,
    kind: str,
    metric: str,
    period: str,
    starts: date,
    ranked: QuerySet[BoardEntry],
    value: str,
    entries: list[BoardEntry],
    names: dict[int, str] | None,
) -> Board:
    rows = _rows(entries, names)
    me: Row | None = None
    pupil = viewer.pupil
    if pupil is not None:
        for row, entry in zip(rows, entries, strict=True):
            if entry.pupil_id == pupil.pk and entry.school_id == pupil.school_id:
                row.me = True
                me = row
        if me is None:
            own = ranked.filter(pupil_id=pupil.pk, school_id=pupil.school_id).first()
            if own is not None:
                mine = own.value  # type: ignore[attr-defined]
                place = ranked.filter(**{f"{value}__gt": mine}).count() + 1
                me = Row(
                    place=place,
                    name=pupil.display_name if kind == "class" else own.name,
                    school=own.school_name,
                    points=own.points,
                    speed=round(own.speed, 1) if own.speed is not None else None,
                    me=True,
                )
    return Board(kind, metric, period, starts, rows, me)
