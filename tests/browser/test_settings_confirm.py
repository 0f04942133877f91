"""Unticking a kept pupil field asks first, saying what is deleted (ROS-5)."""

import pytest
from playwright.sync_api import expect

from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_admin_unticks_uln_is_asked_cancels_then_confirms(page, world, shot):
    with school_scope(world.a):
        Pupil.objects.filter(pk__in=[world.amy.pk, world.ben.pk]).update(uln="1000000000")
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/settings/")
    page.get_by_label("ULN").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete pupil data?")
    expect(page.locator(".deletions")).to_have_text("ULN on 2 pupils")
    shot(page, "asked")

    page.get_by_role("link", name="Cancel: keep the fields").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("School settings")
    expect(page.get_by_label("ULN")).to_be_checked()
    with school_scope(world.a):
        assert Pupil.objects.filter(uln="1000000000").count() == 2

    page.get_by_label("ULN").uncheck()
    page.get_by_role("button", name="Save settings").click()
    page.get_by_role("button", name="Delete and save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved.")
    expect(page.get_by_label("ULN")).not_to_be_checked()
    shot(page, "saved")
    with school_scope(world.a):
        assert not Pupil.objects.exclude(uln="").exists()
