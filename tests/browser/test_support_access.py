"""Support access in the browser (TEN-6): an administrator grants a named member of
platform staff read-only access to the roster; they open the pupils page and are
refused elsewhere; the administrator reads what they opened and ends the access."""

import pytest
from playwright.sync_api import expect

from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_admin_grants_support_and_sees_what_they_did(page, world, shot, browser, live_server):
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/support/")
    page.get_by_label("Platform staff member's email").fill(world.platform_staff.email)
    page.get_by_label("Reason (for example the support ticket)").fill("Ticket 4821")
    page.get_by_label("Pupils, staff, classes and imports").check()
    page.get_by_role("button", name="Grant access").click()
    expect(page.locator("table")).to_contain_text("Active")

    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    other.set_default_timeout(30_000)
    staff = other.new_page()
    sign_in(staff, world.platform_staff.email)
    expect(staff.locator("main")).to_contain_text("Oakfield Academy")
    open_page(staff, f"/s/{world.a.pk}/roster/pupils/")
    expect(staff.locator("main")).to_contain_text("Amy")
    staff.goto(f"/s/{world.a.pk}/tracking/")
    expect(staff.locator("main")).to_contain_text("does not cover")

    page.get_by_role("link", name="What they did").click()
    expect(page.locator("table")).to_contain_text(f"/s/{world.a.pk}/roster/pupils/")
    shot(page, "support-log")
    page.get_by_role("button", name="End access now").click()
    staff.goto(f"/s/{world.a.pk}/roster/pupils/")
    expect(staff.locator("h1")).not_to_contain_text("Pupils")
    other.close()
