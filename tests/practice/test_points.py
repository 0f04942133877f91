"""Points (ASM-2): diminishing for a repeated style, capped per day and per week, so
no sequence of answers earns more than the caps."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from markbook.practice import points
from markbook.practice.points import DAILY_CAP, SCHEDULE, WEEKLY_CAP, Tally, award

MONDAY = date(2026, 11, 30)

answers = st.lists(
    st.tuples(
        st.sampled_from(["x7", "x8", "/7", "add:1", "sub:3", "set:9"]),
        st.booleans(),
        st.integers(min_value=0, max_value=20),  # days after a Monday
    ),
    max_size=400,
)


@settings(max_examples=200, deadline=None)
@given(answers)
def test_no_sequence_earns_more_than_the_caps(sequence):
    tally = Tally()
    per_day: dict[date, int] = {}
    per_week: dict[date, int] = {}
    for style, correct, offset in sorted(sequence, key=lambda a: a[2]):
        today = MONDAY + timedelta(days=offset)
        earned, tally = award(tally, style=style, correct=correct, today=today)
        assert earned >= 0
        if not correct:
            assert earned == 0
        per_day[today] = per_day.get(today, 0) + earned
        week = points.monday(today)
        per_week[week] = per_week.get(week, 0) + earned
    assert all(total <= DAILY_CAP for total in per_day.values())
    assert all(total <= WEEKLY_CAP for total in per_week.values())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=60), st.sampled_from(["x7", "add:2"]))
def test_points_for_one_style_in_a_day_never_go_up(corrects, style):
    """Diminishing order: each right answer of a style earns no more than the one
    before it that day."""
    tally = Tally()
    earned_right = []
    for correct in corrects:
        earned, tally = award(tally, style=style, correct=correct, today=MONDAY)
        if correct:
            earned_right.append(earned)
    assert earned_right == sorted(earned_right, reverse=True)
    assert earned_right[: len(SCHEDULE)] == list(SCHEDULE)[: len(earned_right)]


def test_the_schedule_starts_again_the_next_day_and_per_style():
    tally = Tally()
    got = []
    for style in ["x7", "x7", "x7", "x7", "x7", "x8"]:
        earned, tally = award(tally, style=style, correct=True, today=MONDAY)
        got.append(earned)
    assert got == [10, 5, 3, 1, 1, 10]
    earned, tally = award(tally, style="x7", correct=True, today=MONDAY + timedelta(days=1))
    assert earned == 10


def test_a_cap_gives_what_is_left_then_nothing():
    tally = Tally(day=MONDAY, day_points=DAILY_CAP - 4, week=MONDAY, week_points=DAILY_CAP - 4)
    earned, tally = award(tally, style="x3", correct=True, today=MONDAY)
    assert earned == 4
    earned, tally = award(tally, style="x4", correct=True, today=MONDAY)
    assert earned == 0
    weekly = Tally(day=MONDAY, day_points=0, week=MONDAY, week_points=WEEKLY_CAP)
    assert award(weekly, style="x3", correct=True, today=MONDAY)[0] == 0
    # A new week starts the weekly count again.
    assert award(weekly, style="x3", correct=True, today=MONDAY + timedelta(days=7))[0] == 10


def test_the_rules_in_words_say_the_numbers():
    text = " ".join(points.RULES)
    for number in (*SCHEDULE, DAILY_CAP, WEEKLY_CAP):
        assert str(number) in text
