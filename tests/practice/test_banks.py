"""Generated banks (ASM-2): times tables and arithmetic in graded ranges, every
question rebuilt from its fact key; the built-in sets made once per school."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.practice import banks
from markbook.practice.models import QuestionSet


def test_times_table_facts_and_questions():
    facts = banks.times_table_facts({"tables": [7], "operations": ["multiply", "divide"]})
    assert len(facts) == 24
    assert "7x8" in facts and "56/7" in facts
    seven_eights = banks.question("7x8")
    assert (seven_eights.style, seven_eights.prompt, seven_eights.expected) == ("x7", "7 × 8", "56")
    divide = banks.question("56/7")
    assert (divide.style, divide.prompt, divide.expected) == ("/7", "56 ÷ 7", "8")


def test_arithmetic_questions_from_their_keys():
    q = banks.question("add:23+45")
    assert (q.style, q.prompt, q.expected) == ("add:3", "23 + 45", "68")
    assert banks.question("sub:8-3").expected == "5"
    assert banks.question("mul:12x7").expected == "84"
    assert banks.question("div:84/7").expected == "12"


@pytest.mark.parametrize(
    "fact", ["", "7x", "x8", "div:85/7", "div:5/0", "pow:2^3", "7x8x9", "add:1+a"]
)
def test_facts_no_bank_knows_are_refused(fact):
    with pytest.raises(banks.BankError):
        banks.question(fact)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**32),
    st.sampled_from([1, 2, 3, 4]),
    st.sampled_from(["add", "sub", "mul", "div"]),
)
def test_arithmetic_stays_within_its_level(seed, level, op):
    """Every number of the question and its answer within the level's limit, never
    negative, divisions exact; and the set contains what it draws."""
    generator = {"operations": [op], "level": level}
    asked = banks.draw(QuestionSet.Kind.ARITHMETIC, generator, random.Random(seed))
    limit = banks.LEVELS[level]
    numbers = [
        int(n)
        for n in asked.fact.split(":")[1]
        .replace("+", " ")
        .replace("-", " ")
        .replace("x", " ")
        .replace("/", " ")
        .split()
    ]
    assert all(0 <= n <= limit for n in numbers)
    assert 0 <= int(asked.expected) <= limit
    if op == "div":
        a, b = numbers
        assert a % b == 0
    assert asked.style.startswith(op + ":")
    assert banks.contains(QuestionSet.Kind.ARITHMETIC, generator, asked.fact)


def test_a_trial_sequence_is_fixed_by_its_seed_without_repeats():
    generator = {"tables": list(range(2, 13)), "operations": ["multiply"]}
    first = banks.sequence(QuestionSet.Kind.TIMES_TABLES, generator, 42, 25)
    assert first == banks.sequence(QuestionSet.Kind.TIMES_TABLES, generator, 42, 25)
    assert len(set(first)) == 25
    assert first != banks.sequence(QuestionSet.Kind.TIMES_TABLES, generator, 43, 25)


def test_contains_keeps_to_the_chosen_tables():
    generator = {"tables": [2, 5], "operations": ["multiply"]}
    assert banks.contains(QuestionSet.Kind.TIMES_TABLES, generator, "5x7")
    assert not banks.contains(QuestionSet.Kind.TIMES_TABLES, generator, "7x5")
    assert not banks.contains(QuestionSet.Kind.TIMES_TABLES, generator, "35/5")


def test_builtin_sets_are_made_once(world, django_assert_num_queries):
    with school_scope(world.a):
        made = banks.builtin_sets_ensure(school=world.a)
        assert made == len(banks.BUILTINS)
        with django_assert_num_queries(1):
            assert banks.builtin_sets_ensure(school=world.a) == 0
        trial = QuestionSet.objects.get(generator__builtin="tables-trial")
        assert (trial.mode, trial.question_count, trial.seconds_per_question) == ("trial", 25, 6)
        assert QuestionSet.objects.filter(published=True).count() == len(banks.BUILTINS)
        assert AuditEvent.objects.filter(action="practice.builtin_sets.created").count() == 1
    with school_scope(world.b):
        assert QuestionSet.objects.count() == 0


def test_a_renamed_builtin_is_not_made_again(world):
    with school_scope(world.a):
        banks.builtin_sets_ensure(school=world.a)
        QuestionSet.objects.filter(generator__builtin="tables-practice").update(title="Tables!")
        assert banks.builtin_sets_ensure(school=world.a) == 0
