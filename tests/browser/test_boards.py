"""Leaderboards in chromium (ASM-6): a pupil opens the boards from the navigation, sees
the class board with full names and their own row highlighted, the global board with
first names and initials and the schools; a teacher sees the practice homework's
completion in the markbook (ASM-2)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import sign_in
from tests.factories import PASSWORD
from tests.practice.test_boards import consent_to_boards, practise
from tests.practice.test_homework import attempt, set_homework

pytestmark = pytest.mark.browser


def test_a_pupil_sees_the_class_and_global_boards(page, world, shot):
    consent_to_boards(world, world.amy, world.cal, world.dee)
    practise(world.amy, [("7x8", True, 2000, 10)] * 3)
    practise(world.ben, [("6x7", True, 2000, 10)] * 4)
    practise(world.cal, [("3x4", True, 2000, 10)])
    practise(world.dee, [("2x9", True, 2000, 25)])
    page.goto(f"/signin/{world.a.signin_slug}/")
    page.get_by_label("Username").fill("amy.adams")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboards").click()
    expect(page.get_by_role("heading", name="Leaderboards")).to_be_visible()
    table = page.locator("table.board")
    expect(table.get_by_role("row").nth(1)).to_contain_text("Ben Brown")
    mine = table.locator("tr.is-me")
    expect(mine).to_contain_text("Amy Adams")
    expect(mine).to_contain_text("(you)")
    shot(page, "class-board")
    page.get_by_role("navigation", name="Board").get_by_role("link", name="Global").click()
    expect(table).to_contain_text("Dee D.")
    expect(table).to_contain_text("Birchwood Primary")
    expect(table.locator("tr.is-me")).to_contain_text("Amy A.")
    expect(page.locator("main, body").first).not_to_contain_text("Adams")
    expect(table).not_to_contain_text("Ben")  # no consent: not on the global board
    shot(page, "global-board")


def test_a_teacher_sees_who_has_done_the_practice_homework(page, world, shot):
    homework = set_homework(world, due_in=-1)
    attempt(homework, world.amy, correct=17, finished_days_ago=3)
    attempt(homework, world.ben, correct=3)
    sign_in(page, world.teacher.email)
    page.goto(f"/s/{world.a.pk}/markbook/classes/{world.class_7a.pk}/")
    grid = page.locator(".markbook-grid")
    expect(grid.locator(".cell-progress.is-on-time")).to_have_text("Done")
    expect(grid.locator(".cell-progress.is-started")).to_have_text("Started")
    expect(grid).to_contain_text("17")
    shot(page, "markbook-practice-homework")
