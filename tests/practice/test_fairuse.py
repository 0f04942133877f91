"""Fair use (ASM-7): scripted answers are warned, then suspended; people are not; only
the pupil's teachers and the school's administrators reinstate, with a reason."""

import json
import random
from datetime import UTC, datetime

import pytest

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.practice import fairuse
from markbook.practice.models import FairUseEvent, Standing
from tests.practice.helpers import run, start

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _kinds(pupil):  # type: ignore[no-untyped-def]
    with school_scope(pupil.school_id):
        return list(
            FairUseEvent.objects.filter(pupil=pupil).order_by("pk").values_list("kind", flat=True)
        )


def test_looks_automated_needs_a_full_window():
    assert fairuse.looks_automated([300] * (fairuse.WINDOW - 1)) is None
    assert fairuse.looks_automated([300] * fairuse.WINDOW) is not None


def test_a_human_spread_is_not_automated():
    rng = random.Random(1)
    times = [int(rng.lognormvariate(7.3, 0.4)) for _ in range(fairuse.WINDOW)]
    assert fairuse.looks_automated(times) is None


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(lambda rng: 300, id="constant-300ms"),
        pytest.param(lambda rng: 2000 + rng.randint(-5, 5), id="2000ms-jitter-5ms"),
    ],
)
def test_a_scripted_bot_is_warned_then_suspended(world, tables, script):
    """Two warnings (each carried by the answer's response), then the suspension,
    then every answer and every new start refused saying why."""
    rng = random.Random(7)
    times = [script(rng) for _ in range(200)]
    outcomes, refused = run(world.amy, tables, times, T0)
    warnings = [o.warning for o in outcomes if o.warning]
    assert warnings[:2] == [fairuse.WARNING_MESSAGE, fairuse.WARNING_MESSAGE]
    assert warnings[2] == fairuse.SUSPENDED_MESSAGE
    assert len(outcomes) == 3 * fairuse.WINDOW  # refused from the answer after
    assert refused is not None and refused.status == 403
    assert refused.message == fairuse.SUSPENDED_MESSAGE
    assert _kinds(world.amy) == ["warning", "warning", "suspension"]
    with school_scope(world.a):
        actions = list(
            AuditEvent.objects.filter(action__startswith="practice.fair_use").values_list(
                "action", flat=True
            )
        )
    assert sorted(actions) == sorted(
        ["practice.fair_use.warned"] * 2 + ["practice.fair_use.suspended"]
    )
    with pytest.raises(Exception) as starting:
        start(world.amy, tables, T0)
    assert fairuse.SUSPENDED_MESSAGE in str(starting.value)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_fast_human_is_never_warned(world, tables, seed):
    """Log-normal response times around 1.5 s with a 30-50% spread and some mistakes,
    over hundreds of answers (several attempts): no warning."""
    rng = random.Random(seed)
    sigma = rng.uniform(0.3, 0.5)
    times = [max(450, int(rng.lognormvariate(7.31, sigma))) for _ in range(400)]
    outcomes, refused = run(world.amy, tables, times, T0, wrong_every=9)
    assert refused is None
    assert len(outcomes) == 400
    assert [o.warning for o in outcomes if o.warning] == []
    assert _kinds(world.amy) == []


def _suspend(world, tables):  # type: ignore[no-untyped-def]
    run(world.amy, tables, [300] * 100, T0)
    with school_scope(world.a):
        assert Standing.objects.get(pupil=world.amy).suspended


def _reinstate(client, world, reason="Talked it through with Amy."):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/schools/{world.a.pk}/practice/pupils/{world.amy.pk}/reinstate",
        json.dumps({"reason": reason}),
        content_type="application/json",
    )


def test_her_teacher_reinstates_with_a_reason(client_for, world, tables):
    _suspend(world, tables)
    response = _reinstate(client_for("teacher"), world)
    assert response.status_code == 200, response.content
    assert response.json()["kind"] == "reinstatement"
    assert response.json()["reason"] == "Talked it through with Amy."
    with school_scope(world.a):
        standing = Standing.objects.get(pupil=world.amy)
        assert not standing.suspended and standing.warnings == 0
        assert AuditEvent.objects.filter(action="practice.fair_use.reinstated").count() == 1
    assert _kinds(world.amy)[-1] == "reinstatement"
    # She may practise again.
    outcomes, refused = run(world.amy, tables, [1500, 2100, 1300], T0)
    assert refused is None and len(outcomes) == 3


@pytest.mark.parametrize("role", ["colleague", "parent", "pupil", "other_teacher", "other_admin"])
def test_only_her_teachers_and_administrators_reinstate(client_for, world, tables, role):
    _suspend(world, tables)
    assert _reinstate(client_for(role), world).status_code == 404
    with school_scope(world.a):
        assert Standing.objects.get(pupil=world.amy).suspended


def test_the_administrator_reinstates_and_a_reason_is_needed(client_for, world, tables):
    _suspend(world, tables)
    assert _reinstate(client_for("admin"), world, reason="").status_code == 422
    assert _reinstate(client_for("admin"), world, reason="   ").status_code == 422
    assert _reinstate(client_for("admin"), world).status_code == 200
    # Not suspended any more: a second reinstatement is refused, clearly.
    again = _reinstate(client_for("admin"), world)
    assert again.status_code == 422
    assert "not suspended" in again.json()["detail"] + str(again.json()["errors"])


def test_the_events_are_listed_for_her_teacher_and_herself(client_for, world, tables):
    _suspend(world, tables)
    url = f"/api/schools/{world.a.pk}/practice/fair-use"
    teacher = client_for("teacher").get(url).json()
    assert [e["kind"] for e in teacher] == ["suspension", "warning", "warning"]
    assert teacher[0]["pupil"] == "Amy Adams"
    assert client_for("colleague").get(url).json() == []
    assert len(client_for("pupil").get(url).json()) == 3
