"""A parent asks, from their own pages, for a copy of their child's data; the school's
data protection lead records the identity check and approves it; the request is
carried out in the background and its page follows it to done (DSR-6, DSR-8, DSR-9).
End to end with Markbook's own export: the parent downloads the zip from the request's
page within the download window, and not after it (DSR-2, DSR-9)."""

import datetime as dt
import json
import zipfile

import pytest
from playwright.sync_api import expect

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from markbook.privacy.models import ExportArchive
from markbook.rights import services
from markbook.rights.models import DataRequest
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_a_parent_requests_and_the_lead_approves(page, world, shot):
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

    # The parent downloads the copy from their request's page, within the window.
    page.context.clear_cookies()
    sign_in(page, world.parent.email)
    open_page(page, f"/s/{world.a.pk}/requests/{request.pk}/")
    link = page.get_by_role("link", name="Download the copy of the data (zip)")
    shot(page, "parent-done")
    with page.expect_download() as info:
        link.click()
    with zipfile.ZipFile(info.value.path()) as archive:
        names = archive.namelist()
        pupils = json.loads(archive.read(next(n for n in names if n == "json/rosters-pupil.json")))
    assert "summary.html" in names
    assert "Amy" in json.dumps(pupils) and "Ben" not in json.dumps(pupils)

    # After the window the copy is gone: the page says so, and the link is dead.
    href = link.get_attribute("href")
    with school_scope(world.a):
        item = ExportArchive.objects.get(request_id=request.pk)
        ExportArchive.objects.filter(pk=item.pk).update(
            expires_at=item.ready_at - dt.timedelta(seconds=1)
        )
    assert page.request.get(f"{page.url.split('/s/')[0]}{href}").status == 410
    open_page(page, f"/s/{world.a.pk}/requests/{request.pk}/")
    expect(page.locator("#request-status")).to_contain_text("deleted when its download window")
    expect(page.get_by_role("link", name="Download the copy of the data (zip)")).to_have_count(0)
    shot(page, "parent-expired")
