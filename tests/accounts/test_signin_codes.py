"""Teachers reset, never see, pupils' passwords: one-time sign-in codes (ACC-2, SEC-1)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from markbook.accounts import services
from markbook.accounts.models import SignInCode, User
from markbook.core.tenancy import all_schools, school_scope
from markbook.rosters.models import Pupil
from tests.accounts.conftest import events, signin_url
from tests.factories import PASSWORD

NEW_PASSWORD = "purple-giraffe-lunchbox"


def code_url(world, pupil) -> str:  # type: ignore[no-untyped-def]
    return reverse(
        "school_accounts:pupil_signin_code",
        kwargs={"school_id": world.a.pk, "pupil_id": pupil.pk},
    )


def enter_code(client: Client, school, username: str, code: str):  # type: ignore[no-untyped-def]
    return client.post(
        signin_url(school, "pupil_signin_code_entry"), {"username": username, "code": code}
    )


def choose_password(client: Client, school, password: str = NEW_PASSWORD, again=None):  # type: ignore[no-untyped-def]
    return client.post(
        signin_url(school, "pupil_signin_set_password"),
        {"password1": password, "password2": again if again is not None else password},
    )


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


# --- issuing --------------------------------------------------------------------


def test_teacher_gets_a_printable_code_page_with_the_signin_address(client_for, world):
    response = client_for("teacher").post(code_url(world, world.amy))
    html = response.content.decode()
    code = response.context["code"]
    assert response.status_code == 200
    assert code in html and "amy.adams" in html
    assert f"/signin/{world.a.signin_slug}/code/" in html
    assert "shown only once" in html and "data-print" in html
    assert "no-store" in response["Cache-Control"]


def test_the_code_is_stored_only_as_an_hmac(client_for, world, issue_code):
    code = issue_code(world.amy)
    with school_scope(world.a):
        (row,) = SignInCode.objects.filter(user=world.amy.user)
        stored = " ".join(str(v) for v in SignInCode.objects.values_list()[0])
    assert row.digest == SignInCode.digest_of(services.normalise_code(code))
    assert services.normalise_code(code) not in stored.upper() and code not in stored
    assert row.issued_by == world.teacher
    assert row.expires_at > timezone.now() + timedelta(days=6)


def test_issuing_a_code_ends_the_old_password_and_the_pupils_sessions(client, world, issue_code):
    client.post(signin_url(world.a), {"username": "amy.adams", "password": PASSWORD})
    assert client.get(reverse("accounts:profile")).status_code == 200
    issue_code(world.amy)
    assert not fresh(world.amy.user).has_usable_password()
    assert client.get(reverse("accounts:profile")).status_code == 302  # signed out


def test_a_new_code_replaces_the_previous_one(client, world, issue_code):
    first = issue_code(world.amy)
    second = issue_code(world.amy, role="admin")
    assert enter_code(client, world.a, "amy.adams", first).status_code == 200
    assert enter_code(client, world.a, "amy.adams", second).status_code == 302


def test_issuing_is_audited_without_the_code(world, issue_code):
    code = issue_code(world.amy)
    (event,) = events(world.a, "accounts.signin_code.issued")
    assert event.actor_id == world.teacher.pk
    assert event.target_id == str(world.amy.pk)
    assert code not in str(event.data)


@pytest.mark.parametrize("role", ["colleague", "parent", "pupil", "trust_admin", "other_admin"])
def test_others_get_404(client_for, world, role):
    assert client_for(role).post(code_url(world, world.amy)).status_code == 404
    assert not fresh(world.amy.user).check_password("") and fresh(world.amy.user).check_password(
        PASSWORD
    )


def test_teacher_cannot_reset_a_pupil_outside_their_classes(client_for, world):
    assert client_for("teacher").post(code_url(world, world.cal)).status_code == 404


def test_get_is_not_allowed(client_for, world):
    assert client_for("teacher").get(code_url(world, world.amy)).status_code == 405


def test_a_pupil_who_has_left_gets_no_code(client_for, world):
    with all_schools():
        Pupil.objects.filter(pk=world.ben.pk).update(status=Pupil.Status.LEFT)
    response = client_for("admin").post(code_url(world, world.ben), follow=True)
    assert "has left the school and cannot sign in" in response.content.decode()
    assert fresh(world.ben.user).check_password(PASSWORD)


def test_class_page_button_issues_a_code(client_for, world):
    client = client_for("teacher")
    page = client.get(
        reverse(
            "rosters:class_detail", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
        )
    ).content.decode()
    assert f'action="{code_url(world, world.amy)}"' in page


# --- using a code ---------------------------------------------------------------


def test_pupil_uses_the_code_sets_a_password_and_is_signed_in(client, world, issue_code):
    code = issue_code(world.amy)
    response = enter_code(client, world.a, "amy.adams", code)
    assert response["Location"] == signin_url(world.a, "pupil_signin_set_password")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Choose your password" in page.content.decode()
    response = choose_password(client, world.a)
    assert response["Location"] == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(world.amy.user.pk)
    assert fresh(world.amy.user).check_password(NEW_PASSWORD)
    # The new password works on the ordinary page next time.
    other = Client()
    assert (
        other.post(
            signin_url(world.a), {"username": "amy.adams", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )


def test_the_code_is_single_use(client, world, issue_code):
    code = issue_code(world.amy)
    enter_code(client, world.a, "amy.adams", code)
    choose_password(client, world.a)
    again = Client()
    response = enter_code(again, world.a, "amy.adams", code)
    assert response.status_code == 200
    assert "has been used or has expired" in response.content.decode()


def test_an_expired_code_is_refused(client, world, issue_code):
    code = issue_code(world.amy)
    with school_scope(world.a):
        SignInCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert enter_code(client, world.a, "amy.adams", code).status_code == 200
    assert "_auth_user_id" not in client.session


def test_code_expiring_between_the_two_steps_sends_the_pupil_back(client, world, issue_code):
    code = issue_code(world.amy)
    enter_code(client, world.a, "amy.adams", code)
    with school_scope(world.a):
        SignInCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = choose_password(client, world.a)
    assert response["Location"] == signin_url(world.a, "pupil_signin_code_entry")
    assert not fresh(world.amy.user).has_usable_password()


def test_code_is_typed_any_case_with_or_without_the_dash(client, world, issue_code):
    code = issue_code(world.amy)
    typed = code.replace("-", " ").lower()
    assert enter_code(client, world.a, "Amy.Adams", typed).status_code == 302


def test_another_pupils_username_with_the_code_is_refused(client, world, issue_code):
    code = issue_code(world.amy)
    assert enter_code(client, world.a, "ben.brown", code).status_code == 200


def test_the_code_does_not_work_on_another_schools_page(client, world, issue_code):
    code = issue_code(world.amy)
    assert enter_code(client, world.b, "amy.adams", code).status_code == 200


def test_a_weak_password_is_refused_and_the_code_still_works(client, world, issue_code):
    code = issue_code(world.amy)
    enter_code(client, world.a, "amy.adams", code)
    response = choose_password(client, world.a, "12345")
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert (
        choose_password(client, world.a, NEW_PASSWORD, again="different-one-x").status_code == 200
    )
    assert (
        "The two passwords are not the same."
        in choose_password(client, world.a, NEW_PASSWORD, again="different-one-x").content.decode()
    )
    assert choose_password(client, world.a).status_code == 302


def test_password_step_without_a_checked_code_goes_back_to_code_entry(client, world):
    response = choose_password(client, world.a)
    assert response["Location"] == signin_url(world.a, "pupil_signin_code_entry")


def test_a_code_checked_at_one_school_cannot_be_finished_at_another(client, world, issue_code):
    enter_code(client, world.a, "amy.adams", issue_code(world.amy))
    response = choose_password(client, world.b)
    assert response["Location"] == signin_url(world.b, "pupil_signin_code_entry")


def test_an_imported_pupil_gets_in_with_a_code(client, client_for, world):
    """Imported pupils have no password at all until they use a code (ACC-2)."""
    from markbook.rosters import services as rosters

    with school_scope(world.a):
        pupil = rosters.pupil_create(
            actor=world.admin, school=world.a, first_name="Zed", last_name="Zane", year_group="7"
        )
    assert not pupil.user.has_usable_password()
    response = client_for("admin").post(code_url(world, pupil))
    enter_code(client, world.a, pupil.username, response.context["code"])
    assert choose_password(client, world.a).status_code == 302
    assert fresh(pupil.user).check_password(NEW_PASSWORD)


def test_code_sign_in_and_redemption_are_audited(client, world, issue_code):
    code = issue_code(world.amy)
    enter_code(client, world.a, "amy.adams", "WRONG-CODE")
    enter_code(client, world.a, "amy.adams", code)
    choose_password(client, world.a)
    (failed,) = events(world.a, "accounts.signin.failed")
    assert failed.data["method"] == "code" and "WRONG" not in str(failed.data)
    (redeemed,) = events(world.a, "accounts.signin_code.redeemed")
    assert redeemed.actor_id == world.amy.user.pk
    (succeeded,) = events(world.a, "accounts.signin.succeeded")
    assert succeeded.data == {"method": "code", "username": "amy.adams"}
    for event in (failed, redeemed, succeeded):
        assert code not in str(event.data) and NEW_PASSWORD not in str(event.data)


def test_class_page_shows_no_code_button_to_a_trust_admin_who_may_not_use_it(client_for, world):
    page = client_for("trust_admin").get(
        reverse(
            "rosters:class_detail", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
        )
    )
    assert page.status_code == 200
    assert "New sign-in code" not in page.content.decode()
