"""On a phone-sized screen the main pages fit the width: nothing sticks out sideways,
wide tables scroll inside their own area."""

import pytest

from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (e) => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
  const insideScrollArea = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (scrolls(p)) return true;
    }
    return false;
  };
  return Array.from(document.querySelectorAll("body *"))
    .filter((e) => e.getBoundingClientRect().right > width + 1 && !insideScrollArea(e))
    .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""));
}"""


def test_main_pages_fit_a_phone_screen(page, world, shot):
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, world.admin.email)
    for name, path in [
        ("home", f"/s/{world.a.pk}/"),
        ("pupils", f"/s/{world.a.pk}/roster/pupils/"),
        ("class", f"/s/{world.a.pk}/roster/classes/{world.class_7a.pk}/"),
        ("pupil", f"/s/{world.a.pk}/roster/pupils/{world.amy.pk}/"),
        ("staff", f"/s/{world.a.pk}/roster/staff/"),
        ("audit", f"/s/{world.a.pk}/audit/"),
    ]:
        open_page(page, path)
        shot(page, name)
        assert page.evaluate(OVERFLOW) == [], f"{name} overflows the screen"
        width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1], f"{name} scrolls sideways: {width}"
