"""Steps the browser tests share: signing in through the real forms, status checks."""

import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through allauth's form at /accounts/login/, as staff and parents do."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def open_page(page: Page, path: str, status: int = 200) -> None:
    """Open `path` and check the status of the final answer (after redirects)."""
    response = page.goto(path)
    assert response is not None, path
    assert response.status == status, f"{path} answered {response.status}, expected {status}"


def mark_page(page: Page) -> None:
    """Tag the current document; `assert_same_page` then proves htmx swapped a part of it
    instead of the browser loading a new page."""
    page.evaluate("window.__markbookTag = 'same-document'")


def assert_same_page(page: Page) -> None:
    assert page.evaluate("window.__markbookTag") == "same-document", "the page was reloaded"
