"""Own passwords: the temporary password must be changed, pupils change theirs (ACC-2)."""

from django.test import Client
from django.urls import reverse

from markbook.accounts.models import User
from markbook.schools import services as schools
from tests.accounts.conftest import events
from tests.factories import PASSWORD

NEW_PASSWORD = "purple-giraffe-lunchbox"


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def change_password(client: Client, old: str, new: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("account_change_password"),
        {"oldpassword": old, "password1": new, "password2": new},
    )


def test_temporary_password_must_be_changed_then_everything_works(db):
    created = schools.school_create(name="Elm School", admin_email="head@elm.sch.uk")
    client = Client()
    response = client.post(
        reverse("account_login"),
        {"login": "head@elm.sch.uk", "password": created.temporary_password},
    )
    assert response.status_code == 302
    change_url = reverse("account_change_password")
    school_home = reverse("schools:home", kwargs={"school_id": created.school.pk})
    for url in (reverse("dashboard"), school_home, reverse("accounts:profile"), "/signin/x/"):
        assert client.get(url)["Location"] == change_url, url
    assert client.get(change_url).status_code == 200

    response = change_password(client, created.temporary_password)
    assert response["Location"] == reverse("dashboard")
    assert fresh(created.admin).must_change_password is False
    assert client.get(reverse("dashboard"))["Location"] == school_home
    # Not yet accepted terms: the admin is sent there, no longer to change password.
    assert client.get(school_home)["Location"].endswith("/terms/")
    assert client.get(reverse("accounts:profile")).status_code == 200
    (event,) = events(created.school, "accounts.password.changed")
    assert event.actor_id == created.admin.pk
    assert event.data == {"temporary_password_replaced": True}
    assert NEW_PASSWORD not in str(event.data) and created.temporary_password not in str(event.data)


def test_temporary_password_stays_until_a_successful_change(db):
    created = schools.school_create(name="Elm School", admin_email="head@elm.sch.uk")
    client = Client()
    client.post(
        reverse("account_login"),
        {"login": "head@elm.sch.uk", "password": created.temporary_password},
    )
    response = change_password(client, "not-the-temporary-one")
    assert response.status_code == 200
    assert fresh(created.admin).must_change_password is True
    assert client.get(reverse("dashboard"))["Location"] == reverse("account_change_password")


def test_pupil_changes_their_own_password_given_the_old_one(client_for, world):
    client = client_for("pupil")
    page = client.get(reverse("schools:home", kwargs={"school_id": world.a.pk}))
    assert f'href="{reverse("accounts:profile")}">Your account' in page.content.decode()
    account = client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{reverse("account_change_password")}"' in account
    assert client.get(reverse("account_change_password")).status_code == 200
    assert change_password(client, "wrong-old-password").status_code == 200
    assert fresh(world.amy.user).check_password(PASSWORD)
    assert change_password(client, PASSWORD)["Location"] == reverse("dashboard")
    assert fresh(world.amy.user).check_password(NEW_PASSWORD)
    # Still signed in, and the new password works on the school's page.
    assert client.get(reverse("accounts:profile")).status_code == 200
    other = Client()
    response = other.post(
        reverse("pupil_signin", kwargs={"signin_slug": world.a.signin_slug}),
        {"username": "amy.adams", "password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    (event,) = events(world.a, "accounts.password.changed")
    assert event.actor_id == world.amy.user.pk


def test_pupil_without_a_password_is_told_to_ask_for_a_signin_code(client_for, world):
    user = world.amy.user
    user.set_unusable_password()
    user.save()
    client = Client()
    client.force_login(user)
    response = client.get(reverse("account_change_password"), follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ask your teacher for a sign-in code" in html
    assert 'name="password1"' not in html
    response = client.post(
        reverse("account_set_password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert not fresh(user).has_usable_password()


def test_staff_without_a_password_may_still_set_one(world):
    user = world.teacher
    user.set_unusable_password()
    user.save()
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("account_set_password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert fresh(user).check_password(NEW_PASSWORD)
