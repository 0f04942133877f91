"""The browser suite's own checks must be able to fail."""

import pytest

from tests.browser.steps import open_page

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
