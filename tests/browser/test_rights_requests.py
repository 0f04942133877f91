"""A parent asks, from their own pages, for a copy of their child's data; the school's
data protection lead records the identity check and approves it; the request is
carried out in the background and its page follows it to done (DSR-6, DSR-8, DSR-9)."""

import pytest
from playwright.sync_api import expect

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from markbook.rights import handlers, services
from markbook.rights.models import DataRequest
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def export_handler():  # type: ignore[no-untyped-def]
    """A test-only handler for copies of data: reports progress, then a file count."""

    def export(run):  # type: ignore[no-untyped-def]
        run.progress(3, 3, "records gathered")
        return {"files": 3}

    handlers.register("access", export)
    yield
    handlers.unregister("access")


def test_a_parent_requests_and_the_lead_approves(page, world, shot, export_handler):
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.colleague, role="dpo")
    sign_in(page, world.parent.email)
    open_page(page, f"/s/{world.a.pk}/")
    page.get_by_role("link", name="Data-protection requests").click()
    page.get_by_role("link", name="Make a request").click()
    page.get_by_label("Whose data is it about?").select_option(label="Amy Adams")
    page.get_by_label("A copy of the data held (subject access)").check()
    page.get_by_label("Details").fill("Everything you hold about Amy, please.")
    shot(page, "parent-form")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".messages")).to_contain_text("Your request was received")
    expect(page.locator("#request-status")).to_contain_text("Stage: Received")
    shot(page, "parent-received")

    page.context.clear_cookies()
    sign_in(page, world.colleague.email)
    open_page(page, f"/s/{world.a.pk}/requests/all/")
    expect(page.locator("table")).to_contain_text("Amy Adams")
    shot(page, "lead-list")
    page.get_by_role("link", name="A copy of the data held (subject access)").click()
    page.get_by_label("How was the requester's identity checked?").select_option("signed_in")
    page.get_by_role("button", name="Record the check").click()
    expect(page.locator("#request-status")).to_contain_text("Stage: Identity checked")
    page.get_by_role("button", name="Approve the request").click()
    expect(page.locator("#request-status")).to_contain_text("Markbook is carrying out the request")
    shot(page, "lead-approved")
    # The worker's turn: the page's status follows it (htmx polling) to done.
    with school_scope(world.a):
        request = DataRequest.objects.get()
        services.data_request_run(data_request=request)
    expect(page.locator("#request-status")).to_contain_text("Stage: Done", timeout=10_000)
    # Finished, the whole page reloads: the history has every stage, no actions are left.
    expect(page.locator("table")).to_contain_text("In progress")
    expect(page.locator("table")).to_contain_text("Done")
    expect(page.get_by_role("button", name="Extend")).to_have_count(0)
    shot(page, "lead-done")
