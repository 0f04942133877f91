"""An administrator deletes the whole roster: the page counts what goes, a mistyped
school name is refused with nothing deleted, the exact name deletes it (DSR-7)."""

import re

import pytest
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil, TeachingClass
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_the_admin_deletes_the_whole_roster_typing_the_schools_name(page, world, shot, console):
    console.allow_status(409)
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/staff/")
    page.get_by_role("link", name="Delete the whole roster…").click()
    expect(page.get_by_role("heading", name="Delete the whole roster?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("3 pupils, with their sign-in accounts")
    expect(page.locator("main")).to_contain_text("2 classes and 3 enrolments")
    expect(page.locator("main")).to_contain_text("they are not deleted by this")
    shot(page, "confirm")
    box = page.get_by_label("To confirm, type the school's name exactly")
    box.fill("Oakfield")
    page.get_by_role("button", name="Delete 3 pupils and 2 classes").click()
    expect(page.get_by_role("alert")).to_contain_text("“Oakfield” is not the school's name")
    shot(page, "mistyped")
    with school_scope(world.a):
        assert Pupil.objects.count() == 3
    page.get_by_label("To confirm, type the school's name exactly").fill("Oakfield Academy")
    page.get_by_role("button", name="Delete 3 pupils and 2 classes").click()
    expect(page.get_by_text("The roster was deleted: 3 pupils and 2 classes.")).to_be_visible()
    shot(page, "done")
    with school_scope(world.a):
        assert Pupil.objects.count() == 0 and TeachingClass.objects.count() == 0


def test_a_pupil_asks_and_their_teacher_sees_it_and_an_admin_checks_a_staff_deletion(
    page, world, shot
):
    """DSR-7: the pupil asks on their own page; the teacher of their class sees the
    count and the list; an administrator's staff deletion page says what goes and stays."""
    from tests.factories import PASSWORD

    open_page(page, f"/signin/{world.a.signin_slug}/")
    page.get_by_label("Username").fill("amy.adams")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/"))
    open_page(page, f"/s/{world.a.pk}/roster/pupils/{world.amy.pk}/")
    page.get_by_role("link", name="Ask to delete my account").click()
    shot(page, "ask")
    page.get_by_role("button", name="Ask to delete my account").click()
    expect(page.get_by_text("Your request was sent to your teachers.")).to_be_visible()
    page.context.clear_cookies()
    sign_in(page, world.teacher.email)
    open_page(page, f"/s/{world.a.pk}/roster/classes/")
    page.get_by_role("link", name="1 pupil asked to have their account deleted").click()
    expect(page.locator("table")).to_contain_text("Amy Adams")
    shot(page, "teacher-list")
    page.context.clear_cookies()
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/staff/{world.teacher.pk}/delete/")
    expect(page.locator("main")).to_contain_text("What stays")
    shot(page, "staff-delete")
