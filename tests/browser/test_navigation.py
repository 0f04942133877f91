"""The account page and the data-protection terms are reached from the navigation, and the
two-factor advice on the settings page leads to the account page (ACC-5, TEN-7)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_admin_follows_the_two_factor_advice_and_finds_the_terms(page, world, shot):
    sign_in(page, world.admin.email)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Data-protection terms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data-protection terms")
    expect(page.get_by_text(f"{world.a.name} accepted this version")).to_be_visible()
    shot(page, "terms")

    nav.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="your account page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/"))
    shot(page, "two-factor")

    nav.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    shot(page, "account")


@pytest.mark.parametrize("role", ["teacher", "parent", "pupil"])
def test_everyone_reaches_their_account_but_only_admins_see_the_terms(page, world, role):
    if role == "pupil":
        page.goto(f"/signin/{world.a.signin_slug}/")
        page.get_by_label("Username").fill("amy.adams")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    else:
        sign_in(page, world.user(role).email)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Data-protection terms")).to_have_count(0)
    nav.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
