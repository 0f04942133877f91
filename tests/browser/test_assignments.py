"""A teacher sets a test with grade boundaries (the boundaries swapped in with htmx
when the subject is chosen); a parent sees their child's mark and grade (ASM-1,
ASM-3, TEN-3)."""

import pytest
from playwright.sync_api import expect

from markbook.assessment import services
from markbook.assessment.models import Assignment
from markbook.core.tenancy import school_scope
from tests import factories as f
from tests.browser.steps import assert_same_page, mark_page, sign_in

pytestmark = pytest.mark.browser


def test_teacher_sets_a_test_with_boundaries_and_a_parent_sees_the_grade(
    page, world, shot, browser
):
    f.gcse_subject(world.a, name="Maths")  # not linked: the teacher chooses it
    sign_in(page, world.teacher.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assignments").click()
    page.get_by_role("link", name="Set work for 7A Maths").click()
    page.get_by_label("Title").fill("Algebra test")
    page.get_by_label("Kind").select_option("test")
    page.get_by_label("Due date").fill("2026-11-20")
    page.get_by_label("Maximum mark").fill("40")
    mark_page(page)
    page.get_by_label("Subject").select_option(label="Maths (GCSE 9-1)")
    expect(page.get_by_label("7", exact=True)).to_be_visible()
    assert_same_page(page)
    page.get_by_label("4", exact=True).fill("16")
    page.get_by_label("7", exact=True).fill("30")
    shot(page, "boundaries-filled")
    page.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_role("heading", name="Algebra test")).to_be_visible()
    expect(page.get_by_role("cell", name="16")).to_be_visible()
    shot(page, "assignment-saved")

    with school_scope(world.a):
        test = Assignment.objects.get(title="Algebra test")
        mark = services.mark_record(actor=world.teacher, assignment=test, pupil=world.amy, score=31)
        mark.feedback = "Excellent factorising."
        mark.save(update_fields=["feedback"])

    context = browser.new_context(base_url=page.url.split("/s/")[0], locale="en-GB")
    parent = context.new_page()
    sign_in(parent, world.parent.email)
    parent.get_by_role("link", name="Results of Amy Adams").click()
    row = parent.get_by_role("row", name="Algebra test")
    expect(row).to_contain_text("31 / 40")
    expect(row.get_by_role("cell", name="7", exact=True)).to_be_visible()
    expect(row).to_contain_text("Excellent factorising.")
    expect(parent.get_by_text("Ben")).to_have_count(0)
    shot(parent, "parent-results")
    context.close()
