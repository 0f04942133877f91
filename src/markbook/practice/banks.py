"""Generated question banks, so every school has practice from day one (ASM-2).

Two generators, their parameters kept in `QuestionSet.generator`:

- times tables: `{"tables": [2, ..., 12], "operations": ["multiply", "divide"]}`.
  The facts of table t are "t x n" (fact "7x8", answer 56) and, for division,
  "(t*n) / t" (fact "56/7", answer 8), for n from 1 to 12. Their style, which
  diminishing points count repeats of, is the table: "x7" and "/7".
- arithmetic: `{"operations": ["add", "sub", "mul", "div"], "level": 1..4}`: numbers
  within 10, 20, 100 or 1000 (an answer and every number in the question stay within
  the limit; subtraction never goes below zero; division is always exact). Facts
  read "add:23+45", "sub:68-45", "mul:12x7", "div:84/7"; the style is the operation
  and level ("add:3").

A question is rebuilt from its fact key alone (`question`), so a fact the pupil found
hard can be asked again and nothing but the key need be kept. `builtin_sets_ensure`
gives a school the built-in sets (a times-tables practice, the timed trial of 25
questions at 6 seconds each like England's multiplication tables check, and mental
arithmetic at each level), once: calling it again creates nothing.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from markbook.audit import services as audit
from markbook.practice.models import QuestionSet
from markbook.schools.models import School

TABLES = tuple(range(1, 13))
OPERATIONS = ("add", "sub", "mul", "div")
LEVELS = {1: 10, 2: 20, 3: 100, 4: 1000}
SIGNS = {"add": "+", "sub": "−", "mul": "×", "div": "÷"}


@dataclass(frozen=True)
class Generated:
    """One generated question: its fact and style keys, the prompt, the answer."""

    fact: str
    style: str
    prompt: str
    expected: str


class BankError(ValueError):
    """A generator's parameters or a fact key that no bank knows."""


# --- Times tables ---------------------------------------------------------------


def _tables(generator: dict[str, Any]) -> list[int]:
    tables = generator.get("tables") or list(range(2, 13))
    if not isinstance(tables, list) or not all(isinstance(t, int) and t in TABLES for t in tables):
        raise BankError("Times tables are 1 to 12.")
    return sorted(set(tables))


def _table_operations(generator: dict[str, Any]) -> list[str]:
    operations = generator.get("operations") or ["multiply"]
    if not set(operations) <= {"multiply", "divide"}:
        raise BankError("Times tables are multiply or divide.")
    return [op for op in ("multiply", "divide") if op in operations]


def times_table_facts(generator: dict[str, Any]) -> list[str]:
    """Every fact of the chosen tables and operations, in a fixed order."""
    facts = []
    for op in _table_operations(generator):
        for t in _tables(generator):
            for n in TABLES:
                facts.append(f"{t}x{n}" if op == "multiply" else f"{t * n}/{t}")
    return facts


# --- Arithmetic -------------------------------------------------------------------


def _level(generator: dict[str, Any]) -> int:
    level = generator.get("level", 1)
    if level not in LEVELS:
        raise BankError("Arithmetic levels are 1 (within 10) to 4 (within 1000).")
    return int(level)


def _arithmetic_operations(generator: dict[str, Any]) -> list[str]:
    operations = generator.get("operations") or [generator.get("operation", "add")]
    if not operations or not set(operations) <= set(OPERATIONS):
        raise BankError("Arithmetic operations are add, sub, mul and div.")
    return [op for op in OPERATIONS if op in operations]


def _arithmetic_draw(op: str, limit: int, rng: random.Random) -> str:
    if op == "add":
        a = rng.randint(1, limit - 1)
        return f"add:{a}+{rng.randint(1, limit - a)}"
    if op == "sub":
        a = rng.randint(1, limit)
        return f"sub:{a}-{rng.randint(0, a)}"
    # Multiplication and exact division within the limit: both factors at least 2
    # (a product of 1 is no practice), the product at most the limit.
    a = rng.randint(2, max(2, limit // 2))
    b = rng.randint(2, max(2, limit // a))
    return f"mul:{a}x{b}" if op == "mul" else f"div:{a * b}/{a}"


# --- Facts to questions ---------------------------------------------------------


def _ints(text: str, sep: str) -> tuple[int, int]:
    left, _, right = text.partition(sep)
    if not (left.isdigit() and right.isdigit()) or len(text) > 20:
        raise BankError(f"Not a fact: {text!r}.")
    return int(left), int(right)


def question(fact: str) -> Generated:
    """The question of a generated fact key ("7x8", "56/7", "add:23+45", ...)."""
    if ":" in fact:
        op, _, body = fact.partition(":")
        if op not in OPERATIONS:
            raise BankError(f"Not a fact: {fact!r}.")
        sep = {"add": "+", "sub": "-", "mul": "x", "div": "/"}[op]
        a, b = _ints(body, sep)
        if op == "div" and (a == 0 or b == 0 or a % b):
            raise BankError(f"Not an exact division: {fact!r}.")
        answer = {"add": a + b, "sub": a - b, "mul": a * b, "div": a // b if b else 0}[op]
        if answer < 0:
            raise BankError(f"Not a fact: {fact!r}.")
        levels = [n for n, limit in LEVELS.items() if max(a, b, answer) <= limit]
        if not levels:
            raise BankError(f"Not a fact: {fact!r}.")
        level = levels[0]
        return Generated(fact, f"{op}:{level}", f"{a} {SIGNS[op]} {b}", str(answer))
    if "x" in fact:
        t, n = _ints(fact, "x")
        return Generated(fact, f"x{t}", f"{t} × {n}", str(t * n))
    if "/" in fact:
        product, t = _ints(fact, "/")
        if t == 0 or product % t:
            raise BankError(f"Not an exact division: {fact!r}.")
        return Generated(fact, f"/{t}", f"{product} ÷ {t}", str(product // t))
    raise BankError(f"Not a fact: {fact!r}.")


def contains(kind: str, generator: dict[str, Any], fact: str) -> bool:
    """Whether a set of this kind and generator could ask `fact`."""
    try:
        asked = question(fact)
    except BankError:
        return False
    if kind == QuestionSet.Kind.TIMES_TABLES:
        return fact in set(times_table_facts(generator))
    if kind == QuestionSet.Kind.ARITHMETIC:
        op, level = asked.style.split(":")
        return op in _arithmetic_operations(generator) and int(level) <= _level(generator)
    return False


def draw(
    kind: str,
    generator: dict[str, Any],
    rng: random.Random,
    *,
    avoid: Sequence[str] = (),
) -> Generated:
    """A random question of the set, not one of `avoid` (the one just asked) if it can."""
    for _ in range(8):
        if kind == QuestionSet.Kind.TIMES_TABLES:
            fact = rng.choice(times_table_facts(generator))
        elif kind == QuestionSet.Kind.ARITHMETIC:
            op = rng.choice(_arithmetic_operations(generator))
            fact = _arithmetic_draw(op, LEVELS[_level(generator)], rng)
        else:
            raise BankError("Only generated sets draw questions.")
        if fact not in avoid:
            break
    return question(fact)


def sequence(kind: str, generator: dict[str, Any], seed: int, count: int) -> list[str]:
    """A trial's facts: the same for the same seed (so a resume asks the same), no
    fact twice while the bank has enough."""
    rng = random.Random(seed)
    if kind == QuestionSet.Kind.TIMES_TABLES:
        facts = times_table_facts(generator)
        rng.shuffle(facts)
        while len(facts) < count:
            facts += facts[: count - len(facts)]
        return facts[:count]
    chosen: list[str] = []
    while len(chosen) < count:
        fact = draw(kind, generator, rng, avoid=chosen[-50:]).fact
        chosen.append(fact)
    return chosen


# --- Built-in sets ----------------------------------------------------------------


@dataclass(frozen=True)
class Builtin:
    key: str
    title: str
    kind: str
    mode: str
    question_count: int
    seconds_per_question: int | None
    generator: dict[str, Any]
    description: str


BUILTINS = (
    Builtin(
        "tables-practice",
        "Times tables practice",
        QuestionSet.Kind.TIMES_TABLES,
        QuestionSet.Mode.PRACTICE,
        20,
        None,
        {"tables": list(range(2, 13)), "operations": ["multiply", "divide"]},
        "Multiplication and division facts from the 2 to the 12 times tables. The facts "
        "you find hard come back more often.",
    ),
    Builtin(
        "tables-trial",
        "Times tables check (25 questions, 6 seconds each)",
        QuestionSet.Kind.TIMES_TABLES,
        QuestionSet.Mode.TRIAL,
        25,
        6,
        {"tables": list(range(2, 13)), "operations": ["multiply"]},
        "A timed check like the multiplication tables check: 25 questions from the 2 to "
        "the 12 times tables, 6 seconds for each.",
    ),
    Builtin(
        "tables-2-5-10",
        "Times tables: 2, 5 and 10",
        QuestionSet.Kind.TIMES_TABLES,
        QuestionSet.Mode.PRACTICE,
        20,
        None,
        {"tables": [2, 5, 10], "operations": ["multiply", "divide"]},
        "The first tables to learn, multiplying and dividing.",
    ),
    *(
        Builtin(
            f"arithmetic-{level}",
            f"Mental arithmetic within {limit}",
            QuestionSet.Kind.ARITHMETIC,
            QuestionSet.Mode.PRACTICE,
            20,
            None,
            {"operations": list(OPERATIONS), "level": level},
            f"Adding, subtracting, multiplying and dividing with numbers up to {limit}; "
            "divisions always come out exactly.",
        )
        for level, limit in LEVELS.items()
    ),
)


def builtin_sets_ensure(*, school: School) -> int:
    """Give the school the built-in sets it lacks (ASM-2); how many were created.

    Idempotent: one query when the school has them all. A set is known by its
    generator's `builtin` key, so a renamed one is not made again. Two requests making
    them at once: the second's insert fails on the unique title and is ignored."""
    have = set(
        QuestionSet.objects.filter(generator__has_key="builtin").values_list(
            "generator__builtin", flat=True
        )
    )
    created = 0
    for builtin in BUILTINS:
        if builtin.key in have:
            continue
        try:
            with transaction.atomic():
                QuestionSet.objects.create(
                    school=school,
                    title=builtin.title,
                    kind=builtin.kind,
                    mode=builtin.mode,
                    question_count=builtin.question_count,
                    seconds_per_question=builtin.seconds_per_question,
                    generator={**builtin.generator, "builtin": builtin.key},
                    description=builtin.description,
                    published=True,
                )
        except IntegrityError:
            continue  # made meanwhile by another request, or a teacher's set has its title
        created += 1
    if created:
        audit.record(
            actor=None,
            school=school,
            action="practice.builtin_sets.created",
            data={"created": created},
        )
    return created
