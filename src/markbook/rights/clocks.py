"""The statutory clocks of data-subject requests (DSR-6, DSR-8): pure functions of dates.

- A request is due one calendar month after the day it was received: the same day
  of the next month, or that month's last day when it has no such day (31 January ->
  28 or 29 February).
- It may be extended once by two further months: due three calendar months after
  receipt, counted the same way.
- A parent's request to see their child's educational record (England's pupil
  information regulations) is due within 15 school days: the day of receipt is not
  counted, and a school day is a weekday inside one of the school's terms and outside
  its closures (half terms, training days, bank holidays).

`england_pattern` gives England's usual three terms with their half-term breaks for
an academic year, as the default a school edits.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

MONTH = 1
EXTENSION = 2  # further months, once (DSR-6)
SCHOOL_DAYS = 15  # a parent's request for the educational record (DSR-8)
NEAR_DUE_DAYS = 7  # the DPO's page and the dashboard call these near due
# How far to look for school days before giving up (a calendar with no terms ahead).
SEARCH_LIMIT_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """A run of days, both ends included: a term, or a closure inside one."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, or that month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_due(received: date) -> date:
    """One calendar month after receipt (DSR-6)."""
    return add_months(received, MONTH)


def extended_due(received: date) -> date:
    """One month plus the two-month extension: three calendar months after receipt."""
    return add_months(received, MONTH + EXTENSION)


def is_school_day(day: date, terms: Iterable[Period], closures: Iterable[Period]) -> bool:
    """A weekday inside a term and outside every closure."""
    return (
        day.weekday() < 5 and any(day in t for t in terms) and not any(day in c for c in closures)
    )


def school_days_due(
    received: date,
    terms: Iterable[Period],
    closures: Iterable[Period],
    days: int = SCHOOL_DAYS,
) -> date | None:
    """The `days`-th school day after the day of receipt (DSR-8); None when the
    calendar has too few school days ahead (its next terms are not entered)."""
    terms, closures = list(terms), list(closures)
    counted = 0
    day = received
    for _ in range(SEARCH_LIMIT_DAYS):
        day += timedelta(days=1)
        if is_school_day(day, terms, closures):
            counted += 1
            if counted == days:
                return day
    return None


def days_left(due: date, today: date) -> int:
    """Calendar days until the due date; negative once it has passed."""
    return (due - today).days


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=last.weekday())


def _friday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 4) % 7)


@dataclass(frozen=True)
class PatternPeriod:
    kind: str  # "term" or "closure"
    name: str
    start: date
    end: date


def england_pattern(start_year: int) -> list[PatternPeriod]:
    """England's usual pattern for the academic year starting in September of
    `start_year`: autumn (early September to just before Christmas, half term at the
    end of October), spring (early January to the end of March, half term in
    mid-February) and summer (mid-April to late July, half term at the end of May).
    Approximate by design: the school corrects it to its own dates."""
    y, n = start_year, start_year + 1
    autumn = _monday_on_or_after(date(y, 9, 1))
    october = _last_monday(y, 10)
    spring = _monday_on_or_after(date(n, 1, 4))
    february = _monday_on_or_after(date(n, 2, 12))
    summer = _monday_on_or_after(date(n, 4, 14))
    may = _last_monday(n, 5)
    return [
        PatternPeriod("term", "Autumn term", autumn, _friday_on_or_before(date(y, 12, 20))),
        PatternPeriod("closure", "Autumn half term", october, october + timedelta(days=4)),
        PatternPeriod("term", "Spring term", spring, _friday_on_or_before(date(n, 3, 31))),
        PatternPeriod("closure", "Spring half term", february, february + timedelta(days=4)),
        PatternPeriod("term", "Summer term", summer, _friday_on_or_before(date(n, 7, 22))),
        PatternPeriod("closure", "Summer half term", may, may + timedelta(days=4)),
    ]
