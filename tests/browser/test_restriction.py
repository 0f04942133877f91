"""The school's data protection lead restricts a pupil's data in the browser (DSR-5):
from the pupil's page, with the reason; the pupil's page then says so; the decision is
lifted with its reason (DSR-10's slot for passing the change on is on the page)."""

import pytest
from playwright.sync_api import expect

from markbook.accounts.models import Membership
from markbook.core.tenancy import all_schools
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_dpo_restricts_a_pupil_from_their_page_and_lifts_it(page, world, shot):
    with all_schools():
        Membership.objects.create(school=world.a, user=world.admin, role=Membership.Role.DPO)
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/pupils/{world.amy.pk}/")
    page.get_by_role("link", name="Restrict processing").click()
    expect(page.get_by_label("Person")).to_have_value("amy.adams")
    page.get_by_label("What they asked for").select_option("objection")
    page.get_by_label("Reason").fill("Her parent objects to her data being used for analysis.")
    page.get_by_role("button", name="Restrict processing").click()
    expect(page.locator("h1")).to_contain_text("Objection to processing: Amy Adams")
    expect(page.locator("#passed-on-h")).to_be_visible()
    shot(page, "restriction")
    page.get_by_role("link", name="Amy Adams's page").click()
    expect(page.locator(".restriction")).to_contain_text("kept but not processed")
    shot(page, "pupil-page")
    page.get_by_role("link", name="The decision, and lifting it").click()
    page.get_by_label("Why it is lifted").fill("The parent withdrew the objection.")
    page.get_by_role("button", name="Lift the restriction").click()
    expect(page.locator(".card.details")).to_contain_text("Lifted")
    open_page(page, f"/s/{world.a.pk}/privacy/restrictions/")
    expect(page.locator("table").nth(1)).to_contain_text("The parent withdrew the objection.")
    shot(page, "list")


def test_a_correction_from_the_pupils_page(page, world, shot):
    """DSR-3: the corrections page records a sensitive correction and lists it, the
    values in words."""
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/pupils/{world.amy.pk}/")
    page.get_by_role("link", name="Corrections").click()
    page.get_by_label("Field").select_option("sen_need")
    page.get_by_label("Corrected value").fill("SPLD")
    page.get_by_label("Request number").fill("12")
    page.get_by_role("button", name="Correct").click()
    table = page.locator("table")
    expect(table).to_contain_text("Specific learning difficulty")
    expect(table).to_contain_text("Request number 12")
    shot(page, "corrections")
