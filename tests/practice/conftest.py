"""Practice fixtures: School A's built-in sets (ASM-2)."""

import pytest

from markbook.core.tenancy import school_scope
from markbook.practice import banks
from markbook.practice.models import QuestionSet


def builtin(world, key: str) -> QuestionSet:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        banks.builtin_sets_ensure(school=world.a)
        return QuestionSet.objects.get(generator__builtin=key)


@pytest.fixture
def tables(world):  # type: ignore[no-untyped-def]
    """The times-tables practice set (20 questions, untimed)."""
    return builtin(world, "tables-practice")


@pytest.fixture
def trial(world):  # type: ignore[no-untyped-def]
    """The timed trial: 25 questions, 6 seconds each."""
    return builtin(world, "tables-trial")
