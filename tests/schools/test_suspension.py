"""ACC-6 emergency suspension: a school administrator suspends the whole school in one
confirmed action; every session and API token of its users stops working at their
next request, the pupil sign-in address is rotated, background work waits; only the
school's administrators get back in, signed in again, to the suspension page, to lift
it. Both actions audited and emailed to the administrators."""

import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from markbook.accounts.models import ApiToken, Membership
from markbook.accounts.services import api_token_create
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.privacy.tasks import run_export
from markbook.rights.tasks import run_data_request
from markbook.rosters.models import ImportJob
from markbook.rosters.tasks import run_import_job, run_roster_delete
from markbook.schools import lifecycle, suspension
from markbook.schools.models import School
from tests import factories as f
from tests.factories import PASSWORD
from tests.rosters.test_import_jobs import fetch, queue, run_worker


def page(school: School) -> str:
    return reverse("schools:suspension", args=[school.pk])


def home(school: School) -> str:
    return reverse("schools:home", args=[school.pk])


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def bearer(user) -> tuple[Client, ApiToken]:  # type: ignore[no-untyped-def]
    token, secret = api_token_create(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), token


def suspend(world, capture=None) -> School:  # type: ignore[no-untyped-def]
    return suspension.school_suspend(
        actor=world.admin, school=world.a, confirm_name="Oakfield Academy", reason="Phishing"
    )


def fresh(school: School) -> School:
    return School.objects.get(pk=school.pk)


# --- the page and the API ----------------------------------------------------------


def test_the_page_says_what_happens_and_asks_for_the_schools_name(client_for, world):
    response = client_for("admin").get(page(world.a))
    text = response.content.decode()
    assert response.status_code == 200
    for said in ("signs everyone out", "changes the pupil sign-in address", "pauses background"):
        assert said in text
    assert 'name="confirm_name"' in text


def test_a_wrong_name_suspends_nothing(client_for, world):
    slug = world.a.signin_slug
    response = client_for("admin").post(
        page(world.a), {"action": "suspend", "confirm_name": "Oakfield"}
    )
    assert response.status_code == 400
    assert "Oakfield Academy, to suspend it" in response.content.decode()
    school = fresh(world.a)
    assert school.emergency_suspended_at is None and school.signin_slug == slug


def test_suspending_is_recorded_and_emailed_to_the_administrators(
    client_for, world, django_capture_on_commit_callbacks
):
    with school_scope(world.a):
        second = f.member(world.a, Membership.Role.SCHOOL_ADMIN, email="deputy@oakfield.sch.uk")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("admin").post(
            page(world.a),
            {"action": "suspend", "confirm_name": "oakfield academy ", "reason": "Phishing"},
        )
    assert response.status_code == 200
    assert "You are signed out too" in response.content.decode()
    assert fresh(world.a).emergency_suspended_at is not None
    with school_scope(world.a):
        event = AuditEvent.objects.get(action="schools.school.suspended")
    assert event.actor_id == world.admin.pk and event.data["reason"] == "Phishing"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.admin.email, second.email])
    assert "Phishing" in mail.outbox[0].body


@pytest.mark.parametrize("role", ["teacher", "trust_admin", "pupil", "other_admin"])
def test_only_the_schools_administrators_may_suspend_it(client_for, world, role):
    response = client_for(role).post(
        page(world.a), {"action": "suspend", "confirm_name": "Oakfield Academy"}
    )
    assert response.status_code == 404
    assert fresh(world.a).emergency_suspended_at is None


def test_the_api_suspends_with_the_name_and_lifts(client_for, world):
    api = client_for("admin")
    url = f"/api/schools/{world.a.pk}/suspension"
    wrong = api.post(url, json.dumps({"confirm_name": "Oak"}), content_type="application/json")
    assert wrong.status_code == 422 and "confirm_name" in wrong.json()["errors"]
    done = api.post(
        url, json.dumps({"confirm_name": "Oakfield Academy"}), content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["suspended"] is True
    assert fresh(world.a).signin_slug in done.json()["pupil_signin_url"]
    # This session ended with it: signed in again, the suspension is all there is.
    again = signed_in(world.admin)
    assert again.get(f"/api/schools/{world.a.pk}/pupils").status_code == 403
    assert again.get(url).json()["suspended"] is True
    lifted = again.post(f"{url}/lift", "{}", content_type="application/json")
    assert lifted.status_code == 200 and lifted.json()["suspended"] is False
    assert again.get(f"/api/schools/{world.a.pk}/pupils").status_code == 200
    twice = again.post(f"{url}/lift", "{}", content_type="application/json")
    assert twice.status_code == 422


# --- sessions and tokens stop at the next request ---------------------------------


def test_a_teachers_session_stops_working_at_the_next_request(world):
    teacher = signed_in(world.teacher)
    assert teacher.get(home(world.a)).status_code == 200
    suspend(world)
    response = teacher.get(home(world.a))
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in teacher.session  # signed out, not merely refused
    assert teacher.get(reverse("accounts:profile")).status_code == 302


def test_signing_in_again_over_an_ended_session_signs_in(world):
    """The sign-in form posted with the cookie of a session the suspension ended: the
    old session goes, the new sign-in goes through (an administrator's, to lift it)."""
    admin = signed_in(world.admin)
    suspend(world)
    response = admin.post(
        reverse("account_login"), {"login": world.admin.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert admin.session["_auth_user_id"] == str(world.admin.pk)
    assert admin.get(page(world.a)).status_code == 200


def test_a_session_stops_on_pages_about_no_school_too(world):
    parent = signed_in(world.parent)
    suspend(world)
    assert parent.get(reverse("accounts:profile")).status_code == 302
    assert "_auth_user_id" not in parent.session


def test_an_api_token_stops_working_at_the_next_request_and_is_revoked(world):
    api, token = bearer(world.teacher)
    assert api.get(f"/api/schools/{world.a.pk}/classes").status_code == 200
    suspend(world)
    response = api.get(f"/api/schools/{world.a.pk}/classes")
    assert response.status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api.get("/api/me").status_code == 401


def test_someone_of_another_school_keeps_that_one_but_not_this_one(world):
    """A parent with children at both schools: B goes on, A ends for this session and
    their token."""
    f.link_parent(world.parent, world.dee)
    with school_scope(world.b):
        Membership.objects.create(school=world.b, user=world.parent, role="parent")
    browser = signed_in(world.parent)
    api, token = bearer(world.parent)
    suspend(world)
    refused = browser.get(home(world.a))
    assert refused.status_code == 403
    assert "ended your sign-in there" in refused.content.decode()
    assert browser.get(home(world.b)).status_code == 200
    assert api.get(f"/api/schools/{world.a.pk}/pupils/{world.amy.pk}").status_code == 401
    assert api.get(f"/api/schools/{world.b.pk}/pupils/{world.dee.pk}").status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is None  # it still serves school B


def test_a_trust_administrator_keeps_the_trusts_other_schools_but_not_this_one(world):
    with school_scope([]):
        other = f.SchoolFactory(name="Ash Primary", trust=world.a.trust)
    trust = signed_in(world.trust_admin)
    suspend(world)
    assert trust.get(home(world.a)).status_code == 403
    assert trust.get(home(other)).status_code == 200
    from markbook.rosters.models import Pupil

    with school_scope([world.a.pk, other.pk]):
        f.pupil_with_account(other, first_name="Ash", last_name="Ng", username="ash.ng")
    trust_page = trust.get(reverse("trust:home", args=[world.a.trust_id]))
    assert dict((s.name, n) for s, n in trust_page.context["rows"]) == {
        "Ash Primary": 1,
        "Oakfield Academy": 0,  # its pupils are out of the trust's reach while suspended
    }
    with school_scope(world.a):
        assert Pupil.objects.count() == 3
    again = signed_in(world.trust_admin)  # not an administrator of the suspension
    response = again.get(home(world.a))
    assert response.status_code == 403
    assert "suspended by its administrators" in response.content.decode()


# --- who gets in while it is suspended ----------------------------------------------


def test_administrators_signed_in_again_reach_only_the_suspension_page(world):
    suspend(world)
    admin = signed_in(world.admin)  # a new sign-in, after the suspension
    response = admin.get(home(world.a))
    assert response.status_code == 302 and response["Location"] == page(world.a)
    assert admin.get(reverse("rosters:pupils", args=[world.a.pk])).status_code == 302
    suspended_page = admin.get(page(world.a))
    assert suspended_page.status_code == 200
    assert "Lift the suspension" in suspended_page.content.decode()


@pytest.mark.parametrize("role", ["teacher", "pupil", "parent"])
def test_nobody_else_gets_in_even_signed_in_again(world, role):
    suspend(world)
    response = signed_in(world.user(role)).get(home(world.a))
    assert response.status_code == 403
    assert "suspended by its administrators" in response.content.decode()


def test_staff_cannot_sign_in_but_administrators_can(world):
    suspend(world)
    client = Client()
    refused = client.post(
        reverse("account_login"), {"login": world.teacher.email, "password": PASSWORD}
    )
    assert "suspended by its administrators" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    client.post(reverse("account_login"), {"login": world.admin.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(world.admin.pk)


def test_the_pupil_sign_in_address_is_rotated_and_the_old_one_is_gone(client, world):
    old = world.a.signin_slug
    assert client.get(reverse("pupil_signin", args=[old])).status_code == 200
    school = suspend(world)
    assert school.signin_slug != old and len(school.signin_slug) >= 16
    assert client.get(reverse("pupil_signin", args=[old])).status_code == 404
    new = client.get(reverse("pupil_signin", args=[school.signin_slug]))
    assert "suspended by its administrators" in new.content.decode()
    suspension.school_suspension_lift(actor=world.admin, school=school)
    assert client.get(reverse("pupil_signin", args=[old])).status_code == 404
    assert (
        'name="password"'
        in client.get(reverse("pupil_signin", args=[school.signin_slug])).content.decode()
    )


# --- lifting -----------------------------------------------------------------------


def test_lifting_is_recorded_emailed_and_lets_people_back_in(
    world, django_capture_on_commit_callbacks
):
    before = signed_in(world.teacher)
    suspend(world)
    admin = signed_in(world.admin)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(page(world.a), {"action": "lift", "reason": "Passwords reset"})
    assert response.status_code == 302
    assert response["Location"] == reverse("schools:settings", args=[world.a.pk])
    assert fresh(world.a).emergency_suspended_at is None
    with school_scope(world.a):
        event = AuditEvent.objects.get(action="schools.school.suspension_lifted")
    assert event.actor_id == world.admin.pk and event.data["reason"] == "Passwords reset"
    assert [m.to for m in mail.outbox] == [[world.admin.email]]
    assert "lifted" in mail.outbox[0].subject
    assert signed_in(world.teacher).get(home(world.a)).status_code == 200
    # A session from before the suspension stays ended.
    assert before.get(home(world.a)).status_code == 302


def test_suspending_twice_is_refused(world):
    suspend(world)
    with pytest.raises(Exception, match="suspended already"):
        suspend(world)


# --- background work waits --------------------------------------------------------


def test_every_task_entry_point_does_nothing_for_a_paused_school(world):
    assert not lifecycle.is_paused(world.a.pk)
    suspend(world)
    assert lifecycle.is_paused(world.a.pk) and not lifecycle.is_paused(world.b.pk)
    assert run_import_job.call(world.a.pk, 10**6) == "paused"
    assert run_data_request.call(world.a.pk, 10**6) == "paused"
    assert run_export.call(world.a.pk, 10**6) == "paused"
    assert run_roster_delete.call(world.a.pk) == "paused"
    assert run_import_job.call(world.b.pk, 10**6) == "missing"  # another school goes on


def test_a_queued_import_waits_and_runs_once_the_suspension_is_lifted(
    world, django_capture_on_commit_callbacks
):
    job = queue(world)
    suspend(world)
    run_worker()
    assert fetch(job).status == ImportJob.Status.QUEUED
    with django_capture_on_commit_callbacks(execute=True):
        suspension.school_suspension_lift(actor=world.admin, school=world.a)
    run_worker()
    assert fetch(job).status == ImportJob.Status.DONE


def test_the_import_sweep_skips_a_paused_school(world, capsys):
    from django.core.management import call_command

    suspend(world)
    call_command("markbook_import_jobs_sweep")
    assert f"school {world.a.pk} (Oakfield Academy): suspended, skipped" in capsys.readouterr().out


def test_google_sign_in_is_refused_for_staff_but_not_administrators(world, settings):
    """As for a password: a Google or Microsoft sign-in of a suspended school's teacher
    is refused with the message; its administrator's goes on."""
    from markbook.accounts.adapter import SocialAccountAdapter
    from tests.accounts.test_sso import GOOGLE_APP, callback_request, identity, refusal, uses

    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [GOOGLE_APP]}}
    uses(world.a, "password", "google")
    suspend(world)
    assert "suspended by its administrators" in refusal(identity("teacher@oakfield.sch.uk"))
    sociallogin = identity("admin@oakfield.sch.uk")
    SocialAccountAdapter().pre_social_login(callback_request(), sociallogin)
    assert sociallogin.user == world.admin


def test_the_export_expiry_sweep_skips_a_paused_school(world):
    from unittest import mock

    from markbook.privacy.export import services as exports

    suspend(world)
    with mock.patch.object(exports, "exports_expire", return_value=0) as expire:
        exports.exports_expire_all()
    swept = {call.kwargs["school"].pk for call in expire.call_args_list}
    assert world.b.pk in swept and world.a.pk not in swept
