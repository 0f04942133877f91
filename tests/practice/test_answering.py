"""Answering (ASM-2, ASM-8): the server chooses, times and checks; resumable on any
device; an answer is stored before it is acknowledged; the expected answer is never
sent before the pupil answers; a fixed number of queries per answer."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from markbook.core.tenancy import school_scope
from markbook.practice import answering, boards, checking, homework, live, present
from markbook.practice.models import Attempt, Item, Question, QuestionSet
from tests.factories import markbook_assignment
from tests.practice.helpers import answer, expected, items, start

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
API = "/api/schools/{school}/practice"


def _api(world) -> str:  # type: ignore[no-untyped-def]
    return API.format(school=world.a.pk)


def _post(client, url: str, body: dict) -> Any:  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json")


def _custom(world, *questions: dict) -> QuestionSet:  # type: ignore[no-untyped-def]
    """A teacher's published set with these questions (numeric unless choices given)."""
    with school_scope(world.a):
        qs = QuestionSet.objects.create(
            school=world.a, title="Teacher's set", kind="custom", published=True
        )
        for n, fields in enumerate(questions, 1):
            Question.objects.create(school=world.a, question_set=qs, position=n, **fields)
    return qs


# --- Starting and resuming (ASM-8) ----------------------------------------------


def test_starting_again_resumes_the_attempt_in_progress(world, tables):
    attempt = start(world.amy, tables, T0)
    answer(attempt, at=T0 + timedelta(seconds=2))
    again = start(world.amy, tables, T0 + timedelta(minutes=5))
    assert again.pk == attempt.pk
    assert again.answered == 1
    assert again.current is not None and again.current.position == 2
    with school_scope(world.a):
        assert Attempt.objects.filter(pupil=world.amy).count() == 1


def test_another_device_resumes_where_the_pupil_left(world, tables, client_for):
    laptop, tablet = client_for("pupil"), client_for("pupil")
    started = _post(laptop, f"{_api(world)}/sets/{tables.pk}/attempts", {})
    assert started.status_code == 201
    attempt = started.json()
    first = attempt["question"]
    with school_scope(world.a):
        right = Item.objects.get(attempt_id=attempt["id"], position=1).expected
    answered = _post(
        laptop,
        f"{_api(world)}/attempts/{attempt['id']}/answers",
        {"position": 1, "response": right},
    )
    assert answered.status_code == 200
    resumed = _post(tablet, f"{_api(world)}/sets/{tables.pk}/attempts", {})
    assert resumed.status_code == 200
    assert resumed.json()["id"] == attempt["id"]
    assert resumed.json()["answered"] == 1
    assert resumed.json()["question"]["position"] == 2
    assert resumed.json()["question"] == answered.json()["attempt"]["question"]
    assert first["position"] == 1


# --- Checking answers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "units", "value"),
    [
        ("56", "", "56"),
        (" 56 ", "", "56"),
        ("56.0", "", "56"),
        ("1,000", "", "1000"),
        ("1 000", "", "1000"),
        ("-3", "", "-3"),
        ("\u22123", "", "-3"),
        (".5", "", "0.5"),
        ("56 cm", "cm", "56"),
        ("56cm", "cm", "56"),
        ("56 CM", "cm", "56"),
    ],
)
def test_numbers_are_read_robustly(typed, units, value):
    assert checking.parse_number(typed, units) == Decimal(value)


@pytest.mark.parametrize(
    "typed", ["", "  ", "fifty", "5 6", "56 cm", "1,00", "12e3", "NaN", "5..6"]
)
def test_what_is_not_a_number_is_named(typed):
    with pytest.raises(checking.BadAnswer) as refused:
        checking.parse_number(typed)
    assert refused.value.status == 422
    assert refused.value.field == "response"
    assert "number" in refused.value.message or "answer" in refused.value.message


def test_a_non_numeric_answer_is_a_422_and_nothing_is_stored(world, tables, client_for):
    pupil = client_for("pupil")
    attempt = _post(pupil, f"{_api(world)}/sets/{tables.pk}/attempts", {}).json()
    url = f"{_api(world)}/attempts/{attempt['id']}/answers"
    response = _post(pupil, url, {"position": 1, "response": "fifty-six"})
    assert response.status_code == 422
    assert "“fifty-six” is not a number" in response.json()["detail"]
    assert response.json()["errors"] == {"response": [response.json()["detail"]]}
    with school_scope(world.a):
        item = Item.objects.get(attempt_id=attempt["id"], position=1)
        assert item.answered_at is None and item.response == ""


def test_tolerance_and_units_of_a_teachers_question(world):
    qs = _custom(
        world,
        {
            "kind": "numeric",
            "prompt": "Length?",
            "answer": Decimal("12.5"),
            "tolerance": Decimal("0.1"),
            "units": "cm",
        },
        {
            "kind": "numeric",
            "prompt": "Again?",
            "answer": Decimal("12.5"),
            "tolerance": Decimal("0.1"),
            "units": "cm",
        },
    )
    attempt = start(world.amy, qs, T0)
    first = answer(attempt, at=T0 + timedelta(seconds=3), response="12.58 cm")
    assert first.item.correct is True
    second = answer(attempt, at=T0 + timedelta(seconds=6), response="12.7")
    assert second.item.correct is False
    assert present.verdict_out(second.item)["expected"] == "12.5 cm"
    assert second.attempt.state == Attempt.State.FINISHED


def test_multiple_choice_with_one_or_several_right_options(world):
    qs = _custom(
        world,
        {"kind": "choice", "prompt": "Which is even?", "choices": ["3", "4", "5"], "correct": [1]},
        {
            "kind": "choice",
            "prompt": "Which are prime?",
            "choices": ["2", "4", "5", "9"],
            "correct": [0, 2],
        },
        {
            "kind": "choice",
            "prompt": "Which are prime?",
            "choices": ["2", "4", "5", "9"],
            "correct": [0, 2],
        },
    )
    attempt = start(world.amy, qs, T0)
    assert answer(attempt, at=T0 + timedelta(seconds=2), response="1").item.correct is True
    assert answer(attempt, at=T0 + timedelta(seconds=4), response="2, 0").item.correct is True
    with pytest.raises(checking.BadAnswer) as refused:
        answer(attempt, at=T0 + timedelta(seconds=5), response="7")
    assert "not one of the options" in refused.value.message
    last = answer(attempt, at=T0 + timedelta(seconds=6), response="0")
    assert last.item.correct is False
    assert present.verdict_out(last.item)["expected"] == "2; 5"


# --- Refusals ---------------------------------------------------------------------


def test_twice_out_of_order_and_after_the_end_are_refused_clearly(world, client_for):
    qs = _custom(
        world,
        {"kind": "numeric", "prompt": "1+1", "answer": 2},
        {"kind": "numeric", "prompt": "2+2", "answer": 4},
    )
    pupil = client_for("pupil")
    attempt = _post(pupil, f"{_api(world)}/sets/{qs.pk}/attempts", {}).json()
    url = f"{_api(world)}/attempts/{attempt['id']}/answers"
    ahead = _post(pupil, url, {"position": 2, "response": "4"})
    assert ahead.status_code == 409
    assert ahead.json()["detail"] == (
        "Question 2 has not been asked yet; the current question is question 1."
    )
    assert _post(pupil, url, {"position": 1, "response": "2"}).status_code == 200
    twice = _post(pupil, url, {"position": 1, "response": "2"})
    assert twice.status_code == 409
    assert twice.json()["detail"] == (
        "Question 1 is already answered; the current question is question 2."
    )
    done = _post(pupil, url, {"position": 2, "response": "4"})
    assert done.status_code == 200 and done.json()["attempt"]["state"] == "finished"
    after = _post(pupil, url, {"position": 3, "response": "4"})
    assert after.status_code == 409
    assert "finished" in after.json()["detail"]


# --- Timed trials ---------------------------------------------------------------


def test_a_trial_stores_each_deadline_and_times_a_late_answer_out(
    world, trial, client_for, settings
):
    attempt = start(world.amy, trial, T0)
    assert attempt.total == 25 and attempt.seconds_per_question == 6
    first = items(attempt)[0]
    assert first.deadline == T0 + timedelta(seconds=6)
    # Within the network tolerance after the deadline: still counted.
    settings.MARKBOOK_PRACTICE_NETWORK_TOLERANCE_MS = 1000
    on_time = answer(attempt, at=T0 + timedelta(milliseconds=6900))
    assert on_time.item.correct is True and not on_time.late
    assert on_time.item.response_ms == 6900
    # Past it: stored as timed out, no points, and the attempt moves on.
    asked = on_time.attempt.current
    assert asked is not None
    late = answer(attempt, at=asked.asked_at + timedelta(milliseconds=7100))
    assert late.late and late.item.timed_out and late.item.correct is False
    assert late.item.points == 0
    assert late.attempt.current is not None and late.attempt.current.position == 3


def test_a_late_answer_through_the_api_is_a_409_with_the_next_question(world, trial, client_for):
    pupil = client_for("pupil")
    attempt = _post(pupil, f"{_api(world)}/sets/{trial.pk}/attempts", {}).json()
    with school_scope(world.a):
        Item.objects.filter(attempt_id=attempt["id"], position=1).update(
            asked_at=datetime.now(UTC) - timedelta(seconds=20),
            deadline=datetime.now(UTC) - timedelta(seconds=14),
        )
    late = _post(
        pupil, f"{_api(world)}/attempts/{attempt['id']}/answers", {"position": 1, "response": "1"}
    )
    assert late.status_code == 409
    assert late.json()["detail"] == "The time for this question was up; it counts as not answered."
    assert late.json()["verdict"]["timed_out"] is True
    assert late.json()["attempt"]["question"]["position"] == 2


def test_a_trial_resumed_elsewhere_keeps_its_clock(world, trial):
    """The deadline is stored: time away counts. The question whose time ran out while
    the pupil was away is timed out when they come back, and the next is asked then."""
    attempt = start(world.amy, trial, T0)
    answer(attempt, at=T0 + timedelta(seconds=2))
    # Back after 3 seconds on another device: the same question, the same deadline.
    back = start(world.amy, trial, T0 + timedelta(seconds=5))
    assert back.current is not None and back.current.position == 2
    assert back.current.deadline == T0 + timedelta(seconds=8)
    assert present.question_out(back.current, T0 + timedelta(seconds=5))["ms_left"] == 3000
    # Back after a minute: question 2 timed out, question 3 asked now with its 6 s.
    later = T0 + timedelta(minutes=1)
    resumed = start(world.amy, trial, later)
    assert resumed.current is not None and resumed.current.position == 3
    assert resumed.current.deadline == later + timedelta(seconds=6)
    second = items(attempt)[1]
    assert second.timed_out and second.correct is False and second.answered_at == later


# --- The expected answer is never sent before the answer ---------------------------


def _values(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for value in node.values() for v in _values(value)]
    if isinstance(node, list):
        return [v for value in node for v in _values(value)]
    return [str(node)]


def test_the_expected_answer_is_in_no_response_before_the_answer(world, client_for):
    """A teacher's set with unmistakable answers, and a generated set: every body,
    JSON and HTML, checked before each question is answered."""
    secret = ["987654.321", "123123.789"]
    qs = _custom(
        world,
        {"kind": "numeric", "prompt": "First?", "answer": Decimal(secret[0])},
        {"kind": "numeric", "prompt": "Second?", "answer": Decimal(secret[1])},
    )
    pupil = client_for("pupil")
    base = _api(world)
    pages = f"/s/{world.a.pk}/practice"
    bodies = [_post(pupil, f"{base}/sets/{qs.pk}/attempts", {})]
    attempt_id = bodies[0].json()["id"]
    bodies += [pupil.get(f"{base}/attempts/{attempt_id}"), pupil.get(f"{base}/my-sets")]
    bodies += [pupil.get(f"{pages}/"), pupil.get(f"{pages}/attempts/{attempt_id}/")]
    for body in bodies:
        assert body.status_code in (200, 201), body.content[:300]
        assert secret[0] not in body.content.decode() and "987654" not in body.content.decode()
    first = _post(pupil, f"{base}/attempts/{attempt_id}/answers", {"position": 1, "response": "1"})
    assert (
        secret[0] in json.dumps(first.json()["verdict"]) or "987654.321" in first.content.decode()
    )
    assert "123123" not in first.content.decode()
    for body in (
        pupil.get(f"{base}/attempts/{attempt_id}"),
        pupil.get(f"{pages}/attempts/{attempt_id}/"),
    ):
        assert "123123" not in body.content.decode()


def test_no_generated_question_carries_its_answer(world, tables, client_for):
    pupil = client_for("pupil")
    base = _api(world)
    state = _post(pupil, f"{base}/sets/{tables.pk}/attempts", {}).json()
    for _ in range(tables.question_count):
        question = state["question"]
        assert "expected" not in question
        with school_scope(world.a):
            right = Item.objects.get(attempt_id=state["id"], position=question["position"]).expected
        shown = {k: v for k, v in question.items() if k not in ("position", "ms_left")}
        assert right not in _values(shown)
        again = pupil.get(f"{base}/attempts/{state['id']}").json()["question"]
        assert right not in _values({k: v for k, v in again.items() if k != "position"})
        body = _post(
            pupil,
            f"{base}/attempts/{state['id']}/answers",
            {"position": question["position"], "response": right},
        ).json()
        assert body["verdict"]["expected"] == right and body["verdict"]["correct"]
        state = body["attempt"]
        if state["state"] == "finished":
            break
    assert state["state"] == "finished" and state["question"] is None


# --- The hot path ---------------------------------------------------------------


def test_an_answer_is_a_fixed_few_queries_whatever_the_history(world, tables):
    """One locking SELECT, the item's UPDATE, the next item's INSERT, the attempt's and
    the standing's UPDATEs, and for an answer that earns points the leaderboards' one
    UPDATE (and the savepoint a test's transaction makes of atomic). The pupil's first
    points of a week or month also enter her rows on the boards, a few queries once."""
    attempt = start(world.amy, tables, T0)
    at = T0
    counts = []
    for n in range(60):
        at += timedelta(milliseconds=900 + (n * 737) % 2000)  # a person's uneven pace
        with school_scope(world.a):
            current = Attempt.objects.get(pk=attempt.pk).current
            assert current is not None
            with CaptureQueriesContext(connection) as queries:
                outcome = answering.item_answer(
                    attempt=attempt, position=current.position, response=current.expected, now=at
                )
        counts.append(len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]))
        if outcome.attempt.state == Attempt.State.FINISHED:
            attempt = start(world.amy, tables, at)
    # The last answer of an attempt inserts no next item; the first enters the boards;
    # once the day's points are capped an answer adds nothing to the boards.
    assert counts[0] <= 13
    assert set(counts[1:]) <= {4, 5, 6}
    assert counts.count(6) >= 20


def test_the_answer_request_counts_its_queries(
    world, tables, client_for, django_assert_max_num_queries
):
    pupil = client_for("pupil")
    state = _post(pupil, f"{_api(world)}/sets/{tables.pk}/attempts", {}).json()
    right = expected(Attempt(pk=state["id"], school_id=world.a.pk))
    # Her first answer of the week enters her on the boards (a few queries, once).
    first = _post(
        pupil, f"{_api(world)}/attempts/{state['id']}/answers", {"position": 1, "response": right}
    )
    assert first.status_code == 200
    right = expected(Attempt(pk=state["id"], school_id=world.a.pk))
    # The sign-in and school admission (session, user, school, roles, trust, terms),
    # the answer's own five and the boards' one, with the savepoint and its release.
    with django_assert_max_num_queries(14):
        response = _post(
            pupil,
            f"{_api(world)}/attempts/{state['id']}/answers",
            {"position": 2, "response": right},
        )
    assert response.status_code == 200


def test_the_answer_is_stored_before_the_hooks_after_it_can_fail(world, tables, monkeypatch):
    """Durable: the item and the attempt are written in the transaction that the
    verdict waits for; a failure telling the live view afterwards loses nothing, and
    the pupil still gets the verdict."""
    attempt = start(world.amy, tables, T0)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("cache down")

    monkeypatch.setattr(live, "seen", broken)
    outcome = answer(attempt, at=T0 + timedelta(seconds=3))
    assert outcome.item.correct is True
    first = items(attempt)[0]
    assert first.answered_at is not None and first.correct is True and first.points == 10
    with school_scope(world.a):
        assert Attempt.objects.get(pk=attempt.pk).answered == 1


def test_the_hooks_are_called(world, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(boards, "answered", lambda *, item: calls.append(f"board {item.position}"))
    monkeypatch.setattr(
        live, "seen", lambda *, attempt, item: calls.append(f"live {item and item.position}")
    )
    monkeypatch.setattr(homework, "attempt_finished", lambda *, attempt: calls.append("homework"))
    qs = _custom(
        world,
        {"kind": "numeric", "prompt": "1+1", "answer": 2},
        {"kind": "numeric", "prompt": "2+2", "answer": 4},
    )
    assignment = markbook_assignment(world.class_7a)
    with school_scope(world.a):
        attempt = answering.attempt_start(
            pupil=world.amy, question_set=qs, assignment=assignment, now=T0
        )
    answer(attempt, at=T0 + timedelta(seconds=2))
    answer(attempt, at=T0 + timedelta(seconds=4))
    assert calls == ["live 1", "board 1", "live 2", "board 2", "homework", "live None"]


def test_facts_got_wrong_come_back_more_often(world, tables):
    """The pupil always gets the sevens wrong: they are asked far more than their
    share (2 of the 22 tables' facts kinds) afterwards."""
    at = T0
    sevens = 0
    asked = 0
    attempt = start(world.amy, tables, at)
    for n in range(160):
        at += timedelta(milliseconds=900 + (n * 737) % 2000)
        with school_scope(world.a):
            item = Attempt.objects.get(pk=attempt.pk).current
        assert item is not None
        is_seven = item.style in ("x7", "/7")
        if n >= 60:
            asked += 1
            sevens += is_seven
        outcome = answer(attempt, at=at, right=not is_seven)
        attempt = outcome.attempt
        if attempt.state == Attempt.State.FINISHED:
            attempt = start(world.amy, tables, at)
    assert sevens / asked > 0.25  # uniform would be about 0.09


def test_a_restricted_pupil_still_practises(world, tables):
    """DSR-5: kept but not processed further; practising is the pupil's own (see
    practice/answering.py); the boards leave them out."""
    from markbook.privacy.services import restriction_place

    with school_scope(world.a):
        restriction_place(
            school=world.a, subject=world.amy, kind="restriction", reason="Asked", by=None
        )
    attempt = start(world.amy, tables, T0)
    assert answer(attempt, at=T0 + timedelta(seconds=2)).item.correct is True


def test_answers_are_rate_limited_with_a_clear_429(world, tables, client_for, settings):
    settings.MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE = 3
    pupil = client_for("pupil")
    state = _post(pupil, f"{_api(world)}/sets/{tables.pk}/attempts", {}).json()
    url = f"{_api(world)}/attempts/{state['id']}/answers"
    statuses = [_post(pupil, url, {"position": 1, "response": "x"}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    limited = _post(pupil, url, {"position": 1, "response": "x"})
    assert limited.status_code == 429
    assert limited.json()["detail"].startswith("Too many answers in a short time; try again in")
    # Per address too: another pupil from the same address.
    cache.clear()
    settings.MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE = 0
    settings.MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE_PER_ADDRESS = 2
    ben = client_for("pupil")
    ben.force_login(world.ben.user)
    ben_state = _post(ben, f"{_api(world)}/sets/{tables.pk}/attempts", {}).json()
    ben_url = f"{_api(world)}/attempts/{ben_state['id']}/answers"
    assert [
        _post(ben, ben_url, {"position": 1, "response": "x"}).status_code for _ in range(3)
    ] == [422, 422, 429]
