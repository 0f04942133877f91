"""Ending an academic year through chromium: the phase, the preview, the confirm that
restates the counts, and the archived classes afterwards (ROS-1, TEN-3)."""

import re

import pytest
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from markbook.schools.models import AcademicYear
from tests import factories as f
from tests.browser.steps import sign_in

pytestmark = pytest.mark.browser


def next_year_id(world) -> int:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return AcademicYear.objects.get(is_current=True).pk


def test_admin_previews_confirms_and_ends_the_year(page, world, shot):
    leaver = f.PupilFactory(school=world.a, first_name="Lia", last_name="Leaver", year_group="11")
    sign_in(page, world.admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Classes").click()
    expect(page.get_by_label("Academic year")).to_have_value(str(world.class_7a.academic_year_id))
    page.get_by_role("link", name="Academic years").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Academic years")
    page.get_by_label("Secondary (from Year 7)").check()
    page.get_by_role("button", name="Save phase").click()
    expect(page.get_by_text("Pupils in Year 11 are marked as leavers")).to_be_visible()
    shot(page, "years")

    page.get_by_role("link", name="End 2026/27 and start the next year").click()
    counts = page.locator("#rollover-counts")
    expect(counts).to_contain_text("3 pupils move up a year.")
    expect(counts).to_contain_text("1 Year 11 pupil will be marked as leaver on 31 Aug 2027.")
    expect(counts).to_contain_text("2 classes of 2026/27 will be archived")
    expect(page.get_by_role("cell", name="Lia Leaver")).to_be_visible()
    shot(page, "preview")

    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm")).to_be_visible()
    button = page.get_by_role(
        "button", name="End 2026/27: move 3 up, mark 1 as leavers, archive 2 classes"
    )
    shot(page, "confirm")
    button.click()
    expect(page.get_by_text("2027/28 is now the current year")).to_be_visible()
    expect(page.locator("tr", has_text="2026/27")).to_contain_text("Archived")
    shot(page, "done")

    with school_scope(world.a):
        assert Pupil.objects.get(pk=leaver.pk).status == Pupil.Status.LEFT
        assert Pupil.objects.get(pk=world.amy.pk).year_group == "8"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Classes").click()
    # The plain address: the current year is the one shown, no filter carried over.
    expect(page).to_have_url(re.compile(r"/roster/classes/$"))
    expect(page.get_by_label("Academic year")).to_have_value(str(next_year_id(world)))
    expect(page.get_by_role("cell", name="No classes in 2027/28.")).to_be_visible()
    page.get_by_label("Academic year").select_option(label="2026/27 (archived)")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="7A Maths")).to_be_visible()
    page.get_by_role("link", name="7A Maths").click()
    expect(page.get_by_text("this class is kept read-only")).to_be_visible()
    expect(page.get_by_label("Enrol a pupil (username)")).to_have_count(0)
    shot(page, "archived-class")
