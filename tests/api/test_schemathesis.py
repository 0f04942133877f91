"""Property-based run of the whole API (schemathesis): every operation, with inputs
generated from the OpenAPI document, as School A's administrator holding a Bearer
token, must never answer a server error.

The calls go through Django's WSGI handler in this test's thread, so they share its
database connection and transaction: the fixed world is visible, and whatever the
examples change is rolled back at the end. Path ids are drawn from the world's real
objects (and a few that do not exist or belong to School B), so the operations reach
their services instead of stopping at 404.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from markbook.accounts.services import api_token_create
from tests.conftest import World

EXAMPLES = 15


def _ids(world: World) -> dict[str, list[int]]:
    spare, _ = api_token_create(user=world.admin, name="revocable")
    return {
        "school_id": [world.a.pk, world.a.pk, world.a.pk, world.b.pk],
        "pupil_id": [world.amy.pk, world.ben.pk, world.cal.pk, world.dee.pk, 0],
        "class_id": [world.class_7a.pk, world.class_7b.pk, world.class_b1.pk, 0],
        "user_id": [world.teacher.pk, world.colleague.pk, world.parent.pk, world.other_teacher.pk],
        "token_id": [spare.pk, 0],
    }


def _order(operation) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Deletions last, links before the objects they link, so earlier operations still
    find the world's objects."""
    return (operation.method.upper() == "DELETE", -operation.path.count("{"))


def _fuzz(operation, mode, ids: dict, headers: dict, statuses: dict) -> None:  # type: ignore[no-untyped-def]
    params = [p for p in ids if "{" + p + "}" in operation.path]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def check(case, data):  # type: ignore[no-untyped-def]
        for name in params:
            case.path_parameters[name] = data.draw(st.sampled_from(ids[name]), label=name)
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        statuses.setdefault(operation.label, set()).add(response.status_code)

    check()


@pytest.fixture
def keep_connection():  # type: ignore[no-untyped-def]
    """A bare WSGIHandler closes the database connection after each request, which on
    PostgreSQL would end the test's transaction; Django's test client avoids this the
    same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("keep_connection")
def test_no_api_operation_answers_a_server_error(world: World):
    _, secret = api_token_create(user=world.admin, name="schemathesis")
    headers = {"Authorization": f"Bearer {secret}"}
    ids = _ids(world)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    statuses: dict[str, set[int]] = {}
    for operation in sorted(operations, key=_order):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, ids, headers, statuses)
    # The run must have reached the operations, not only been turned away.
    assert all(statuses.get(op.label) for op in operations)
    reached = {label for label, codes in statuses.items() if codes & {200, 201, 204}}
    assert len(reached) >= len(operations) - 3, statuses
    assert all(
        422 in statuses[op.label] for op in operations if op.method.upper() in ("POST", "PATCH")
    )
