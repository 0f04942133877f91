"""A teacher's first day, in chromium: the class list filtered with htmx, the planning
fields for their class, sign-in cards printed for the whole class; and a pupil who
arrives at the main address finds their school's sign-in page by its code (TEN-3,
ACC-2, SEC-1)."""

import re

import pytest
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.rosters import services
from markbook.rosters.models import Enrolment
from tests import factories as f
from tests.browser.conftest import SCREENSHOTS
from tests.browser.steps import assert_same_page, mark_page, sign_in

pytestmark = pytest.mark.browser


def test_teacher_filters_classes_sees_planning_fields_and_prints_cards(page, world, shot):
    f.teaching_class(world.a, "7A Science", subject="Science", teachers=[world.teacher])
    with school_scope(world.a):
        for i in range(10):  # 12 pupils: two A4 pages of cards
            extra = f.pupil_with_account(world.a, username=f"zz.pupil{i}", last_name=f"Zz{i}")
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=extra)
    with school_scope(world.a):
        services.pupil_update(
            actor=world.admin, pupil=world.amy, sen_provision="K", eal=True, ks2_reading=112
        )
    sign_in(page, world.teacher.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My classes").click()
    results = page.locator("#class-results")
    expect(results).to_contain_text("2 classes")
    mark_page(page)
    page.get_by_label("Subject").select_option("Maths")
    expect(results).to_contain_text("1 class found")
    expect(results.get_by_role("link", name="7A Science")).to_have_count(0)
    assert_same_page(page)
    shot(page, "classes-filtered")

    results.get_by_role("link", name="7A Maths").click()
    pupils = page.locator("#class-pupils")
    expect(pupils.get_by_role("columnheader", name="SEN provision")).to_be_visible()
    expect(pupils.get_by_role("row", name=re.compile("Amy Adams"))).to_contain_text("112")
    shot(page, "class-with-planning-fields")

    page.get_by_role("link", name="Print sign-in cards").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "This will issue new sign-in codes to 12 pupils; their old codes stop working"
    )
    shot(page, "cards-confirm")
    page.get_by_role("button", name=re.compile("Issue 12 new codes")).click()
    cards = page.locator(".signin-card")
    expect(cards).to_have_count(12)
    expect(cards.first).to_contain_text("Amy Adams")
    expect(cards.first).to_contain_text("amy.adams")
    expect(cards.first).to_contain_text(f"/signin/{world.a.signin_slug}/code/")
    expect(cards.first).to_contain_text(
        re.compile(rf"School code\s*{re.escape(world.a.signin_slug)}")
    )
    code = cards.first.locator(".signin-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
    shot(page, "cards-screen")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    shot(page, "cards-print")
    # Eight cards to an A4 sheet: twelve cards print on two pages.
    pdf = page.pdf(format="A4", path=str(SCREENSHOTS / "signin-cards.pdf"))
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 860})

    # The printed code works: the pupil signs in with it and chooses a password.
    page.context.clear_cookies()
    page.goto(f"/signin/{world.a.signin_slug}/code/")
    page.get_by_label("Username").fill("amy.adams")
    page.get_by_label("Sign-in code").fill(code)
    page.get_by_role("button", name=re.compile("Continue|Sign in|Next")).click()
    expect(page).to_have_url(re.compile(r"/code/password/"))


def test_pupil_at_the_main_address_finds_their_schools_sign_in_page(page, world, shot):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    box = page.get_by_role("form", name="Pupils: sign in with your school's code")
    expect(box).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(world.a.name)
    shot(page, "main-sign-in")
    box.get_by_role("textbox", name="Your school's code").fill("not-a-school")
    box.get_by_role("button", name="Go to my school's sign-in page").click()
    expect(page.locator("body")).to_contain_text("No school has that code.")
    expect(page.locator("body")).not_to_contain_text(world.a.name)
    shot(page, "wrong-code")
    page.get_by_role("textbox", name="Your school's code").fill(world.a.signin_slug)
    page.get_by_role("button", name="Go to my school's sign-in page").click()
    expect(page).to_have_url(re.compile(rf"/signin/{world.a.signin_slug}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sign in to {world.a.name}")
    shot(page, "school-sign-in")
