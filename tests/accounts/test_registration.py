"""Self-registration on a school's registration page (ACC-4): requests made with an
email address wait for a school administrator, who approves or refuses them on the
staff page; a pupil must confirm their parent or carer agrees, and the time is kept."""

import re

from django.core import mail
from django.urls import reverse

from markbook.accounts.models import Membership, RegistrationRequest, User
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from tests.accounts.conftest import events, signin_url

NEW_PASSWORD = "a-long-new-password-42"


def register(client, world, **data):  # type: ignore[no-untyped-def]
    form = {
        "role": "teacher",
        "first_name": "Nia",
        "last_name": "Newton",
        "email": "nia.newton@gmail.com",
        "password": NEW_PASSWORD,
        **data,
    }
    return client.post(signin_url(world.a, "staff_register"), form)


def pending(world) -> list[RegistrationRequest]:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return list(RegistrationRequest.objects.filter(status="pending"))


def decide_url(world, request: RegistrationRequest) -> str:  # type: ignore[no-untyped-def]
    return reverse(
        "school_accounts:registration_decide",
        kwargs={"school_id": world.a.pk, "request_id": request.pk},
    )


def test_registration_page_is_reached_through_the_schools_sign_in_address(client, world):
    response = client.get(signin_url(world.a, "staff_register"))
    assert response.status_code == 200
    assert "Join Oakfield Academy" in response.content.decode()
    pupil_page = client.get(signin_url(world.a)).content.decode()
    assert signin_url(world.a, "staff_register") in pupil_page


def test_teacher_registering_by_email_gets_an_inactive_account_and_a_pending_request(client, world):
    response = register(client, world)
    assert response.status_code == 200
    assert "administrator will check your request" in response.content.decode()
    user = User.objects.get(email="nia.newton@gmail.com")
    assert not user.is_active
    assert user.check_password(NEW_PASSWORD)
    [request] = pending(world)
    assert (request.user, request.role, request.method) == (user, "teacher", "password")
    with school_scope(world.a):
        assert not Membership.objects.filter(user=user).exists()
    assert events(world.a, "accounts.registration.requested")


def test_inactive_registrant_cannot_sign_in_before_approval(client, world):
    register(client, world)
    client.post(
        reverse("account_login"),
        {"login": "nia.newton@gmail.com", "password": NEW_PASSWORD},
    )
    assert "_auth_user_id" not in client.session


def test_pupil_must_confirm_their_parent_or_carer_agrees(client, world):
    response = register(
        client, world, role="pupil", email="zoe.zane@oakfield.sch.uk", year_group="7"
    )
    assert "Tick the box to confirm your parent or carer agrees" in response.content.decode()
    assert pending(world) == []


def test_pupil_request_records_when_consent_was_confirmed(client, world):
    register(
        client,
        world,
        role="pupil",
        first_name="Zoe",
        last_name="Zane",
        email="zoe.zane@oakfield.sch.uk",
        year_group="7",
        parental_consent="on",
        password="",
    )
    [request] = pending(world)
    assert request.role == "pupil"
    assert request.parental_consent_at is not None
    assert request.user is None
    assert not User.objects.filter(email="zoe.zane@oakfield.sch.uk").exists()


def test_address_with_an_account_already_is_refused_by_name(client, world):
    response = register(client, world, email="teacher@oakfield.sch.uk")
    assert "teacher@oakfield.sch.uk already has a Markbook account" in response.content.decode()
    assert pending(world) == []


def test_weak_password_is_refused_and_no_account_is_left(client, world):
    response = register(client, world, password="short")
    assert response.status_code == 200
    assert not User.objects.filter(email="nia.newton@gmail.com").exists()
    assert pending(world) == []


def test_school_without_passwords_sends_staff_to_its_provider(client, world):
    world.a.signin_methods = ["google"]
    world.a.save(update_fields=["signin_methods"])
    response = register(client, world)
    assert "does not use Markbook passwords: register with Google" in response.content.decode()
    assert not User.objects.filter(email="nia.newton@gmail.com").exists()


def test_staff_page_lists_pending_requests_for_the_admin(client, client_for, world):
    register(client, world)
    html = (
        client_for("admin")
        .get(reverse("rosters:teachers", kwargs={"school_id": world.a.pk}))
        .content.decode()
    )
    assert "Requests to join" in html
    assert "nia.newton@gmail.com" in html


def test_admin_approves_a_teacher_who_can_then_sign_in(client, client_for, world):
    register(client, world)
    [request] = pending(world)
    response = client_for("admin").post(decide_url(world, request), {"decision": "approve"})
    assert response.status_code == 302
    user = User.objects.get(email="nia.newton@gmail.com")
    assert user.is_active
    with school_scope(world.a):
        assert Membership.objects.filter(user=user, role="teacher").exists()
        request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", world.admin)
    [event] = events(world.a, "accounts.registration.approved")
    assert event.actor_id == world.admin.pk
    client.post(
        reverse("account_login"),
        {"login": "nia.newton@gmail.com", "password": NEW_PASSWORD},
    )
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_admin_refuses_a_teacher_whose_inactive_account_is_removed(client, client_for, world):
    register(client, world)
    [request] = pending(world)
    client_for("admin").post(decide_url(world, request), {"decision": "refuse"})
    assert not User.objects.filter(email="nia.newton@gmail.com").exists()
    with school_scope(world.a):
        request.refresh_from_db()
    assert request.status == "refused"
    assert events(world.a, "accounts.registration.refused")


def test_approving_a_pupil_creates_their_pupil_record(client, client_for, world):
    register(
        client,
        world,
        role="pupil",
        first_name="Zoe",
        last_name="Zane",
        email="zoe.zane@oakfield.sch.uk",
        year_group="8",
        parental_consent="on",
    )
    [request] = pending(world)
    client_for("admin").post(decide_url(world, request), {"decision": "approve"})
    with school_scope(world.a):
        pupil = Pupil.objects.get(first_name="Zoe", last_name="Zane")
        request.refresh_from_db()
    assert pupil.year_group == "8"
    assert request.user == pupil.user


def test_request_is_answered_only_once(client, client_for, world):
    register(client, world)
    [request] = pending(world)
    admin = client_for("admin")
    admin.post(decide_url(world, request), {"decision": "approve"})
    admin.post(decide_url(world, request), {"decision": "refuse"})
    assert User.objects.get(email="nia.newton@gmail.com").is_active
    assert len(events(world.a, "accounts.registration.refused")) == 0


def test_teacher_cannot_answer_a_request(client, client_for, world):
    register(client, world)
    [request] = pending(world)
    response = client_for("teacher").post(decide_url(world, request), {"decision": "approve"})
    assert response.status_code == 404
    assert not User.objects.get(email="nia.newton@gmail.com").is_active


def test_other_schools_admin_gets_404_for_a_request(client, client_for, world):
    register(client, world)
    [request] = pending(world)
    response = client_for("other_admin").post(decide_url(world, request), {"decision": "approve"})
    assert response.status_code == 404


# --- Teachers in the school's domain confirm by email (ACC-4) ------------------------


def confirm_link() -> str:
    [message] = mail.outbox
    return re.search(r"http://testserver(/signin/\S+/register/confirm/\S+/)", message.body)[1]


def test_teacher_in_the_schools_domain_is_sent_a_confirmation_link(client, world):
    response = register(client, world, email="nia.newton@oakfield.sch.uk")
    assert "We have sent a link to nia.newton@oakfield.sch.uk" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["nia.newton@oakfield.sch.uk"]
    assert not User.objects.get(email="nia.newton@oakfield.sch.uk").is_active


def test_teacher_outside_the_schools_domain_is_sent_no_link(client, world):
    register(client, world)
    assert mail.outbox == []


def test_following_the_link_approves_the_teacher(client, world):
    register(client, world, email="nia.newton@oakfield.sch.uk")
    link = confirm_link()
    assert client.get(link).status_code == 200
    assert not User.objects.get(email="nia.newton@oakfield.sch.uk").is_active  # GET only shows
    response = client.post(link)
    assert response.status_code == 302
    user = User.objects.get(email="nia.newton@oakfield.sch.uk")
    assert user.is_active
    with school_scope(world.a):
        assert Membership.objects.filter(user=user, role="teacher").exists()
    assert events(world.a, "accounts.registration.approved_by_email")
    assert client.post(link).status_code == 400  # used once


def test_forged_confirmation_link_is_refused(client, world):
    register(client, world, email="nia.newton@oakfield.sch.uk")
    link = confirm_link()
    assert client.post(link[:-3] + "xx/").status_code == 400
    assert not User.objects.get(email="nia.newton@oakfield.sch.uk").is_active


def test_link_does_not_work_on_another_schools_page(client, world):
    register(client, world, email="nia.newton@oakfield.sch.uk")
    link = confirm_link().replace(world.a.signin_slug, world.b.signin_slug)
    assert client.post(link).status_code == 400
