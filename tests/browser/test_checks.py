"""The browser suite's own checks must be able to fail."""

import pytest
from playwright.sync_api import expect

from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_an_inline_script_is_reported_as_a_csp_violation(page, live_server, console):
    open_page(page, "/accounts/login/")
    assert console.unexpected() == []
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true"; document.body.append(s); }"""
    )
    page.wait_for_function("() => true")
    assert page.evaluate("window.__ran") is None  # blocked by the policy
    problems = console.unexpected()
    assert any("CSP violation: script-src" in p for p in problems), problems
    console.allow("Content Security Policy|CSP violation")


def test_an_uncaught_page_error_is_reported(page, live_server, console):
    open_page(page, "/accounts/login/")
    page.evaluate("() => setTimeout(() => { throw new Error('boom from the page'); })")
    page.wait_for_function("() => true")
    page.wait_for_timeout(50)
    assert any("boom from the page" in p for p in console.unexpected())
    console.allow("boom from the page")


def test_an_unlabelled_field_fails_the_accessibility_basics(page, live_server, shot):
    open_page(page, "/accounts/login/")
    shot(page, "login")
    page.evaluate(
        """() => { const i = document.createElement("input"); i.name = "mystery";
                   document.querySelector("main").append(i); }"""
    )
    with pytest.raises(AssertionError, match="unlabelled input name=mystery"):
        shot(page, "with-unlabelled-field")


def test_the_skip_link_is_first_and_takes_keyboard_users_to_the_content(page, world):
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/pupils/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Add a pupil")).to_be_focused()
