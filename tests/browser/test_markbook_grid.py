"""The markbook grid in chromium (ASM-3): keyboard entry across a row, a pasted 5x10
block with A and N, a refused cell, nothing lost on navigation or with the network
cut, and the conflict between two teachers."""

import json
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from markbook.assessment.models import HELD, Mark
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Enrolment
from tests import factories as f
from tests.browser.steps import sign_in

pytestmark = pytest.mark.browser


def _setup(world, columns: int = 3, pupils: int = 0):  # type: ignore[no-untyped-def]
    tests = [
        f.markbook_assignment(world.class_7a, f"Test {i + 1}", max_mark=20) for i in range(columns)
    ]
    with school_scope(world.a):
        for i in range(pupils):
            p = f.PupilFactory(
                school=world.a, username=f"g{i}", last_name=f"Zed{i:02d}", first_name="Pupil"
            )
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=p)
    return tests


def _open(page, world):  # type: ignore[no-untyped-def]
    page.goto(f"/s/{world.a.pk}/markbook/classes/{world.class_7a.pk}/")
    expect(page.locator(".markbook-grid .tabulator-row").first).to_be_visible()


def _cell(page, pupil, assignment):  # type: ignore[no-untyped-def]
    return page.locator(f'.tabulator-cell[data-pupil="{pupil.pk}"][data-column="{assignment.pk}"]')


def _marks(world, assignment=None) -> dict:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        # The marks held: a cleared cell keeps its row (and version), holding none.
        marks = Mark.objects.filter(HELD)
        if assignment is not None:
            marks = marks.filter(assignment=assignment)
        return {(m.pupil_id, m.assignment_id): (m.status, m.score) for m in marks}


def _saved(page):  # type: ignore[no-untyped-def]
    expect(page.locator("#grid-status")).to_have_text("All changes saved.")


def test_keyboard_entry_across_a_row_and_undo(page, world, shot):
    t1, t2, t3 = _setup(world)
    sign_in(page, world.teacher.email)
    _open(page, world)
    _cell(page, world.amy, t1).click()
    page.keyboard.type("12")
    page.keyboard.press("Tab")
    page.keyboard.type("a")
    page.keyboard.press("Tab")
    page.keyboard.type("15.5")
    page.keyboard.press("Enter")
    _saved(page)
    expect(_cell(page, world.amy, t2)).to_have_text("A")
    expect(_cell(page, world.amy, t1)).to_have_class(re.compile("is-saved"))
    marks = _marks(world)
    assert marks[(world.amy.pk, t1.pk)][1] == 12
    assert marks[(world.amy.pk, t2.pk)][0] == "absent"
    assert marks[(world.amy.pk, t3.pk)][1] == 15.5
    # Enter moved down to Ben's Test 3; up again, Delete clears, Ctrl+Z brings it back.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Delete")
    _saved(page)
    assert (world.amy.pk, t3.pk) not in _marks(world)
    page.keyboard.press("Control+z")
    _saved(page)
    assert _marks(world)[(world.amy.pk, t3.pk)][1] == 15.5
    shot(page, "row-entered")


def test_a_pasted_block_with_absent_and_not_required_and_a_refused_cell(page, world, shot):
    tests = _setup(world, columns=10, pupils=3)
    sign_in(page, world.teacher.email)
    _open(page, world)
    rows = [[str((r + c) % 20) for c in range(10)] for r in range(5)]
    rows[1][2], rows[3][7] = "A", "N"
    rows[4][9] = "25"  # over the maximum: refused in that cell only
    text = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    _cell(page, world.amy, tests[0]).click()
    page.evaluate(
        """(text) => {
          const data = new DataTransfer();
          data.setData("text/plain", text);
          document.getElementById("markbook-grid").dispatchEvent(
            new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        text,
    )
    expect(page.locator("#grid-problems")).to_contain_text("25 is outside 0 to 20")
    expect(page.locator("#grid-status")).to_have_text("All changes saved.")
    assert len(_marks(world)) == 49
    statuses = sorted(s for s, _ in _marks(world).values() if s != "marked")
    assert statuses == ["absent", "not_required"]
    expect(page.locator(".tabulator-cell.is-error")).to_have_count(1)
    expect(page.locator(".tabulator-cell.is-error")).to_have_text("25")
    shot(page, "pasted-block")


def test_nothing_is_lost_navigating_away_or_offline(page, world, shot, console):
    console.allow("ERR_INTERNET_DISCONNECTED")
    t1, t2, _ = _setup(world)
    sign_in(page, world.teacher.email)
    _open(page, world)
    _cell(page, world.amy, t1).click()
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    _saved(page)
    page.goto(f"/s/{world.a.pk}/roster/classes/{world.class_7a.pk}/")
    page.get_by_role("link", name="Open the markbook").click()
    expect(_cell(page, world.amy, t1)).to_have_text("3")

    page.context.set_offline(True)
    _cell(page, world.ben, t2).click()
    page.keyboard.type("7")
    page.keyboard.press("Enter")
    expect(page.locator("#grid-status")).to_contain_text("No connection")
    stored = page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert "Ben" not in stored and "Brown" not in stored  # ids and values only
    kept = json.loads(json.loads(stored)[0][1])
    assert kept == {f"{world.ben.pk}:{t2.pk}": {"value": "7", "version": None}}
    shot(page, "offline-kept")
    with pytest.raises(PlaywrightError):  # the reload itself fails while offline
        page.reload()
    page.context.set_offline(False)
    page.reload()
    _saved(page)
    assert _marks(world)[(world.ben.pk, t2.pk)][1] == 7
    assert (
        page.evaluate(
            "Object.keys(localStorage).filter(k => k.startsWith('markbook.cells:')).length"
        )
        == 0
    )


def test_the_later_writer_is_told_of_the_conflict(page, browser, live_server, world, shot):
    (t1, *_) = _setup(world)
    other = browser.new_context(base_url=live_server.url)
    colleague = other.new_page()
    sign_in(page, world.teacher.email)
    sign_in(colleague, world.admin.email)
    _open(page, world)
    _open(colleague, world)
    _cell(colleague, world.amy, t1).click()
    colleague.keyboard.type("9")
    colleague.keyboard.press("Enter")
    _saved(colleague)
    _cell(page, world.amy, t1).click()
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    expect(page.locator("#grid-problems")).to_contain_text(
        "changed by someone else since you loaded it"
    )
    expect(_cell(page, world.amy, t1)).to_contain_text("9")
    assert _marks(world)[(world.amy.pk, t1.pk)][1] == 9
    shot(page, "conflict")
    other.close()
