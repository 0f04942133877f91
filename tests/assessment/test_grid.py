"""The markbook grid page and API (ASM-3, ASM-4, SEC-1): what they show, who opens
them, queries that do not grow with pupils, the bulk and one-cell writes."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from markbook.assessment.models import Mark
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Enrolment
from tests import factories as f


def _url(world) -> str:  # type: ignore[no-untyped-def]
    return reverse(
        "markbook:class_marks", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
    )


def _api(world) -> str:  # type: ignore[no-untyped-def]
    return f"/api/schools/{world.a.pk}/classes/{world.class_7a.pk}/marks"


def _add_pupils(world, n: int) -> None:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        for i in range(n):
            p = f.PupilFactory(school=world.a, username=f"grid{n}x{i}")
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=p)


def test_the_page_carries_pupils_marks_grades_and_is_a_logged_read(client_for, world):
    """ASM-3: grades beside marks where there are boundaries; SEC-1: a staff read."""
    test = f.markbook_assignment(world.class_7a, "Fractions", boundaries=[("4", 8), ("7", 15)])
    with school_scope(world.a):
        Mark.objects.create(school=world.a, assignment=test, pupil=world.amy, score=16)
    response = client_for("teacher").get(_url(world))
    assert response.status_code == 200
    data = response.context["grid"]
    assert [p["name"] for p in data["pupils"]] == ["Amy Adams", "Ben Brown"]
    assert data["cells"][world.amy.pk][test.pk] == ["16", 1, "7"]
    assert data["columns"][0]["graded"] and data["columns"][0]["average"] == "16.0"
    assert data["columns"][0]["completion"] == "1 of 2"
    assert b"markbook-grid-data" in response.content
    with school_scope(world.a):
        event = AuditEvent.objects.filter(action="assessment.markbook.viewed").get()
    assert (event.actor_id, event.target_id, event.data) == (
        world.teacher.pk,
        str(world.class_7a.pk),
        {"pupils": 2, "columns": 1},
    )


def test_the_page_queries_do_not_grow_with_pupils(client_for, world):
    """ASM-3: the same number of queries for 2 pupils as for 40."""
    test = f.markbook_assignment(world.class_7a, "Test", boundaries=[("4", 8)])
    client = client_for("teacher")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(world)).status_code == 200
        return len(queries)

    small = count()
    _add_pupils(world, 38)
    with school_scope(world.a):
        for p in Enrolment.objects.filter(teaching_class=world.class_7a).values_list(
            "pupil", flat=True
        ):
            Mark.objects.get_or_create(
                school=world.a, assignment=test, pupil_id=p, defaults={"score": 9}
            )
    assert count() == small


def test_the_api_saves_a_pasted_block_and_reports_each_cell(client_for, world):
    test = f.markbook_assignment(world.class_7a, "Test", max_mark=10)
    cells = [
        {"pupil": world.amy.pk, "assignment": test.pk, "value": "7", "version": None},
        {"pupil": world.ben.pk, "assignment": test.pk, "value": "12", "version": None},
    ]
    response = client_for("teacher").post(
        _api(world), json.dumps({"cells": cells}), content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["saved"], body["refused"]) == (1, 1)
    assert body["results"][1]["message"] == "Ben Brown, Test (out of 10): 12 is outside 0 to 10."


def test_the_api_refuses_ten_thousand_cells_whole(client_for, world):
    test = f.markbook_assignment(world.class_7a, "Test", max_mark=10)
    cell = {"pupil": world.amy.pk, "assignment": test.pk, "value": "7", "version": None}
    response = client_for("teacher").post(
        _api(world), json.dumps({"cells": [cell] * 10_000}), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"]["cells"] == [
        "10,000 cells were sent; at most 5,000 can be saved at once. Paste a smaller block."
    ]
    with school_scope(world.a):
        assert not Mark.objects.exists()


def test_one_cell_answers_409_with_the_current_value(client_for, world):
    """ASM-3: the later writer gets 409 and what is stored now."""
    test = f.markbook_assignment(world.class_7a, "Test", max_mark=10)
    url = f"{_api(world)}/{test.pk}/{world.amy.pk}"
    teacher, admin = client_for("teacher"), client_for("admin")
    first = teacher.put(
        url, json.dumps({"value": "5", "version": None}), content_type="application/json"
    )
    assert first.status_code == 200
    assert (
        admin.put(
            url, json.dumps({"value": "6", "version": 1}), content_type="application/json"
        ).status_code
        == 200
    )
    late = teacher.put(
        url, json.dumps({"value": "7", "version": 1}), content_type="application/json"
    )
    assert late.status_code == 409
    assert (late.json()["value"], late.json()["version"]) == ("6", 2)
    bad = teacher.put(
        url, json.dumps({"value": "12,5", "version": 2}), content_type="application/json"
    )
    assert bad.status_code == 422
    assert "write decimals with a point" in bad.json()["errors"]["value"][0]


def test_the_colleague_and_other_schools_get_404(client_for, world):
    """TEN-3: only the class's teachers and administrators."""
    f.markbook_assignment(world.class_7a)
    for role in ("colleague", "pupil", "parent", "other_teacher", "other_admin"):
        assert client_for(role).get(_url(world)).status_code == 404, role
        assert client_for(role).get(_api(world)).status_code == 404, role


def test_the_drop_page_lists_the_drops_fields(client_for, world):
    """ASM-4: the same grid for a drop's fields."""
    drop = f.markbook_drop(world.class_7a)
    url = reverse(
        "markbook:class_drop",
        kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk, "drop_id": drop.pk},
    )
    response = client_for("teacher").get(url)
    assert response.status_code == 200
    assert [c["title"] for c in response.context["grid"]["columns"]] == ["Working at", "Predicted"]
    marks_page = client_for("teacher").get(_url(world))
    assert url.encode() in marks_page.content
