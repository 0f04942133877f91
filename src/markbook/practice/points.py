"""Points for practice answers (ASM-2): one pure function, `award`, and the same rules
in words for pupils (`RULES`, shown under "How points work").

- A correct answer earns points; a wrong or timed-out one earns none.
- Diminishing points: the first correct answers of a style in a day earn 10, then 5,
  then 3, then 1 point each for the rest of that day (`SCHEDULE`). A style is the kind
  of question: one times table, one operation at one level, one teacher's set. So
  practising many kinds of question earns more than repeating one.
- Caps: at most `DAILY_CAP` points a day and `WEEKLY_CAP` a week (Monday to Sunday);
  an answer past a cap earns what is left under it, then nothing.

Days and weeks are the school's (settings.TIME_ZONE). The state it counts with is
small and kept on the pupil's `Standing` row, so an answer never reads the pupil's
history.
"""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

SCHEDULE = (10, 5, 3, 1)
DAILY_CAP = 200
WEEKLY_CAP = 600


@dataclass(frozen=True)
class Tally:
    """What has counted so far: today's and this week's points, today's correct
    answers per style."""

    day: date | None = None
    day_points: int = 0
    week: date | None = None
    week_points: int = 0
    styles: dict[str, int] = field(default_factory=dict)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def award(tally: Tally, *, style: str, correct: bool, today: date) -> tuple[int, Tally]:
    """The points an answer earns and the tally after it.

    Never more than the caps allow, whatever the sequence of answers; for one style
    on one day, never more than the answer before (diminishing)."""
    if tally.day != today:
        tally = replace(tally, day=today, day_points=0, styles={})
    if tally.week != monday(today):
        tally = replace(tally, week=monday(today), week_points=0)
    if not correct:
        return 0, tally
    repeats = tally.styles.get(style, 0)
    earned = SCHEDULE[min(repeats, len(SCHEDULE) - 1)]
    earned = max(0, min(earned, DAILY_CAP - tally.day_points, WEEKLY_CAP - tally.week_points))
    return earned, replace(
        tally,
        day_points=tally.day_points + earned,
        week_points=tally.week_points + earned,
        styles={**tally.styles, style: repeats + 1},
    )


def rules() -> list[str]:
    """The rules in words, for the pupil's practice page."""
    first, second, third, rest = SCHEDULE
    return [
        "Each right answer earns points. Wrong answers, and answers given after the "
        "time is up, earn none.",
        f"The first right answer of a kind of question each day earns {first} points, "
        f"the second {second}, the third {third}, and every one after that {rest}. A kind "
        "of question is one times table, one kind of sum at one level, or one of your "
        "teacher's sets, so practising different kinds earns more.",
        f"You can earn up to {DAILY_CAP} points a day and {WEEKLY_CAP} points a week "
        "(Monday to Sunday). After that you can keep practising, but without points.",
    ]


RULES = rules()
