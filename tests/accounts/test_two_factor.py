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
