"""The platform's list of schools in the browser (TEN-1, RET-5): platform staff end a
school's subscription for a reason, then delete its data at its request after
reading what goes and typing its name; the school is then listed as deleted."""

import pytest
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from markbook.schools.models import School
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_staff_end_a_subscription_then_delete_the_schools_data(page, world, shot):
    sign_in(page, world.platform_staff.email)
    open_page(page, "/")
    page.get_by_role("link", name="Schools and their subscriptions").click()
    expect(page.locator("table")).to_contain_text("Birchwood Primary")
    page.get_by_role("link", name="Oakfield Academy").click()
    expect(page.locator("h1")).to_have_text("Oakfield Academy")

    page.get_by_label("State").select_option("ended")
    page.get_by_label("Reason (recorded in the school's access log)").fill("Not renewed")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("is now Ended")).to_be_visible()
    expect(page.locator("dl")).to_contain_text("Data deleted on")
    expect(page.locator("table")).to_contain_text("Not renewed")
    shot(page, "platform-school")

    page.get_by_role("link", name="Review the deletion").click()
    plan = page.locator("#deletion-plan")
    expect(plan).to_contain_text("Pupils")
    page.get_by_label("Type the school's name to confirm").fill("Oakfield")
    page.get_by_label("Reason (recorded in the platform's log)").fill("Asked by the head")
    page.get_by_role("button", name="Delete its data and key").click()
    expect(page.get_by_text("Type the school's name, Oakfield Academy, exactly.")).to_be_visible()
    assert School.objects.filter(pk=world.a.pk).exists()
    shot(page, "platform-deletion")

    page.get_by_label("Type the school's name to confirm").fill("Oakfield Academy")
    page.get_by_role("button", name="Delete its data and key").click()
    expect(page.get_by_text("The data of Oakfield Academy is deleted")).to_be_visible()
    assert School.records.get(pk=world.a.pk).deleted_at is not None
    with school_scope(world.a):
        assert not Pupil.objects.exists()
    page.get_by_role("link", name="All schools").click()
    expect(page.locator("table")).to_contain_text("Deleted")
    shot(page, "platform-list")
    page.get_by_role("link", name="Deleted", exact=True).click()
    expect(page.locator("table")).to_contain_text("Oakfield Academy")
    expect(page.locator("table")).not_to_contain_text("Birchwood Primary")
