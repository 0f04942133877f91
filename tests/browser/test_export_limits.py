"""The data protection lead who has started too many copies of people's data lately is
told how long to wait, and nothing more is started (SEC-4)."""

import pytest
from playwright.sync_api import expect

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from markbook.privacy.models import ExportArchive
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_too_many_copies_started_says_how_long_to_wait(page, world, shot, console, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "privacy_export_start": "1/h/key",
    }
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.colleague, role="dpo")
    sign_in(page, world.colleague.email)
    open_page(page, f"/s/{world.a.pk}/privacy/exports/")
    page.get_by_label("A pupil").select_option(label="Adams, Amy (Year 7)")
    page.get_by_role("button", name="Make the copy").click()
    expect(page.get_by_text("Waiting to start")).to_be_visible()
    open_page(page, f"/s/{world.a.pk}/privacy/exports/")
    page.get_by_label("A pupil").select_option(label="Brown, Ben (Year 7)")
    console.allow_status(429)
    page.get_by_role("button", name="Make the copy").click()
    expect(page.get_by_role("heading", name="Please wait before trying again")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        "Too many copies of people's data started; try again in 60 minutes."
    )
    shot(page, "limit reached")
    with school_scope(world.a):
        assert ExportArchive.objects.count() == 1
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("heading", name="Copies of people's data")).to_be_visible()
