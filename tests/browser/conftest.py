"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

One chromium per test session (per xdist worker); a fresh browser context and page per
test. Every page's console errors, uncaught exceptions and Content-Security-Policy
violations are collected and fail the test: our CSP forbids inline scripts and styles,
so a violation is a real bug. Screenshots go to artifacts/screenshots/ (git-ignored),
named by test and step; a failing test gets one of the page as it was.

The browser is never downloaded: if /usr/bin/chromium is missing these tests fail
(CI installs it with apt), they do not skip.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in this thread; the Django ORM calls the
# tests make between browser steps are still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("MARKBOOK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# Reports every CSP violation on the console, where the collector below sees it, even
# when the browser itself would only log it quietly. Init scripts are not subject to CSP.
_REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || document.location.pathname}:${e.lineNumber}`);
});
"""


# Basic accessibility checks on every page a test photographs: one h1, every form control
# labelled, every table column header scoped.
_A11Y_BASICS = """() => {
  const problems = [];
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(`${h1} h1 headings`);
  for (const e of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button"].includes(e.type)) continue;
    if (!e.labels.length && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby"))
      problems.push(`unlabelled ${e.tagName.toLowerCase()} name=${e.name}`);
  }
  for (const th of document.querySelectorAll("thead th:not([scope])"))
    problems.push(`column header without scope: ${th.textContent.trim()}`);
  return problems;
}"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.path).startswith(here) and item.get_closest_marker("browser") is None:
            raise pytest.UsageError(f"{item.nodeid}: mark browser tests @pytest.mark.browser")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the item, so the page fixture knows a test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _thread_connections() -> dict[str, object]:
    """Django's database connections of this thread, as seen without an event loop."""
    from django.db import connections

    return {alias: connections[alias] for alias in connections}


def _share_connections(thread_connections: dict[str, object]) -> None:
    """While Playwright's loop runs, asgiref gives this thread's code a second, per-context
    set of Django connections: new SQLite connections nobody closes (a ResourceWarning, an
    error here) outside the test's transaction handling. Point that set at the thread's own."""
    from django.db import connections

    for alias, connection in thread_connections.items():
        setattr(connections._connections, alias, connection)


@pytest.fixture(scope="session")
def _chromium(django_db_setup):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing. The browser tests need Debian's chromium "
            "(apt-get install chromium) and never download a browser; set MARKBOOK_CHROMIUM "
            "to use another path.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    thread_connections = _thread_connections()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # Before any function fixture: pytest-django's live server takes its connections
        # from the first set it sees.
        _share_connections(thread_connections)
        yield chromium, thread_connections
        chromium.close()


@pytest.fixture
def browser(_chromium):  # type: ignore[no-untyped-def]
    """The session's one headless chromium (one per xdist worker)."""
    chromium, thread_connections = _chromium
    _share_connections(thread_connections)
    return chromium


class ConsoleProblems:
    """Console errors, page errors and CSP violations seen on a test's pages."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._allowed: list[re.Pattern[str]] = []

    def add(self, text: str) -> None:
        self.seen.append(text)

    def allow(self, pattern: str) -> None:
        """Expect console errors matching this regular expression (e.g. a 404 answer)."""
        self._allowed.append(re.compile(pattern))

    def allow_status(self, status: int) -> None:
        """The browser logs every 4xx/5xx answer; allow one the test expects."""
        self.allow(rf"Failed to load resource: the server responded with a status of {status}\b")

    def unexpected(self) -> list[str]:
        return [t for t in self.seen if not any(p.search(t) for p in self._allowed)]

    def assert_none(self) -> None:
        problems = self.unexpected()
        assert not problems, "Console errors or CSP violations:\n  " + "\n  ".join(problems)


@pytest.fixture
def console() -> ConsoleProblems:
    return ConsoleProblems()


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


@pytest.fixture
def shot(request: pytest.FixtureRequest, console: ConsoleProblems):  # type: ignore[no-untyped-def]
    """shot(page, "step") saves artifacts/screenshots/<test>--<nn>-<step>.png and checks
    the console so far. Saving never raises: a screenshot must not hide the real failure."""
    counter = iter(range(1, 100))
    for old in SCREENSHOTS.glob(f"{_safe_name(request.node.name)}--*.png"):
        old.unlink(missing_ok=True)  # this run's pictures only

    def take(page, step: str) -> Path | None:  # type: ignore[no-untyped-def]
        path = (
            SCREENSHOTS
            / f"{_safe_name(request.node.name)}--{next(counter):02d}-{_safe_name(step)}.png"
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # caret="initial": hiding the caret leaves style="" on every input, which
            # htmx's settle step then copies, tripping our CSP (style-src-attr).
            page.screenshot(path=str(path), full_page=True, caret="initial")
        except Exception as error:  # a screenshot is best effort
            print(f"screenshot {path.name} not saved: {error}")
            return None
        console.assert_none()
        problems = page.evaluate(_A11Y_BASICS)
        assert not problems, f"{step}: " + "; ".join(problems)
        return path

    return take


@pytest.fixture
def page(browser, live_server, console: ConsoleProblems, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A fresh page (own cookies) on the live server; relative URLs work in goto()."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 860},
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(10_000)
    context.add_init_script(_REPORT_CSP)
    browser_page = context.new_page()
    browser_page.on(
        "console",
        lambda msg: (
            console.add(f"console.{msg.type}: {msg.text} [{msg.location.get('url', '')}]")
            if msg.type == "error"
            else None
        ),
    )
    browser_page.on("pageerror", lambda error: console.add(f"uncaught: {error}"))
    yield browser_page
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        path = SCREENSHOTS / f"{_safe_name(request.node.name)}--FAILED.png"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            browser_page.screenshot(path=str(path), full_page=True, caret="initial")
            print(f"failure screenshot: {path}")
        except Exception as error:
            print(f"failure screenshot not saved: {error}")
    context.close()
    if call is not None and call.passed:
        console.assert_none()
