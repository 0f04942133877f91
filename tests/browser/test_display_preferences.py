"""Display preferences (ACC-7) set on the account page take effect at once (htmx, no
reload) and on every page after, through the same-origin font and styles (SEC-4)."""

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_same_page, mark_page, sign_in

pytestmark = pytest.mark.browser


def _root_font_px(page) -> float:  # type: ignore[no-untyped-def]
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")


def test_large_text_and_high_contrast_follow_the_teacher_to_other_pages(page, world, shot):
    sign_in(page, world.teacher.email)
    normal = _root_font_px(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your account").click()
    mark_page(page)
    form = page.locator("#display-form")
    form.get_by_label("Large", exact=True).check()
    form.get_by_label("High contrast").check()
    form.get_by_label("Dyslexia-friendly font").check()
    form.get_by_role("button", name="Save display preferences").click()
    expect(page.get_by_text("Your display preferences are saved.")).to_be_visible()
    assert_same_page(page)
    html = page.locator("html")
    expect(html).to_have_attribute("data-text-size", "large")
    expect(html).to_have_attribute("data-contrast", "high")
    shot(page, "account-saved")

    page.goto(f"/s/{world.a.pk}/roster/classes/")
    expect(html).to_have_attribute("data-text-size", "large")
    expect(html).to_have_attribute("data-contrast", "high")
    expect(html).to_have_attribute("data-font", "dyslexic")
    assert _root_font_px(page) == normal * 1.25
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px OpenDyslexic')")
    shot(page, "classes-large-contrast")


def test_hidden_help_goes_at_once_and_stays_gone(page, world, shot):
    sign_in(page, world.teacher.email)
    page.goto("/me/")
    help_block = page.locator("#help-api-tokens")
    expect(help_block).to_be_visible()
    help_block.get_by_role("button", name="Hide this help").click()
    expect(help_block).to_have_count(0)
    page.reload()
    expect(page.get_by_text("A token lets a script")).to_have_count(0)
    shot(page, "help-hidden")
