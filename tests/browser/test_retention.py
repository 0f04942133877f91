"""An administrator reads the school's retention periods, shortens one, and sees what
the next run would delete and who, and the last runs (RET-1, RET-2, RET-4), in the
browser."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.privacy.models import RetentionOverride
from markbook.privacy.retention.engine import retention_run
from markbook.rosters.models import Pupil
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_the_admin_shortens_a_period_and_reads_the_dry_run(page, world, shot):
    with school_scope(world.a):
        Pupil.objects.filter(pk=world.amy.pk).update(
            status=Pupil.Status.LEFT, left_on=timezone.localdate() - timedelta(days=400)
        )
        retention_run(school=world.a, dry_run=True)
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/privacy/retention/")
    expect(page.get_by_role("heading", name="How long the school's data is kept")).to_be_visible()
    # The field takes at most the default (the server refuses more too: the unit tests).
    expect(page.locator("#days-pupils_left")).to_have_attribute("max", "365")
    page.locator("#days-pupils_left").fill("200")
    page.get_by_role("button", name="Shorten").nth(2).click()
    expect(page.locator("table").first).to_contain_text("200 days after the pupil left")
    with school_scope(world.a):
        assert RetentionOverride.objects.get().days == 200
    shot(page, "retention")
    page.get_by_role("link", name="What the next run would delete, and who").click()
    expect(page.get_by_role("main")).to_contain_text("Amy Adams")
    shot(page, "due")
