"""An administrator imports pupils from an MIS export and exchanges a OneRoster zip in
the browser (ROS-2, ROS-3, ROS-4): check, read the preview, confirm; follow a background
import, and retry one that stalled."""

import re

import pytest
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.rosters.models import ImportJob, Pupil
from tests.browser.steps import open_page, sign_in
from tests.factories import stalled_import_job, valid_upn
from tests.rosters.test_import_jobs import run_worker

pytestmark = pytest.mark.browser

MIS = (
    "Forename,Legal Surname,UPN,Year Group,Reg Group,Gender,FSM Eligible,SEN Status,Ethnicity\n"
    f"Gwen,Evans,{valid_upn(701)},7,7X,F,Y,K,WBRI\n"
    f"Hari,Patel,{valid_upn(702)},8,8Y,M,N,N,AIND\n"
).encode()


def test_admin_checks_then_imports_an_mis_export(page, world, shot):
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/pupils/")
    page.get_by_role("link", name="Import from the MIS").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import pupils from the MIS")
    page.get_by_label("MIS export").set_input_files(
        {"name": "sims.csv", "mimeType": "text/csv", "buffer": MIS}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("button", name="Import this file")).to_be_visible()
    shot(page, "preview")
    with school_scope(world.a):
        assert not Pupil.objects.filter(last_name="Evans").exists()  # a preview writes nothing
    # The checked file is kept (encrypted, for an hour): no need to choose it again.
    expect(page.get_by_text("Checked: sims.csv")).to_be_visible()
    assert page.get_by_label("MIS export").input_value() == ""
    page.get_by_role("button", name="Import this file").click()
    page.wait_for_load_state()
    shot(page, "imported")
    expect(page.get_by_text("sims.csv imported.")).to_be_visible()
    with school_scope(world.a):
        assert not ImportJob.objects.filter(status="preview").exists()  # deleted once imported
        gwen = Pupil.objects.get(last_name="Evans")
        assert (gwen.year_group, gwen.registration_group, gwen.fsm, gwen.sen_provision) == (
            "7",
            "7X",
            True,
            "K",
        )


def test_admin_sees_row_and_column_of_each_mis_problem(page, world, shot):
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/import/mis/")
    bad = b"Forename,Legal Surname,UPN,Year Group\nIvy,Jones,A801200005001,7\nJo,King,,14\n"
    page.get_by_label("MIS export").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert").first).to_contain_text("nothing has been changed")
    errors = page.get_by_role("table").first
    expect(errors.get_by_role("row", name="2 UPN")).to_contain_text("check letter")
    expect(errors.get_by_role("row", name="3 year group")).to_contain_text("not a year group")
    expect(page.get_by_role("button", name="Import this file")).to_have_count(0)
    shot(page, "problems")


def test_admin_downloads_the_oneroster_export_and_checks_it_back(page, world, shot, tmp_path):
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/pupils/")
    page.get_by_role("link", name="OneRoster import and export").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("OneRoster")
    shot(page, "oneroster")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").first.click()
    path = tmp_path / "oneroster.zip"
    download.value.save_as(path)
    page.get_by_label("OneRoster zip").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("button", name="Import this file")).to_be_visible()
    shot(page, "oneroster-preview")


def test_admin_follows_a_background_import_from_the_mis_page(page, world, shot):
    from markbook.rosters.imports import jobs
    from markbook.rosters.models import ImportJob

    with school_scope(world.a):
        job = jobs.import_job_create(
            actor=world.admin,
            school=world.a,
            kind=ImportJob.Kind.MIS,
            data=MIS,
            filename="whole-school.csv",
            options={},
        )
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/import/mis/")
    recent = page.get_by_role("table", name="Recent background imports")
    expect(recent).to_contain_text("whole-school.csv")
    shot(page, "recent-imports")
    recent.get_by_role("link", name="whole-school.csv").click()
    expect(page).to_have_url(
        f"{page.url.split('/s/')[0]}/s/{world.a.pk}/roster/import/jobs/{job.pk}/"
    )
    expect(page.locator("progress")).to_be_visible()
    shot(page, "progress")


def test_admin_sees_a_stalled_import_and_retries_it(page, world, shot):
    """The worker died mid-import: the page says so plainly, stops polling, and a retry
    queues it again; the worker then imports it and the page follows (ROS-2)."""
    job = stalled_import_job(world.a, actor=world.admin, data=MIS)
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/import/mis/")
    recent = page.get_by_role("table", name="Recent background imports")
    expect(recent.get_by_role("row", name="mis.csv")).to_contain_text("Stalled")
    recent.get_by_role("link", name="mis.csv").click()
    expect(page).to_have_url(re.compile(rf"/roster/import/jobs/{job.pk}/$"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The import stopped responding")
    expect(alert).to_contain_text("Nothing was written")
    expect(page.get_by_role("button", name="Cancel the import")).to_be_visible()
    expect(page.locator("#import-job[hx-trigger]")).to_have_count(0)  # no polling
    shot(page, "stalled")
    page.get_by_role("button", name="Retry the import").click()
    expect(page.get_by_role("status").filter(has_text="queued again")).to_be_visible()
    expect(page.get_by_text("Waiting to start.")).to_be_visible()
    shot(page, "retried")
    run_worker()
    expect(page.get_by_text("Imported.")).to_be_visible()  # the page polled its way here
    expect(page.get_by_role("alert")).to_have_count(0)
    shot(page, "imported")
    with school_scope(world.a):
        assert Pupil.objects.filter(last_name__in=["Evans", "Patel"]).count() == 2


def test_admin_sees_a_warning_for_a_formula_like_name_in_a_class_list(page, world, shot):
    """SEC-1, ROS-2: the value is imported as given, with a warning naming row and column."""
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/import/class-list/")
    data = b'class,first name,last name\n9Q Art,"=HYPERLINK(1)",Zane\n'
    page.get_by_label("Class list").set_input_files(
        {"name": "list.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("status").first).to_contain_text("imported")
    warnings = page.get_by_role("table")
    expect(warnings.get_by_role("row", name="2 first name")).to_contain_text("formula")
    shot(page, "formula-warning")
    with school_scope(world.a):
        assert Pupil.objects.filter(first_name="=HYPERLINK(1)").exists()
