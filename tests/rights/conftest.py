from contextlib import ExitStack

import pytest

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from markbook.rights import handlers


@pytest.fixture
def lead(world):  # type: ignore[no-untyped-def]
    """The colleague (a teacher of School A) made its data protection lead."""
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.colleague, role=Membership.Role.DPO)
    return world.colleague


@pytest.fixture
def handler():  # type: ignore[no-untyped-def]
    """register(kind, fn): a test handler for the test's length only (None: the kind
    is carried out by hand); Markbook's own engine comes back afterwards."""
    with ExitStack() as stack:

        def register(kind: str, fn):  # type: ignore[no-untyped-def]
            stack.enter_context(handlers.replaced(kind, fn))

        yield register
