"""The live class view (ASM-2): who is online now and which question each is on, from
the cache (never the answers in the database), at the same cost however many answers
there are; a pupil not seen for a minute is no longer online."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from markbook.core.tenancy import school_scope
from markbook.practice import live
from markbook.practice.models import Attempt, Item
from tests.practice.helpers import answers, times_tables

pytestmark = pytest.mark.django_db


def _show(world, pupil, position: int, prompt: str = "7 × 8") -> None:
    """The answering service's call when a question is shown: `seen` with the item."""
    tables = times_tables(world)
    with school_scope(pupil.school_id):
        attempt = Attempt.objects.filter(pupil=pupil, state="in_progress").first()
        if attempt is None:
            now = timezone.now()
            attempt = Attempt.objects.create(
                school_id=pupil.school_id,
                pupil=pupil,
                question_set=tables,
                mode="practice",
                total=25,
                started_at=now,
                last_active_at=now,
            )
        item = Item.objects.create(
            school_id=pupil.school_id,
            attempt=attempt,
            pupil=pupil,
            position=position,
            fact="7x8",
            style="7",
            prompt=prompt,
            expected="secret-answer",
            asked_at=timezone.now(),
        )
        live.seen(attempt=attempt, item=item)


def _url(world) -> str:
    return f"/api/schools/{world.a.pk}/practice/classes/{world.class_7a.pk}/live"


def test_the_teacher_sees_who_is_online_and_on_which_question(world, client_for):
    _show(world, world.amy, 3, "7 × 8")
    pupils = {p["name"]: p for p in client_for("teacher").get(_url(world)).json()["pupils"]}
    amy, ben = pupils["Amy Adams"], pupils["Ben Brown"]
    assert amy["online"] and amy["position"] == 3 and amy["total"] == 25
    assert amy["prompt"] == "7 × 8" and amy["set_title"] == "Times tables to 12"
    assert "secret" not in str(amy)  # the answer never leaves the server
    assert not ben["online"] and ben["last_seen"] is None


def test_a_finished_pupil_shows_finished(world, client_for):
    _show(world, world.amy, 1)
    with school_scope(world.a):
        attempt = Attempt.objects.get(pupil=world.amy)
        live.seen(attempt=attempt, item=None)
    amy = client_for("teacher").get(_url(world)).json()["pupils"][0]
    assert amy["name"] == "Amy Adams" and amy["finished"] and amy["online"]


def test_a_pupil_not_seen_for_a_minute_is_not_online(world):
    _show(world, world.amy, 1)
    later = timezone.now() + timedelta(seconds=live.ONLINE_SECONDS + 1)
    with time_machine.travel(later), school_scope(world.a):
        state = {p.name: p for p in live.class_state(world.class_7a)}
    assert not state["Amy Adams"].online
    assert state["Amy Adams"].position == 1  # still says where they stopped


def test_the_page_refresh_costs_the_same_however_many_answers(world, client_for):
    client = client_for("teacher")
    page = f"/s/{world.a.pk}/practice/teach/classes/{world.class_7a.pk}/live/"
    client.get(page, HTTP_HX_REQUEST="true")  # the roster is now cached

    def refresh() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return len(queries)

    _show(world, world.amy, 1)
    few = refresh()
    tables = times_tables(world)
    for day in range(5):
        answers(world.amy, tables, [("7x8", True, 1200)] * 40, days_ago=day)
        answers(world.ben, tables, [("6x7", False, 2500)] * 40, days_ago=day)
    _show(world, world.ben, 2)
    many = refresh()
    assert many == few
    # No query reads the practice tables: the state is in the cache.
    with CaptureQueriesContext(connection) as queries:
        body = client.get(page, HTTP_HX_REQUEST="true").content.decode()
    assert not any("practice_" in q["sql"] for q in queries.captured_queries)
    assert "Amy Adams" in body and "Ben Brown" in body and "Online" in body


def test_the_cache_holds_one_key_per_pupil_and_one_roster(world):
    from django.core.cache import cache

    _show(world, world.amy, 4, "9 × 6")
    state = cache.get(live.pupil_key(world.a.pk, world.amy.pk))
    assert state["position"] == 4 and state["prompt"] == "9 × 6"
    assert "expected" not in state and "secret" not in str(state)
    with school_scope(world.a):
        live.class_state(world.class_7a)
    assert cache.get(live.roster_key(world.a.pk, world.class_7a.pk)) == [
        (world.amy.pk, "Amy Adams"),
        (world.ben.pk, "Ben Brown"),
    ]


def test_the_live_view_is_the_class_teachers_and_administrators_only(world, client_for):
    assert client_for("teacher").get(_url(world)).status_code == 200
    assert client_for("admin").get(_url(world)).status_code == 200
    for role in ("colleague", "pupil", "parent", "other_teacher", "platform_staff"):
        assert client_for(role).get(_url(world)).status_code == 404, role


def test_the_database_cache_of_the_demo_works_and_reads_twice(world, settings):
    """Without Redis the settings use the database cache; its table is made after
    migrate (practice.apps). One query for the roster (cached), one get_many."""
    from django.apps import apps as django_apps

    from markbook.practice.apps import _cache_table

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "markbook_cache",
        }
    }
    _cache_table(django_apps.get_app_config("practice"))
    _show(world, world.amy, 2)
    with school_scope(world.a):
        live.class_state(world.class_7a)  # reads and caches the roster
        with CaptureQueriesContext(connection) as queries:
            state = {p.name: p for p in live.class_state(world.class_7a)}
    assert state["Amy Adams"].online and state["Amy Adams"].position == 2
    assert len(queries) == 2
    assert all("markbook_cache" in q["sql"] for q in queries.captured_queries)
