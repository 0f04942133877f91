"""Two-factor sign-in pages (ACC-5) render in Markbook's own layout for staff."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

LAYOUT = '<header class="topbar">'


def signed_in(email: str) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("email", ["teacher@oakfield.sch.uk", "admin@oakfield.sch.uk"])
def test_two_factor_pages_render_in_our_layout_for_staff(world, email):
    client = signed_in(email)
    index = client.get(reverse("mfa_index"))
    assert index.status_code == 200
    assert LAYOUT in index.content.decode() and "Sign out" in index.content.decode()
    # Setting up an authenticator asks for the password again first (allauth).
    reauth = client.get(reverse("mfa_activate_totp"), follow=True)
    assert LAYOUT in reauth.content.decode()
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    activate = client.get(reverse("mfa_activate_totp"))
    html = activate.content.decode()
    assert activate.status_code == 200
    assert LAYOUT in html
    assert 'name="code"' in html  # the authenticator code to confirm set-up


def test_reauthentication_page_renders_in_our_layout(client_for, world):
    response = client_for("teacher").get(reverse("mfa_activate_totp"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert LAYOUT in response.content.decode()


def test_profile_links_to_two_factor(client_for, world):
    html = client_for("teacher").get(reverse("accounts:profile")).content.decode()
    assert f'href="{reverse("mfa_index")}"' in html


# --- a school can require two-factor sign-in for administrators (ACC-5) ---------


def _give_totp(user) -> None:  # type: ignore[no-untyped-def]
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _require(world) -> None:  # type: ignore[no-untyped-def]
    from markbook.schools.models import School

    School.objects.filter(pk=world.a.pk).update(require_admin_2fa=True)


def home(world) -> str:  # type: ignore[no-untyped-def]
    return reverse("schools:home", kwargs={"school_id": world.a.pk})


def test_admin_without_an_authenticator_is_sent_to_set_one_up(client_for, world):
    _require(world)
    response = client_for("admin").get(home(world))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_admin_with_an_authenticator_gets_in(client_for, world):
    _require(world)
    _give_totp(world.admin)
    assert client_for("admin").get(home(world)).status_code == 200


def test_the_requirement_is_for_administrators_only(client_for, world):
    _require(world)
    for role in ("teacher", "pupil", "parent", "trust_admin"):
        assert client_for(role).get(home(world)).status_code == 200, role


def test_without_the_setting_admins_need_no_authenticator(client_for, world):
    assert client_for("admin").get(home(world)).status_code == 200


def _save_settings(client, world, **extra):  # type: ignore[no-untyped-def]
    data = {"email_domains": "oakfield.sch.uk", **extra}
    return client.post(reverse("schools:settings", kwargs={"school_id": world.a.pk}), data)


def test_admin_must_set_up_their_own_authenticator_before_requiring_it(client_for, world):
    from markbook.schools.models import School

    response = _save_settings(client_for("admin"), world, require_admin_2fa="on")
    assert response.status_code == 200
    assert "Set up two-factor sign-in for your own account first" in response.content.decode()
    assert School.objects.get(pk=world.a.pk).require_admin_2fa is False


def test_admin_with_an_authenticator_turns_the_requirement_on_audited(client_for, world):
    from markbook.schools.models import School
    from tests.accounts.conftest import events

    _give_totp(world.admin)
    response = _save_settings(client_for("admin"), world, require_admin_2fa="on")
    assert response.status_code == 302
    assert School.objects.get(pk=world.a.pk).require_admin_2fa is True
    (event,) = events(world.a, "schools.settings.changed")
    assert event.data["require_admin_2fa"] == {"old": False, "new": True}


def test_pupils_are_not_offered_two_factor(client_for, world):
    html = client_for("pupil").get(reverse("accounts:profile")).content.decode()
    assert reverse("mfa_index") not in html
