"""The access-log page (SEC-1): a school administrator reads their own school's log,
newest first, paginated and filterable; everyone else gets 404."""

import pytest
from django.urls import reverse

from markbook.audit import services as audit
from markbook.audit.context import Origin, current
from markbook.audit.views import PAGE_SIZE
from tests.conftest import World


def url(world: World, **query: str) -> str:
    base = reverse("audit:log", kwargs={"school_id": world.a.pk})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def record(world: World, school, action: str, n: int = 1, ip: str = "203.0.113.7") -> None:  # type: ignore[no-untyped-def]
    token = current.set(Origin(ip=ip))
    try:
        for i in range(n):
            audit.record(
                actor=world.teacher if school == world.a else world.other_teacher,
                school=school,
                action=action,
                target=world.amy if school == world.a else world.dee,
                data={"i": i},
            )
    finally:
        current.reset(token)


def test_admin_sees_who_what_when_where_and_target(client_for, world: World):
    record(world, world.a, "rosters.pupil.viewed")
    html = client_for("admin").get(url(world)).content.decode()
    assert "teacher@oakfield.sch.uk" in html
    assert "rosters.pupil.viewed" in html
    assert "203.0.113.7" in html
    assert f"rosters.pupil {world.amy.pk}" in html
    assert "<time datetime=" in html


def test_admin_sees_only_their_own_schools_events(client_for, world: World):
    record(world, world.a, "rosters.pupil.viewed")
    record(world, world.b, "rosters.pupil.secret_b_action")
    html = client_for("admin").get(url(world)).content.decode()
    assert "rosters.pupil.viewed" in html
    assert "secret_b_action" not in html
    assert "teacher@birchwood.sch.uk" not in html


def test_events_are_newest_first_and_paginated(client_for, world: World):
    record(world, world.a, "rosters.pupil.old")
    record(world, world.a, "rosters.pupil.viewed", n=PAGE_SIZE)
    record(world, world.a, "rosters.pupil.newest")
    first = client_for("admin").get(url(world)).content.decode()
    assert "rosters.pupil.newest" in first and "rosters.pupil.old" not in first
    assert first.index("rosters.pupil.newest") < first.index("rosters.pupil.viewed")
    assert "Page 1 of 2" in first
    second = client_for("admin").get(url(world, page="2")).content.decode()
    assert "rosters.pupil.old" in second and "rosters.pupil.newest" not in second


def test_filter_by_action_prefix(client_for, world: World):
    record(world, world.a, "rosters.pupil.viewed")
    record(world, world.a, "schools.school.changed")
    html = client_for("admin").get(url(world, action="schools.")).content.decode()
    assert "schools.school.changed" in html
    assert "rosters.pupil.viewed" not in html
    assert "1 event whose action starts with" in html


def test_redacted_event_shows_no_data(client_for, world: World):
    event = audit.record(
        actor=world.teacher, school=world.a, action="rosters.pupil.changed", data={"note": "XYZZY"}
    )
    before = client_for("admin").get(url(world)).content.decode()
    assert "XYZZY" in before
    audit.audit_event_redact(actor=world.admin, event=event, reason="erasure")
    after = client_for("admin").get(url(world)).content.decode()
    assert "XYZZY" not in after and "redacted" in after


@pytest.mark.parametrize(
    "role", ["pupil", "parent", "teacher", "colleague", "other_admin", "other_teacher"]
)
def test_log_is_404_for_everyone_but_the_schools_admin(client_for, world: World, role: str):
    record(world, world.a, "rosters.pupil.viewed")
    assert client_for(role).get(url(world)).status_code == 404


def test_other_schools_admin_cannot_read_this_log_by_its_url(client_for, world: World):
    record(world, world.a, "rosters.pupil.viewed")
    # School B's administrator asks for School A's log: not found, nothing leaks.
    response = client_for("other_admin").get(url(world))
    assert response.status_code == 404
    assert b"rosters.pupil.viewed" not in response.content


@pytest.mark.parametrize("extra", [0, 40])
def test_log_page_query_count_does_not_grow_with_events(
    client_for, world: World, django_assert_max_num_queries, extra: int
):
    record(world, world.a, "rosters.pupil.viewed", n=5 + extra)
    client = client_for("admin")
    with django_assert_max_num_queries(8):
        response = client.get(url(world))
    assert response.status_code == 200
