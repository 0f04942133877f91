"""A school administrator reads the access log in words and narrows it in the browser
(SEC-1): htmx swaps the results in place; the same filters work as a plain GET."""

import re

import pytest
from playwright.sync_api import expect

from markbook.audit import services as audit
from markbook.core.tenancy import school_scope
from markbook.rosters import services as rosters
from tests.browser.steps import assert_same_page, mark_page, open_page, sign_in

pytestmark = pytest.mark.browser


def test_admin_reads_and_filters_the_access_log(page, world, shot):
    for pupil in [world.amy, world.ben, world.cal] * 4:
        audit.record(
            actor=world.teacher, school=world.a, action="rosters.pupil.viewed", target=pupil
        )
    with school_scope(world.a):
        rosters.pupil_update(actor=world.admin, pupil=world.amy, year_group="8")
        rosters.pupil_move(
            actor=world.admin, pupil=world.ben, from_class=world.class_7a, to_class=world.class_7b
        )
    audit.record(
        actor=world.teacher, school=world.a, action="rosters.pupil.viewed", target=world.cal
    )
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/audit/")
    table = page.locator("table.audit-log")
    expect(table).to_contain_text("changed pupil details: year group 7 → 8")
    expect(table).to_contain_text("viewed 12 pupil pages between")
    # Newest first: the administrator's sign-in, the read, the move, the change, the run.
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table).to_contain_text("3 pupils")
    shot(page, "log")
    mark_page(page)
    page.get_by_label("About").fill("amy")
    expect(table.locator("tbody tr")).to_have_count(2)
    assert_same_page(page)
    expect(page).to_have_url(re.compile(r"person=amy"))
    page.get_by_label("Changes only").check()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Pupil Amy Adams (Year 8)")
    shot(page, "filtered")
