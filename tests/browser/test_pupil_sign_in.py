"""A pupil signs in on their school's own sign-in page, /signin/<signin_slug>/, with the
username the school gave them (ACC-1). The page is built on the pupil sign-in branch:
this test states its contract (fields "Username" and "Password", button "Sign in")."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import open_page
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_pupil_signs_in_on_the_school_sign_in_page_and_sees_their_page(page, world, shot):
    open_page(page, f"/signin/{world.a.signin_slug}/")
    shot(page, "sign-in")
    page.get_by_label("Username").fill("amy.adams")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/"))
    mine = page.get_by_role("region", name="My page")
    expect(mine).to_contain_text("Amy Adams")
    expect(mine).to_contain_text("7A Maths")
    expect(page.locator("body")).not_to_contain_text("Ben Brown")
    shot(page, "my-page")


def test_pupil_of_another_school_cannot_sign_in_on_school_a_page(page, world, shot):
    open_page(page, f"/signin/{world.a.signin_slug}/")
    page.get_by_label("Username").fill("dee.davies")  # a School B pupil
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/signin/{world.a.signin_slug}/"))
    expect(page.locator("body")).not_to_contain_text("Dee Davies")
    shot(page, "refused")
