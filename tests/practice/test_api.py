"""The practice API (ASM-2, ASM-8, TEN-3): bad input is a clear 4xx; other people's
and other schools' things are not found (404)."""

import json

from markbook.core.tenancy import school_scope
from markbook.practice import banks
from markbook.practice.models import QuestionSet
from tests.factories import markbook_assignment


def _post(client, url, body):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json")


def _start(client, world, qs):  # type: ignore[no-untyped-def]
    return _post(client, f"/api/schools/{world.a.pk}/practice/sets/{qs.pk}/attempts", {})


def test_the_sets_list_gives_the_builtins_and_the_attempt_in_progress(client_for, world, tables):
    pupil = client_for("pupil")
    attempt = _start(pupil, world, tables).json()
    sets = pupil.get(f"/api/schools/{world.a.pk}/practice/my-sets").json()
    assert len(sets) == len(banks.BUILTINS)
    assert sets[0]["title"] == "Times tables practice"
    mine = {s["id"]: s for s in sets}[tables.pk]
    assert mine["attempt_id"] == attempt["id"]
    assert sum(1 for s in sets if s["attempt_id"]) == 1


def test_someone_elses_attempt_is_not_found(client_for, world, tables):
    attempt = _start(client_for("pupil"), world, tables).json()
    ben = client_for("pupil")
    ben.force_login(world.ben.user)
    base = f"/api/schools/{world.a.pk}/practice/attempts/{attempt['id']}"
    assert ben.get(base).status_code == 404
    assert _post(ben, f"{base}/answers", {"position": 1, "response": "1"}).status_code == 404
    for role in ("teacher", "admin", "parent", "other_teacher"):
        assert client_for(role).get(base).status_code == 404, role


def test_another_schools_set_and_attempt_are_not_found(client_for, world, tables):
    with school_scope(world.b):
        banks.builtin_sets_ensure(school=world.b)
        theirs = QuestionSet.objects.first()
    dee = client_for("pupil")
    dee.force_login(world.dee.user)
    assert theirs is not None
    # Amy, in School A, cannot start School B's set through either school's path.
    amy = client_for("pupil")
    assert (
        _post(amy, f"/api/schools/{world.a.pk}/practice/sets/{theirs.pk}/attempts", {}).status_code
        == 404
    )
    assert (
        _post(amy, f"/api/schools/{world.b.pk}/practice/sets/{theirs.pk}/attempts", {}).status_code
        == 404
    )
    # Dee's attempt is not Amy's, nor reachable through School A.
    dees = _post(dee, f"/api/schools/{world.b.pk}/practice/sets/{theirs.pk}/attempts", {})
    assert dees.status_code == 201
    assert (
        amy.get(f"/api/schools/{world.a.pk}/practice/attempts/{dees.json()['id']}").status_code
        == 404
    )
    assert (
        dee.get(f"/api/schools/{world.a.pk}/practice/attempts/{dees.json()['id']}").status_code
        == 404
    )


def test_bad_answers_are_422s_naming_the_field(client_for, world, tables):
    pupil = client_for("pupil")
    attempt = _start(pupil, world, tables).json()
    url = f"/api/schools/{world.a.pk}/practice/attempts/{attempt['id']}/answers"
    huge = _post(pupil, url, {"position": 1, "response": "5" * 101})
    assert huge.status_code == 422 and "response" in huge.json()["errors"]
    assert _post(pupil, url, {"position": 0, "response": "5"}).status_code == 422
    assert _post(pupil, url, {"position": "one", "response": "5"}).status_code == 422
    assert _post(pupil, url, {"response": "5"}).status_code == 422
    missing = _post(pupil, url, {"position": 1})
    assert missing.status_code == 422 and "response" in missing.json()["errors"]
    nul = _post(pupil, url, {"position": 1, "response": "5\x00"})
    assert nul.status_code == 422


def test_homework_of_another_class_is_not_found(client_for, world, tables):
    theirs = markbook_assignment(world.class_7b)
    mine = markbook_assignment(world.class_7a, title="Tables")
    pupil = client_for("pupil")
    url = f"/api/schools/{world.a.pk}/practice/sets/{tables.pk}/attempts"
    assert _post(pupil, url, {"assignment_id": theirs.pk}).status_code == 404
    started = _post(pupil, url, {"assignment_id": mine.pk})
    assert started.status_code == 201 and started.json()["assignment_id"] == mine.pk


def test_an_unpublished_set_is_not_found(client_for, world):
    with school_scope(world.a):
        draft = QuestionSet.objects.create(school=world.a, title="Draft", kind="custom")
    assert _start(client_for("pupil"), world, draft).status_code == 404


def test_staff_have_no_practice_of_their_own(client_for, world, tables):
    for role in ("teacher", "admin", "parent"):
        assert (
            client_for(role).get(f"/api/schools/{world.a.pk}/practice/my-sets").status_code == 404
        )
        assert _start(client_for(role), world, tables).status_code == 404
