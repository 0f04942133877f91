"""TEN-3, TEN-4: the middleware resolves the school, checks access, scopes the request."""

import pytest
from django.urls import reverse

from markbook.schools.models import School


def home(school):
    return reverse("schools:home", kwargs={"school_id": school.pk})


@pytest.mark.parametrize("role", ["pupil", "parent", "teacher", "admin", "trust_admin"])
def test_members_of_school_a_open_its_home(client_for, world, role):
    response = client_for(role).get(home(world.a))
    assert response.status_code == 200
    assert response.context["access"].school == world.a


@pytest.mark.parametrize(
    "role", ["pupil", "parent", "teacher", "admin", "trust_admin", "platform_staff"]
)
def test_school_b_is_not_found_for_school_a_people(client_for, world, role):
    assert client_for(role).get(home(world.b)).status_code == 404


def test_unknown_school_is_not_found_like_a_forbidden_one(client_for, world):
    client = client_for("other_admin")
    assert client.get(home(world.a)).status_code == 404
    assert client.get(reverse("schools:home", kwargs={"school_id": 999999})).status_code == 404


def test_anonymous_is_sent_to_sign_in(client_for, world):
    response = client_for("anonymous").get(home(world.a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_api_answers_json_for_anonymous_and_strangers(client_for, world):
    url = f"/api/schools/{world.a.pk}/pupils"
    anonymous = client_for("anonymous").get(url)
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "Authentication required."
    stranger = client_for("other_admin").get(url)
    assert stranger.status_code == 404
    assert stranger.json()["detail"] == "Not found."


def test_trust_admin_roles_come_from_the_trust(client_for, world):
    response = client_for("trust_admin").get(home(world.a))
    assert response.context["access"].roles == frozenset({"trust_admin"})


def test_trust_page_lists_only_the_trusts_schools(client_for, world):
    response = client_for("trust_admin").get(
        reverse("trust:home", kwargs={"trust_id": world.a.trust_id})
    )
    assert response.status_code == 200
    names = [school.name for school, _ in response.context["rows"]]
    assert names == ["Oakfield Academy"]
    assert dict((s.name, n) for s, n in response.context["rows"])["Oakfield Academy"] == 3


@pytest.mark.parametrize("role", ["admin", "teacher", "other_admin", "platform_staff"])
def test_trust_page_is_not_found_for_anyone_else(client_for, world, role):
    url = reverse("trust:home", kwargs={"trust_id": world.a.trust_id})
    assert client_for(role).get(url).status_code == 404


def test_suspended_school_is_unavailable_but_to_its_admins(client_for, world):
    """TEN-1: a suspended subscription leaves only its administrators in."""
    School.objects.filter(pk=world.a.pk).update(status=School.Status.SUSPENDED)
    response = client_for("teacher").get(home(world.a))
    assert response.status_code == 403
    assert b"suspended" in response.content
    assert client_for("admin").get(home(world.a)).status_code == 200


def test_dashboard_sends_single_school_users_to_their_school(client_for, world):
    response = client_for("teacher").get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == home(world.a)


def test_dashboard_sends_trust_admin_to_the_trust(client_for, world):
    response = client_for("trust_admin").get(reverse("dashboard"))
    assert response["Location"] == reverse("trust:home", kwargs={"trust_id": world.a.trust_id})


def test_platform_staff_see_no_school_without_a_grant(client_for, world):
    response = client_for("platform_staff").get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["schools"] == []
    assert b"support grant" in response.content


def test_parent_home_lists_only_their_children(client_for, world):
    response = client_for("parent").get(home(world.a))
    assert [p.username for p in response.context["children"]] == ["amy.adams"]


def test_pupil_home_shows_only_themself(client_for, world):
    response = client_for("pupil").get(home(world.a))
    assert response.context["me"] == world.amy
    assert [c.name for c in response.context["my_pupil_classes"]] == ["7A Maths"]


def test_teacher_home_lists_only_their_classes(client_for, world):
    response = client_for("teacher").get(home(world.a))
    assert [(c.name, c.pupil_count) for c in response.context["my_classes"]] == [("7A Maths", 2)]


def test_a_nested_scope_of_the_same_schools_sets_nothing_again(world, monkeypatch):
    """TEN-4: the row-level security setting is written on entering and leaving a
    scope, but not again for a block inside it with the same schools (the school's
    terms check inside its request's scope); a different nested scope still is, and
    every exit restores the enclosing one."""
    from markbook.core import rls
    from markbook.core.tenancy import school_scope

    applied: list[str] = []
    monkeypatch.setattr(rls, "_apply", applied.append)
    with school_scope(world.a):
        with school_scope(world.a):
            assert rls._current.get() == str(world.a.pk)
        assert rls._current.get() == str(world.a.pk)
        with school_scope(world.b):
            assert rls._current.get() == str(world.b.pk)
        assert rls._current.get() == str(world.a.pk)
    assert rls._current.get() == ""
    a, b = str(world.a.pk), str(world.b.pk)
    assert applied == [a, b, a, ""]


def test_a_school_request_sets_the_database_scope_once(client_for, world, monkeypatch):
    """TEN-4: a school page sets the row-level security setting on entering the
    school and resets it on leaving, with nothing in between for the nested checks."""
    from markbook.core import rls

    client = client_for("pupil")
    client.get(home(world.a))  # the session's first request does its own set-up
    applied: list[str] = []
    apply = rls._apply
    monkeypatch.setattr(rls, "_apply", lambda value: (applied.append(value), apply(value)))
    assert client.get(home(world.a)).status_code == 200
    assert applied.count(str(world.a.pk)) == 1
    assert applied[-1] == ""
