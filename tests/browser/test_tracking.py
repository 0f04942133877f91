"""A school administrator sets up tracking (ASM-4): a school-defined scale, a data drop
created and locked, and its completion view."""

import re

import pytest
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.tracking.models import DataDrop, GradeScale
from tests.browser.steps import open_page, sign_in
from tests.factories import tracking_world

pytestmark = pytest.mark.browser


def test_admin_adds_a_scale_creates_a_drop_locks_it_and_sees_completion(page, world, shot):
    tracking_world(world)
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/tracking/scales/new/")
    page.locator("#id_name").fill("Reading stages")
    page.locator("#id_grades").fill("Beginning\nDeveloping\nConfident\nFluent")
    page.get_by_role("button", name="Save scale").click()
    expect(page.get_by_role("status")).to_contain_text("Reading stages added")
    expect(page.locator("caption", has_text="Reading stages")).to_be_visible()
    shot(page, "scale-bands")
    with school_scope(world.a):
        scale = GradeScale.objects.get(name="Reading stages")
        assert list(scale.grades.order_by("rank").values_list("label", flat=True)) == [
            "Beginning",
            "Developing",
            "Confident",
            "Fluent",
        ]

    open_page(page, f"/s/{world.a.pk}/tracking/drops/new/")
    page.locator("#id_name").fill("Spring")
    page.locator("#id_date").fill("2027-02-05")
    page.locator("#id_deadline").fill("2027-02-12")
    page.get_by_label("Year 7").check()
    page.locator("#id_fields").fill("Working at\nPredicted\nEffort: Reading stages")
    shot(page, "drop-form")
    page.get_by_role("button", name="Save drop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring")
    expect(page.get_by_role("status")).to_contain_text("Spring added")
    # 7A has 2 pupils and 7B 1, times 3 fields; nothing entered yet.
    expect(page.get_by_text("0 of 9")).to_be_visible()
    expect(page.get_by_role("link", name="6 to enter")).to_be_visible()
    shot(page, "completion")
    # A gap opens that class's entry grid for this drop (ASM-4).
    page.get_by_role("link", name="6 to enter").click()
    expect(page).to_have_url(re.compile(rf"/markbook/classes/{world.class_7a.pk}/drops/\d+/$"))
    shot(page, "gap-grid")
    page.go_back()

    page.get_by_role("button", name="Lock drop").click()
    expect(page.get_by_role("status")).to_contain_text("Spring is locked")
    expect(page.locator(".notice")).to_contain_text("Locked on")
    shot(page, "locked")
    with school_scope(world.a):
        assert DataDrop.objects.get(name="Spring").locked_at is not None
    page.get_by_role("button", name="Unlock for entry").click()
    expect(page.get_by_role("status")).to_contain_text("open for entry again")
