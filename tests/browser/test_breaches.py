"""The breach register in the browser (SEC-3): platform staff record a breach and name
the school affected; the school's administrator sees the notice on the school's page,
reads the breach and the notice for the people affected, and acknowledges it."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_staff_record_a_breach_and_the_school_is_told(page, world, shot, browser, live_server):
    sign_in(page, world.platform_staff.email)
    open_page(page, "/platform/breaches/")
    page.get_by_label("What happened, in a few words").fill("Marks emailed to the wrong school")
    # Detected an hour ago, whenever the test runs, so the 72 hours are still running.
    detected = datetime.now(UTC) - timedelta(hours=1)
    page.get_by_label("Detected (UTC)").fill(f"{detected:%Y-%m-%dT%H:%M}")
    page.get_by_label("Description").fill(
        "A class's marks were emailed to another school's administrator."
    )
    page.get_by_label("Education record").check()
    page.get_by_label("Risk to people").select_option("high")
    page.get_by_label("Containment and recovery").fill("The recipient deleted the email.")
    page.get_by_role("button", name="Record the breach").click()
    expect(page.locator("h1")).to_contain_text("Marks emailed to the wrong school")
    expect(page.get_by_role("status").filter(has_text="left to report")).to_be_visible()
    page.get_by_label("School affected", exact=True).select_option(label="Oakfield Academy")
    page.get_by_label("People of that school affected").fill("28")
    page.get_by_role("button", name="Name the school and tell its administrators").click()
    expect(page.locator("table")).to_contain_text("Oakfield Academy")
    shot(page, "breach-detail")

    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    admin = other.new_page()
    sign_in(admin, world.admin.email)
    open_page(admin, f"/s/{world.a.pk}/")
    banner = admin.get_by_role("alert")
    expect(banner).to_contain_text("A data breach affects the school")
    shot(admin, "school-banner")
    admin.get_by_role("link", name="Read what happened and what to do").click()
    expect(admin.locator("dl")).to_contain_text("28")
    admin.get_by_role("link", name="The notice to send to them").click()
    expect(admin.locator("article")).to_contain_text("The recipient deleted the email.")
    shot(admin, "notice")
    admin.go_back()
    admin.get_by_role("button", name="We have read this").click()
    expect(admin.locator("main")).to_contain_text("Acknowledged on")
    open_page(admin, f"/s/{world.a.pk}/")
    expect(admin.get_by_text("A data breach affects the school")).to_have_count(0)
    other.close()
