"""Platform staff accounts (TEN-6, SEC-3, ACC-2): made and ended on the server with
`markbook platform_staff`, recorded in the platform's log. Ending one stops it at its
next request, its sessions and API tokens included, and ends its support grants at every
school in that school's own log."""

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from markbook.accounts.models import User
from markbook.accounts.services import api_token_create
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.support import services

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("platform_staff", *args, stdout=out)
    return out.getvalue()


def events(action: str) -> list[AuditEvent]:
    with all_schools():
        return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_add_makes_an_account_with_a_one_time_password_to_change(world, client):
    out = run("add", " Sam.Patel@Markbook.example ", "--first-name", "Sam", "--last-name", "Patel")
    user = User.objects.get(email="sam.patel@markbook.example")
    assert user.is_platform_staff and user.is_active and user.must_change_password
    password = out.split("One-time password (to be changed at first sign-in): ")[1].strip()
    assert user.check_password(password)
    with all_schools():
        assert not user.memberships.exists()
    [added] = events("support.staff.added")
    assert added.school_id is None and added.target_id == str(user.pk)
    # The password signs in, and the first thing asked is a new one (ACC-2).
    signed_in = client.post(
        "/accounts/login/", {"login": user.email, "password": password}, follow=True
    )
    assert signed_in.redirect_chain[-1][0].startswith("/accounts/password/change/")
    assert "sam.patel@markbook.example" in run("list")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["teacher"], "already has a Markbook account"),
        (["not-an-address"], "is not a valid email address"),
        (["new@markbook.example", "--first-name", " "], "first and last name"),
    ],
)
def test_add_refuses_with_the_reason_and_makes_nothing(world, args, message):
    email = world.teacher.email if args[0] == "teacher" else args[0]
    names = args[1:] or ["--first-name", "Sam"]
    before = User.objects.count()
    with pytest.raises(CommandError, match=message):
        run("add", email, *names, "--last-name", "Patel")
    assert User.objects.count() == before
    assert not events("support.staff.added")
    world.teacher.refresh_from_db()
    assert not world.teacher.is_platform_staff


def _grant(world: Any, school: Any, admin: Any) -> Any:
    with school_scope(school):
        return services.support_grant_create(
            actor=admin,
            school=school,
            staff_email=world.platform_staff.email,
            reason="Ticket 4821",
            scope="read",
            areas=["roster"],
            expires_at=timezone.now() + dt.timedelta(days=1),
        )


def test_ending_stops_the_session_the_token_and_every_grant_at_once(world, client):
    staff = world.platform_staff
    grant_a = _grant(world, world.a, world.admin)
    grant_b = _grant(world, world.b, world.other_admin)
    _, secret = api_token_create(user=staff, name="scripts")
    client.force_login(staff)
    assert client.get("/platform/breaches/").status_code == 200
    pupils = f"/api/schools/{world.a.pk}/pupils"
    assert client.get(pupils, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200

    out = run("end", staff.email.upper())

    assert "2 live support grants ended" in out
    staff.refresh_from_db()
    assert not staff.is_platform_staff and not staff.is_active
    # The session signed in before is out at its next request; the token too.
    page = client.get("/platform/breaches/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert client.get(pupils, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    for school, grant in ((world.a, grant_a), (world.b, grant_b)):
        with school_scope(school):
            grant.refresh_from_db()
            assert grant.revoked_at is not None and not grant.live()
    revoked = events("support.grant.revoked")
    assert sorted(e.school_id for e in revoked) == sorted([world.a.pk, world.b.pk])
    [ended] = events("support.staff.ended")
    assert ended.school_id is None
    assert ended.data["grants_ended"] == 2 and ended.data["api_tokens_revoked"] == 1
    # Nobody can name them in a grant any more.
    with pytest.raises(Exception, match="not a member of Markbook's platform staff"):
        _grant(world, world.a, world.admin)
    assert staff.email not in run("list")


def test_ending_an_address_that_is_not_platform_staff_changes_nothing(world):
    with pytest.raises(CommandError, match="is not a platform staff account"):
        run("end", world.teacher.email)
    with pytest.raises(CommandError, match="No account has the address"):
        run("end", "nobody@markbook.example")
    world.teacher.refresh_from_db()
    assert world.teacher.is_active
    assert not events("support.staff.ended")


def test_with_two_factor_on_platform_staff_set_up_an_authenticator_before_anything(
    world, client, settings
):
    """On by default in production (tests/core/test_production.py)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    assert settings.MARKBOOK_PLATFORM_STAFF_TWO_FACTOR is False  # development's default
    settings.MARKBOOK_PLATFORM_STAFF_TWO_FACTOR = True
    client.force_login(world.platform_staff)
    page = client.get("/platform/breaches/")
    assert page.status_code == 302 and page["Location"] == reverse("mfa_activate_totp")
    api = client.get("/api/breaches")
    assert api.status_code == 403 and "two factors" in api.json()["detail"]
    assert client.get(reverse("mfa_index")).status_code == 200  # where it is set up
    # Others are not asked: a teacher without an authenticator goes on as before.
    teacher = Client()
    teacher.force_login(world.teacher)
    assert teacher.get(f"/s/{world.a.pk}/").status_code == 200

    TOTP.activate(world.platform_staff, generate_totp_secret())
    assert client.get("/platform/breaches/").status_code == 200
    assert client.get("/api/breaches").status_code == 200
