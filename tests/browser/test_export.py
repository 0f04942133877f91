"""The data protection lead makes a copy of a pupil's data and downloads it in the
browser (DSR-2, DSR-9): start, watch the progress, download within the window; the
parent who asked for another copy downloads theirs, and not after the window."""

import datetime as dt
import zipfile

import pytest
from playwright.sync_api import expect

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from markbook.privacy.export.services import export_run, export_start
from markbook.privacy.models import ExportArchive
from tests.browser.steps import open_page, sign_in
from tests.rosters.test_import_jobs import run_worker

pytestmark = pytest.mark.browser


def test_the_lead_makes_and_downloads_a_copy_of_a_pupils_data(page, world, shot):
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.colleague, role="dpo")
    sign_in(page, world.colleague.email)
    open_page(page, f"/s/{world.a.pk}/privacy/exports/")
    shot(page, "exports")
    page.get_by_label("A pupil").select_option(label="Adams, Amy (Year 7)")
    page.get_by_role("button", name="Make the copy").click()
    expect(page.get_by_text("Waiting to start")).to_be_visible()
    shot(page, "queued")
    run_worker()
    # The progress partial polls every second and turns into the download.
    download_link = page.get_by_role("link", name="Download the copy")
    expect(download_link).to_be_visible(timeout=10_000)
    shot(page, "ready")
    with page.expect_download() as info:
        download_link.click()
    with zipfile.ZipFile(info.value.path()) as archive:
        names = archive.namelist()
    assert "summary.html" in names and "csv/rosters-pupil.csv" in names


def test_a_parent_downloads_their_copy_within_the_window_and_not_after(page, world, shot):
    with school_scope(world.a):
        item = export_start(
            school=world.a, requested_by=world.parent, pupil=world.amy, enqueue=False
        )
        item = export_run(item.pk)
    sign_in(page, world.parent.email)
    open_page(page, f"/s/{world.a.pk}/privacy/exports/{item.pk}/")
    expect(page.get_by_text("Ready.")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the copy").click()
    assert zipfile.is_zipfile(info.value.path())
    with school_scope(world.a):
        ExportArchive.objects.filter(pk=item.pk).update(
            expires_at=item.ready_at - dt.timedelta(seconds=1)
        )
    open_page(page, f"/s/{world.a.pk}/privacy/exports/{item.pk}/")
    expect(page.get_by_text("No longer available.")).to_be_visible()
    expect(page.get_by_role("link", name="Download the copy")).to_have_count(0)
    shot(page, "expired")
