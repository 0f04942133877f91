"""The analysis page in chromium (ASM-5): a chart is drawn, the CSV downloads."""

import pytest
from playwright.sync_api import expect

from markbook.core.tenancy import all_schools
from markbook.rosters.models import Enrolment
from tests import factories as f
from tests.browser.steps import open_page, sign_in
from tests.tracking.test_analysis import seed

pytestmark = pytest.mark.browser


def test_admin_sees_a_chart_and_downloads_the_csv(page, world, shot):
    with all_schools():
        extra = [f.PupilFactory(school=world.a, year_group="7") for _ in range(6)]
        for p in extra:
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=p)
    pupils = [world.amy, world.ben, *extra]
    grades = {p: ["4", "6" if i % 3 else "5"] for i, p in enumerate(pupils)}
    seed(
        world.a,
        [world.class_7a],
        grades=grades,
        targets=dict.fromkeys(pupils, "5"),
        drops=("Autumn", "Spring"),
    )
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/analysis/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Analysis")
    page.wait_for_function(
        "() => { const c = document.getElementById('progress-chart');"
        " return c && c.chart && c.width > 0; }"
    )
    drawn = page.evaluate(
        "() => { const c = document.getElementById('progress-chart');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"
    )
    assert drawn > 1000  # pixels painted on the canvas
    expect(page.get_by_role("table").first).to_contain_text("Above target")
    shot(page, "analysis")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table (CSV)").first.click()
    path = download.value.path()
    text = path.read_text(encoding="utf-8")
    assert "Above target" in text and "Maths" in text
