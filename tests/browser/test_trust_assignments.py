"""A trust administrator sets an existing trust assignment to one more class, then
deletes it, the page saying first how many copies and marks would go (ASM-1)."""

import pytest
from playwright.sync_api import expect

from markbook.assessment import services
from markbook.assessment.models import Assignment, TrustAssignment
from markbook.core.tenancy import all_schools, school_scope
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_trust_admin_adds_a_class_then_deletes_the_assignment(page, world, shot):
    with all_schools():
        original = services.trust_assignment_create(
            actor=world.trust_admin,
            trust=world.a.trust,
            classes=[world.class_7a],
            title="Trust mock",
            max_mark=60,
        )
    with school_scope(world.a):
        copy_a = Assignment.objects.get(trust_origin=original)
        services.mark_record(actor=None, assignment=copy_a, pupil=world.amy, score=41)
    sign_in(page, world.trust_admin.email)
    open_page(page, f"/trust/{world.a.trust_id}/assignments/")
    page.get_by_role("link", name="Trust mock").click()
    page.get_by_role("link", name="Add classes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add classes to Trust mock")
    expect(page.get_by_label("7A Maths")).to_have_count(0)  # it has its copy
    page.get_by_label("7B Maths").check()
    shot(page, "add-classes")
    page.get_by_role("button", name="Add classes").click()
    expect(page.get_by_role("status")).to_contain_text("Trust mock was set to 7B Maths.")
    expect(
        page.get_by_role("listitem").filter(has_text="7B Maths · Oakfield Academy")
    ).to_be_visible()
    with school_scope(world.a):
        assert Assignment.objects.filter(trust_origin=original).count() == 2

    page.get_by_role("link", name="Delete this assignment").click()
    expect(page.get_by_role("main")).to_contain_text("2 school copies")
    expect(page.get_by_label("Delete 7A Maths · Oakfield Academy and its 1 mark")).to_be_visible()
    shot(page, "delete-confirm")
    page.get_by_role("button", name="Delete assignment").click()
    expect(page.get_by_role("status")).to_contain_text(
        "1 school copy with marks stays with its school as its own assignment"
    )
    with all_schools():
        assert not TrustAssignment.objects.exists()
        assert Assignment.objects.get().pk == copy_a.pk  # kept, with its mark
