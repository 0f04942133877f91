"""A pupil asks to join their school on its registration page, confirming their parent
or carer agrees; the school administrator approves the request on the staff page (ACC-4)."""

import re

import pytest
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_pupil_asks_to_join_and_the_admin_approves(page, world, shot):
    open_page(page, f"/signin/{world.a.signin_slug}/register/")
    page.get_by_label("A pupil").check()
    page.get_by_label("First name").fill("Zoe")
    page.get_by_label("Last name").fill("Zane")
    page.get_by_label("Email address").fill("zoe.zane@oakfield.sch.uk")
    page.get_by_label("Year group (pupils only)").fill("7")
    page.get_by_role("button", name="Ask to join").click()
    expect(page.locator(".errorlist").first).to_contain_text("parent or carer agrees")
    shot(page, "consent-missing")
    page.get_by_label("My parent or carer agrees").check()
    page.get_by_role("button", name="Ask to join").click()
    expect(page.get_by_role("status")).to_contain_text("administrator will check your request")
    shot(page, "requested")

    sign_in(page, "admin@oakfield.sch.uk")
    open_page(page, f"/s/{world.a.pk}/roster/staff/")
    requests = page.get_by_role("region", name="Requests to join")
    expect(requests).to_contain_text("zoe.zane@oakfield.sch.uk")
    expect(requests).to_contain_text("parent or carer agreed")
    shot(page, "staff-page")
    requests.get_by_role("button", name="Approve Zoe Zane").click()
    expect(page.get_by_text("Zoe Zane's request was approved.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/roster/staff/$"))
    with school_scope(world.a):
        assert Pupil.objects.filter(first_name="Zoe", last_name="Zane", year_group="7").exists()
