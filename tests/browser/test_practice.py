"""A pupil does the timed times-tables check in Chromium (ASM-2, ASM-8): one question
at a time, answered from the keyboard, the server's countdown on screen, a question
left to time out, the finish summary."""

import random
import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_same_page, mark_page, open_page
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _solve(prompt: str) -> str:
    left, sign, right = prompt.split(" ")
    return str(int(left) * int(right) if sign == "×" else int(left) // int(right))


def test_a_pupil_does_a_timed_trial(page, world, shot, console):
    console.allow_status(409)  # the question left to time out is refused when answered
    open_page(page, f"/signin/{world.a.signin_slug}/")
    page.get_by_label("Username").fill("amy.adams")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Practice").click()
    expect(page.get_by_role("heading", name="Practice", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="How points work")).to_be_visible()
    shot(page, "practice-home")
    page.get_by_role(
        "button", name="Start Times tables check (25 questions, 6 seconds each)"
    ).click()
    expect(page).to_have_url(re.compile(r"/practice/attempts/\d+/$"))
    countdown = page.locator(".practice-countdown")
    expect(countdown).to_contain_text("seconds left")
    shot(page, "first-question")
    mark_page(page)
    rng = random.Random(5)
    answer = page.get_by_label("Your answer")
    feedback = page.locator("#practice-feedback")
    for n in range(1, 26):
        expect(page.locator(".practice-progress")).to_contain_text(f"Question {n} of 25")
        prompt = page.locator("#practice-prompt").inner_text()
        if n == 5:
            # Left alone: the countdown runs out and the server times the question out.
            expect(countdown).to_contain_text("Time is up", timeout=9000)
            expect(feedback).to_contain_text("Time was up for question 5", timeout=5000)
            shot(page, "timed-out")
            continue
        page.wait_for_timeout(rng.randint(450, 1000))  # a person's pace, not a script's
        expect(answer).to_be_focused()
        answer.fill("1" if n == 3 else _solve(prompt))
        answer.press("Enter")
        if n == 3:
            expect(feedback).to_contain_text("Not quite")
            shot(page, "wrong-answer")
        elif n < 25:
            expect(feedback).to_contain_text("Right!")
    expect(page.locator("#practice-area")).to_contain_text("Finished: 23 of 25 right")
    assert_same_page(page)
    shot(page, "finished")
    page.get_by_role("link", name="See how you did").click()
    expect(page.get_by_role("table")).to_contain_text("Time up")
    shot(page, "summary")
