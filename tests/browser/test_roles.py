"""Teachers, parents, trust administrators, other schools' users and anonymous visitors,
each through chromium (TEN-3: who sees what; other schools' pages answer 404)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import open_page, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_teacher_sees_their_classes_and_pupils_but_not_another_class(page, world, shot, console):
    sign_in(page, world.teacher.email)
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/$"))
    mine = page.get_by_role("region", name="My classes")
    expect(mine.get_by_role("link", name="7A Maths")).to_be_visible()
    expect(mine.get_by_role("link", name="7B Maths")).to_have_count(0)
    expect(page.get_by_role("region", name="School overview")).to_have_count(0)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Pupils")).to_have_count(0)
    shot(page, "home")

    nav.get_by_role("link", name="My classes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My classes")
    expect(page.get_by_role("link", name="Add a class")).to_have_count(0)
    shot(page, "classes")

    page.get_by_role("link", name="7A Maths").click()
    pupils = page.locator("#class-pupils")
    expect(pupils.get_by_role("link", name="Amy Adams")).to_be_visible()
    expect(pupils.get_by_role("link", name="Ben Brown")).to_be_visible()
    expect(page.get_by_label("Enrol a pupil (username)")).to_have_count(0)  # admins only
    expect(page.get_by_role("button", name="Detach")).to_have_count(0)
    shot(page, "class")

    pupils.get_by_role("link", name="Amy Adams").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amy Adams")
    expect(page.get_by_role("heading", name="Sensitive information")).to_have_count(0)
    expect(page.get_by_role("heading", name="School information")).to_have_count(0)
    shot(page, "pupil")

    console.allow_status(404)
    open_page(page, f"/s/{world.a.pk}/roster/pupils/{world.cal.pk}/", status=404)
    expect(page.get_by_text("Cal Clark")).to_have_count(0)
    open_page(page, f"/s/{world.a.pk}/roster/classes/{world.class_7b.pk}/", status=404)
    open_page(page, f"/s/{world.a.pk}/roster/pupils/", status=404)
    shot(page, "other-class-pupil-404")


def test_parent_sees_their_child_only(page, world, shot, console):
    sign_in(page, world.parent.email)
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/$"))
    children = page.get_by_role("region", name="My children")
    expect(children).to_contain_text("Amy Adams")
    expect(children).not_to_contain_text("Ben Brown")
    shot(page, "children")

    children.get_by_role("link", name="View").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amy Adams")
    expect(page.locator("dl.details")).to_contain_text("7A Maths")
    expect(page.get_by_role("link", name="7A Maths")).to_have_count(0)  # class pages are staff-only
    shot(page, "child")

    console.allow_status(404)
    open_page(page, f"/s/{world.a.pk}/roster/pupils/{world.ben.pk}/", status=404)
    open_page(page, f"/s/{world.a.pk}/roster/classes/", status=404)


def test_trust_admin_opens_the_trust_schools_page_and_a_school(page, world, shot, console):
    sign_in(page, world.trust_admin.email)
    expect(page).to_have_url(re.compile(rf"/trust/{world.a.trust_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Oak Learning Trust")
    schools = page.get_by_role("table")
    expect(schools.get_by_role("link", name="Oakfield Academy")).to_be_visible()
    expect(schools).not_to_contain_text("Birchwood Primary")
    expect(schools.get_by_role("row", name=re.compile("Oakfield Academy"))).to_contain_text("3")
    shot(page, "trust")

    schools.get_by_role("link", name="Oakfield Academy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oakfield Academy")
    expect(page.get_by_role("region", name="School overview")).to_be_visible()
    # The access log and settings belong to the school's own administrators.
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Access log")).to_have_count(0)
    expect(nav.get_by_role("link", name="Settings")).to_have_count(0)
    expect(page.get_by_role("link", name="Access log")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pupils").click()
    expect(page.locator("#pupil-results").get_by_role("link", name="Amy Adams")).to_be_visible()
    page.get_by_role("link", name="Amy Adams").click()
    # SEC-2: the encrypted fields are for the school's own administrators.
    expect(page.get_by_role("heading", name="Sensitive information")).to_have_count(0)
    shot(page, "school-pupil")

    console.allow_status(404)
    open_page(page, f"/s/{world.b.pk}/", status=404)


SCHOOL_A_PAGES = (
    "/s/{a}/",
    "/s/{a}/roster/pupils/",
    "/s/{a}/roster/pupils/{amy}/",
    "/s/{a}/roster/classes/",
    "/s/{a}/roster/classes/{class_7a}/",
    "/s/{a}/roster/staff/",
    "/s/{a}/roster/import/class-list/",
    "/s/{a}/settings/",
    "/s/{a}/terms/",
    "/s/{a}/audit/",
    "/trust/{trust}/",
)


def test_admin_of_another_school_gets_404_on_school_a_pages(page, world, shot, console):
    sign_in(page, world.other_admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Birchwood Primary")
    console.allow_status(404)
    ids = {"a": world.a.pk, "amy": world.amy.pk, "class_7a": world.class_7a.pk}
    for path in SCHOOL_A_PAGES:
        open_page(page, path.format(trust=world.a.trust_id, **ids), status=404)
        expect(page.locator("body")).not_to_contain_text("Oakfield")
        expect(page.locator("body")).not_to_contain_text("Amy")
    shot(page, "404")


def test_anonymous_visitor_is_sent_to_sign_in_and_back(page, world, shot):
    open_page(page, f"/s/{world.a.pk}/roster/pupils/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator("body")).not_to_contain_text("Amy")
    shot(page, "sign-in")

    page.get_by_label("Email").fill(world.admin.email)
    page.get_by_label("Password").fill("wrong-password-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".errorlist")).to_contain_text("not correct")
    shot(page, "wrong-password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/roster/pupils/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pupils")


def test_anonymous_visitor_of_the_dashboard_is_sent_to_sign_in(page, world):
    open_page(page, "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
