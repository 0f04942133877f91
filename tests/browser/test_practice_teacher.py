"""A teacher writes a practice set with the pupil's view previewed as they type, watches
their class practise live (the list updates itself, no reload) and reads the class's
heat map (ASM-2)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.practice import live
from markbook.practice.models import Attempt, Item, Question, QuestionSet
from tests.browser.steps import assert_same_page, mark_page, sign_in
from tests.practice.helpers import answers, times_tables

pytestmark = pytest.mark.browser


def test_a_teacher_writes_a_set_with_a_live_preview(page, world, shot):
    sign_in(page, world.teacher.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Practice").click()
    page.get_by_role("link", name="New set of your own questions").click()
    page.get_by_label("Title").fill("Fractions")
    page.get_by_label("Timed trial").check()
    page.get_by_label("Questions per attempt").fill("5")
    page.get_by_label("Seconds per question").fill("20")
    page.get_by_role("button", name="Save set").click()
    expect(page.get_by_role("heading", name="Fractions")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("now add its questions")

    page.get_by_role("link", name="Add a question").click()
    mark_page(page)
    preview = page.locator("#preview")
    page.get_by_label("Question:", exact=True).fill("How long is the pencil?")
    page.get_by_label("Answer:", exact=True).fill("twelve")
    expect(preview).to_contain_text("must be a number")
    page.get_by_label("Answer:", exact=True).fill("12.5")
    page.get_by_label("Units:", exact=True).fill("cm")
    expect(preview).to_contain_text("How long is the pencil?")
    expect(preview.get_by_label("Your answer")).to_be_visible()
    expect(preview).to_contain_text("cm")
    assert_same_page(page)
    shot(page, "numeric-preview")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_role("status")).to_contain_text("Question saved")

    page.get_by_role("link", name="Add a question").click()
    mark_page(page)
    page.get_by_label("Multiple choice").check()
    expect(page.get_by_label("Answer:", exact=True)).to_be_hidden()
    page.get_by_label("Question:", exact=True).fill("Which fractions equal one half?")
    page.get_by_label("Option 1:", exact=True).fill("2/4")
    page.get_by_label("Option 2:", exact=True).fill("1/3")
    page.get_by_label("Option 3:", exact=True).fill("4/8")
    expect(preview).to_contain_text("Tick at least one correct option")
    page.get_by_label("Option 1 is correct").check()
    page.get_by_label("Option 3 is correct").check()
    expect(preview).to_contain_text("Choose every right answer")
    expect(preview.get_by_role("checkbox", name="4/8")).to_be_visible()
    assert_same_page(page)
    shot(page, "choice-preview")
    page.get_by_role("button", name="Save question").click()

    page.get_by_role("button", name="Move up question 2").click()
    expect(page.locator("ol.questions li").first).to_contain_text("Which fractions")
    page.get_by_role("button", name="Publish to pupils").click()
    expect(page.get_by_role("status")).to_contain_text("is published")
    shot(page, "set-published")
    with school_scope(world.a):
        made = QuestionSet.objects.get(title="Fractions")
        kinds = list(
            Question.objects.filter(question_set=made)
            .order_by("position")
            .values_list("kind", "correct")
        )
    assert made.published and made.mode == "trial" and made.seconds_per_question == 20
    assert kinds == [("choice", [0, 2]), ("numeric", [])]


def _shown(pupil, position: int, prompt: str) -> None:
    """What the answering service does when it shows a pupil a question."""
    tables = QuestionSet.objects.get(title="Times tables to 12")
    attempt = Attempt.objects.filter(pupil=pupil).first()
    if attempt is None:
        now = timezone.now()
        attempt = Attempt.objects.create(
            school_id=pupil.school_id,
            pupil=pupil,
            question_set=tables,
            mode="practice",
            total=25,
            started_at=now,
            last_active_at=now,
        )
    item = Item.objects.create(
        school_id=pupil.school_id,
        attempt=attempt,
        pupil=pupil,
        position=position,
        fact="6x7",
        style="6",
        prompt=prompt,
        expected="42",
        asked_at=timezone.now(),
    )
    live.seen(attempt=attempt, item=item)


def test_the_live_view_shows_a_pupil_on_their_question_without_reloading(page, world, shot):
    times_tables(world)
    with school_scope(world.a):
        _shown(world.amy, 3, "7 × 8")
    sign_in(page, world.teacher.email)
    page.goto(f"/s/{world.a.pk}/practice/teach/classes/{world.class_7a.pk}/live/")
    amy = page.get_by_role("row", name=re.compile("Amy Adams"))
    ben = page.get_by_role("row", name=re.compile("Ben Brown"))
    expect(amy).to_contain_text("Online")
    expect(amy).to_contain_text("3 of 25: 7 × 8")
    expect(ben).to_contain_text("Not online")
    mark_page(page)
    with school_scope(world.a):
        _shown(world.ben, 5, "6 × 7")
    expect(ben).to_contain_text("5 of 25: 6 × 7", timeout=2000)
    expect(ben).to_contain_text("Online", timeout=2000)
    assert_same_page(page)
    shot(page, "live-class")


def test_the_class_heat_map_renders_with_its_text_alternative(page, world, shot):
    tables = times_tables(world)
    facts = [
        (f"{a}x{b}", (a * b) % 7 != 0, 800 + 90 * a * b // 3)
        for a in range(1, 13)
        for b in range(1, 13)
    ]
    for day, part in enumerate((facts[:48], facts[48:96], facts[96:])):
        answers(world.amy, tables, part, days_ago=6 - 2 * day)  # a chart over a week
    answers(world.ben, tables, facts)
    answers(world.ben, tables, [("7x8", False, 9000)] * 3)  # the slowest of the wrong ones
    sign_in(page, world.teacher.email)
    page.goto(f"/s/{world.a.pk}/practice/teach/classes/{world.class_7a.pk}/heatmap/")
    expect(page.get_by_role("heading", name="Multiplication")).to_be_visible()
    cell = page.locator("table.heat td[title^='7 × 8:']")
    expect(cell).to_contain_text("0%")
    expect(page.locator("ol.hardest li").first).to_contain_text("7 × 8: 0% right")
    shot(page, "heat-map")
    page.get_by_label("Facts").select_option("divide")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Division")).to_be_visible()

    page.goto(f"/s/{world.a.pk}/practice/pupils/{world.amy.pk}/progress/")
    expect(page.get_by_role("heading", name="Amy Adams: practice")).to_be_visible()
    expect(page.locator("#practice-chart")).to_be_visible()
    shot(page, "pupil-progress")
