"""The pupil sign-in page at the school's secret address (ACC-2, ACC-3, TEN-4, TEN-7, SEC-1)."""

from django.test import Client
from django.urls import reverse

from markbook.core.tenancy import all_schools
from markbook.rosters.models import Pupil
from markbook.schools.models import School, TermsAcceptance
from tests.accounts.conftest import events, signin_url
from tests.factories import PASSWORD


def sign_in(client: Client, school, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(signin_url(school), {"username": username, "password": password})


def test_anonymous_gets_the_form_with_username_password_and_sign_in(client, world):
    response = client.get(signin_url(world.a))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert '<button type="submit">Sign in</button>' in html
    assert "Oakfield Academy" in html


def test_the_middleware_scopes_the_page_to_the_slugs_school(client, world):
    response = client.get(signin_url(world.b))
    assert response.context["access"].school == world.b
    assert response.context["access"].roles == frozenset()


def test_unknown_slug_is_404(client, world):
    assert client.get("/signin/no-such-school/").status_code == 404
    assert client.get("/signin/no-such-school/code/").status_code == 404


def test_pupil_signs_in_and_lands_on_their_dashboard(client, world):
    response = sign_in(client, world.a, "amy.adams")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 302  # on to the school's home
    home = client.get(reverse("schools:home", kwargs={"school_id": world.a.pk}))
    assert home.status_code == 200
    assert home.context["user"] == world.amy.user


def test_username_is_not_case_sensitive(client, world):
    assert sign_in(client, world.a, "  Amy.Adams ").status_code == 302


def test_wrong_password_is_refused_with_a_clear_message(client, world):
    response = sign_in(client, world.a, "amy.adams", "not-the-password")
    assert response.status_code == 200
    assert "That username and password do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_pupil_of_another_school_cannot_sign_in_on_this_page(client, world):
    assert sign_in(client, world.a, "dee.davies").status_code == 200
    assert "_auth_user_id" not in client.session
    assert sign_in(client, world.b, "dee.davies").status_code == 302


def test_a_pupil_who_has_left_cannot_sign_in(client, world):
    with all_schools():
        Pupil.objects.filter(pk=world.ben.pk).update(status=Pupil.Status.LEFT)
    assert sign_in(client, world.a, "ben.brown").status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_pupil_without_a_password_cannot_sign_in_with_an_empty_or_any_password(client, world):
    user = world.cal.user
    user.set_unusable_password()
    user.save()
    assert sign_in(client, world.a, "cal.clark", "anything-at-all").status_code == 200
    assert (
        client.post(signin_url(world.a), {"username": "cal.clark", "password": ""}).status_code
        == 200
    )
    assert "_auth_user_id" not in client.session


def test_staff_cannot_use_the_pupil_page(client, world):
    assert sign_in(client, world.a, "teacher@oakfield.sch.uk").status_code == 200
    assert "_auth_user_id" not in client.session


def test_success_and_failure_are_audited_without_the_password(client, world):
    sign_in(client, world.a, "amy.adams", "wrong-password-123")
    sign_in(client, world.a, "nobody.here", "wrong-password-123")
    sign_in(client, world.a, "amy.adams")
    failed = events(world.a, "accounts.signin.failed")
    assert [e.data["username"] for e in failed] == ["amy.adams", "nobody.here"]
    assert [e.data["reason"] for e in failed] == ["wrong password", "unknown username"]
    assert failed[0].target_id == str(world.amy.user.pk) and failed[0].actor_id is None
    (succeeded,) = events(world.a, "accounts.signin.succeeded")
    assert succeeded.actor_id == world.amy.user.pk
    assert succeeded.data == {"method": "password", "username": "amy.adams"}
    for event in [*failed, succeeded]:
        assert PASSWORD not in str(event.data) and "wrong-password" not in str(event.data)


def _set_status(school: School, status: str) -> None:
    School.objects.filter(pk=school.pk).update(status=status)


def test_suspended_school_refuses_sign_in_with_a_message(client, world):
    _set_status(world.a, School.Status.SUSPENDED)
    page = client.get(signin_url(world.a))
    assert page.status_code == 200
    assert (
        "The subscription of Oakfield Academy is suspended, so only its administrators can sign in"
        in page.content.decode()
    )
    assert 'name="password"' not in page.content.decode()
    response = sign_in(client, world.a, "amy.adams")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_ended_school_refuses_sign_in(client, world):
    _set_status(world.a, School.Status.ENDED)
    response = sign_in(client, world.a, "amy.adams")
    assert response.status_code == 403
    assert "has ended, so nobody but its administrators can sign in" in response.content.decode()


def test_school_that_has_not_accepted_the_terms_refuses_sign_in(client, world):
    with all_schools():
        TermsAcceptance.objects.filter(school=world.a).delete()
    response = sign_in(client, world.a, "amy.adams")
    assert response.status_code == 403
    assert "has not finished setting up Markbook" in response.content.decode()


def test_signed_in_user_sees_the_page_and_is_told_who_they_are(client_for, world):
    response = client_for("teacher").get(signin_url(world.a))
    assert response.status_code == 200
    assert "You are signed in as" in response.content.decode()


def test_unknown_username_costs_as_many_password_hashes_as_a_wrong_password(
    client, world, monkeypatch
):
    """No shortcut for unknown names: the time taken must not reveal who exists."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    calls: list[str] = []
    for name in ("encode", "verify"):
        original = getattr(Argon2PasswordHasher, name)

        def spy(self, *args, _original=original, _name=name):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(Argon2PasswordHasher, name, spy)
    sign_in(client, world.a, "amy.adams", "guess-number-one")
    known = len(calls)
    calls.clear()
    sign_in(client, world.a, "nobody.here", "guess-number-one")
    assert known >= 1
    assert len(calls) == known
