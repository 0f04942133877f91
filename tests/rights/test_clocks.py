"""The statutory clocks (DSR-6, DSR-8): one calendar month, the one extension of two
further months, and 15 school days counted over half terms and closure days."""

import calendar
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from markbook.rights import clocks
from markbook.rights.clocks import Period

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
# The machine is shared (two cores, other test runs): no timing health checks.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_month_examples():
    """DSR-6: the corresponding day, or the month's last day."""
    assert clocks.month_due(date(2027, 1, 31)) == date(2027, 2, 28)
    assert clocks.month_due(date(2028, 1, 31)) == date(2028, 2, 29)
    assert clocks.month_due(date(2026, 12, 15)) == date(2027, 1, 15)
    assert clocks.month_due(date(2027, 3, 31)) == date(2027, 4, 30)
    assert clocks.extended_due(date(2026, 11, 30)) == date(2027, 2, 28)
    assert clocks.extended_due(date(2027, 1, 31)) == date(2027, 4, 30)


@relaxed
@given(days, st.integers(min_value=0, max_value=36))
def test_add_months_is_the_corresponding_day_or_the_last(day, months):
    """DSR-6: the month moves on by exactly `months`; the day is kept, or clipped to
    the month's last day when the month is shorter."""
    due = clocks.add_months(day, months)
    assert (due.year * 12 + due.month) - (day.year * 12 + day.month) == months
    last = calendar.monthrange(due.year, due.month)[1]
    assert due.day == min(day.day, last)
    assert due >= day


@relaxed
@given(days)
def test_one_month_is_between_28_and_31_days(day):
    """DSR-6: never early, never more than a month's length."""
    assert 28 <= (clocks.month_due(day) - day).days <= 31


@relaxed
@given(days)
def test_the_extension_is_two_further_months(day):
    """DSR-6: three calendar months from receipt, never before the month's due date."""
    assert clocks.extended_due(day) == clocks.add_months(day, 3)
    assert clocks.extended_due(day) > clocks.month_due(day)
    assert 89 <= (clocks.extended_due(day) - day).days <= 92


def _weekdays(start: date, end: date) -> list[date]:
    return [
        start + timedelta(n)
        for n in range((end - start).days + 1)
        if (start + timedelta(n)).weekday() < 5
    ]


def test_fifteen_school_days_over_a_half_term():
    """DSR-8: received Friday 16 October 2026; half term 26-30 October. School days from
    Monday 19: 19-23 October (5), then 2-6 November (10), then 9-13 (15)."""
    terms = [Period(date(2026, 9, 7), date(2026, 12, 18))]
    closures = [Period(date(2026, 10, 26), date(2026, 10, 30))]
    assert clocks.school_days_due(date(2026, 10, 16), terms, closures) == date(2026, 11, 13)
    # A training day on Monday 2 November moves it on by one school day.
    closures.append(Period(date(2026, 11, 2), date(2026, 11, 2)))
    assert clocks.school_days_due(date(2026, 10, 16), terms, closures) == date(2026, 11, 16)


def test_a_request_in_the_holidays_waits_for_the_next_term():
    """DSR-8: received in the summer holiday, the count starts with the autumn term."""
    terms = [
        Period(date(2026, 4, 13), date(2026, 7, 22)),
        Period(date(2026, 9, 7), date(2026, 12, 18)),
    ]
    assert clocks.school_days_due(date(2026, 7, 30), terms, []) == date(2026, 9, 25)


def test_no_terms_ahead_gives_none():
    assert clocks.school_days_due(date(2026, 7, 30), [], []) is None


@st.composite
def calendars(draw):  # type: ignore[no-untyped-def]
    start = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)))
    length = draw(st.integers(min_value=30, max_value=200))
    term = Period(start, start + timedelta(days=length))
    closures = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        c_start = start + timedelta(days=draw(st.integers(min_value=0, max_value=length)))
        closures.append(Period(c_start, c_start + timedelta(days=draw(st.integers(0, 9)))))
    received = start - timedelta(days=draw(st.integers(min_value=0, max_value=20)))
    return received, [term], closures


@relaxed
@given(calendars())
def test_fifteen_school_days_counts_exactly_the_open_weekdays(case):
    """DSR-8: between receipt (not counted) and the due date (counted) there are exactly
    15 weekdays in a term and in no closure, and the due date is one of them."""
    received, terms, closures = case
    due = clocks.school_days_due(received, terms, closures)
    open_days = [
        d
        for d in _weekdays(received + timedelta(1), terms[0].end)
        if d in terms[0] and not any(d in c for c in closures)
    ]
    if len(open_days) < 15:
        assert due is None
        return
    assert due == open_days[14]
    assert due.weekday() < 5
    assert not any(due in c for c in closures)


@relaxed
@given(st.integers(min_value=2020, max_value=2060))
def test_england_pattern_is_three_terms_with_a_half_term_inside_each(start_year):
    """DSR-8: the default a school edits: autumn, spring and summer terms in order, in
    the academic year, each with a week's half term (Monday to Friday) inside it."""
    pattern = clocks.england_pattern(start_year)
    terms = [p for p in pattern if p.kind == "term"]
    closures = [p for p in pattern if p.kind == "closure"]
    assert [t.name for t in terms] == ["Autumn term", "Spring term", "Summer term"]
    assert date(start_year, 9, 1) <= terms[0].start < terms[0].end < terms[1].start
    assert terms[1].end < terms[2].start < terms[2].end <= date(start_year + 1, 7, 31)
    for term, half in zip(terms, closures, strict=True):
        assert term.start < half.start and half.end < term.end
        assert half.start.weekday() == 0 and (half.end - half.start).days == 4
    # Roughly 190 school days, as in England (the school corrects the exact dates).
    count = sum(
        1
        for t in terms
        for d in _weekdays(t.start, t.end)
        if not any(c.start <= d <= c.end for c in closures)
    )
    assert 180 <= count <= 200
