"""Processor controls in the browser (SEC-6, SEC-4): every request each role's main pages
make goes to Markbook itself (no CDN, no analytics, no third party), and the cookies set
are only those the privacy notice lists (privacy/cookies.py)."""

from urllib.parse import urlsplit

import pytest

from markbook.privacy.cookies import cookies
from tests.browser.steps import open_page, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _pages(world, role: str) -> list[str]:  # type: ignore[no-untyped-def]
    s = f"/s/{world.a.pk}"
    everyone = [f"{s}/", "/me/", "/privacy/"]
    return {
        "pupil": [*everyone, f"{s}/practice/", f"{s}/boards/", f"{s}/assessment/results/"],
        "parent": everyone,
        "teacher": [
            *everyone,
            f"{s}/roster/classes/",
            f"{s}/roster/classes/{world.class_7a.pk}/",
            f"{s}/practice/teach/sets/",
            f"{s}/practice/teach/classes/{world.class_7a.pk}/live/",
            f"{s}/practice/teach/classes/{world.class_7a.pk}/heatmap/",
            f"{s}/boards/",
            f"{s}/analysis/",
        ],
        "admin": [
            *everyone,
            f"{s}/roster/pupils/",
            f"{s}/settings/",
            f"{s}/audit/",
            f"{s}/support/",
            f"{s}/breaches/",
            f"{s}/privacy/retention/",
            f"{s}/consent/",
        ],
        "platform_staff": ["/", "/platform/breaches/", "/platform/schools/", "/me/"],
    }[role]


@pytest.mark.parametrize("role", ["pupil", "parent", "teacher", "admin", "platform_staff"])
def test_main_pages_ask_only_markbook_and_set_only_the_listed_cookies(
    page, world, live_server, console, role
):
    own = urlsplit(live_server.url).netloc
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    if role == "pupil":
        open_page(page, f"/signin/{world.a.signin_slug}/")
        page.get_by_label("Username").fill("amy.adams")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
    else:
        user = world.user(role)
        assert user is not None
        sign_in(page, user.email)
    for path in _pages(world, role):
        open_page(page, path)
        page.wait_for_load_state("networkidle")
    elsewhere = sorted(
        {
            u
            for u in requests
            if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own
        }
    )
    assert elsewhere == [], f"{role}'s pages asked outside Markbook: {elsewhere}"
    assert len(requests) > len(_pages(world, role))  # the pages and their own files
    listed = {c.name for c in cookies()}
    set_now = {c["name"] for c in page.context.cookies()}
    assert set_now - listed == set(), (
        f"cookies the privacy notice does not list: {set_now - listed}"
    )
