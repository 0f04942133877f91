"""The data protection lead places a legal hold, sees it stop an erasure, lifts it and
erases the pupil from the impact page (DSR-4, RET-3), in the browser."""

import pytest
from playwright.sync_api import expect

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from tests import factories as f
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_the_dpo_holds_then_erases_a_pupil(page, world, shot):
    dpo = f.member(world.a, Membership.Role.TEACHER, email="dpo@oakfield.sch.uk")
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=dpo, role=Membership.Role.DPO)
    sign_in(page, dpo.email)
    open_page(page, f"/s/{world.a.pk}/privacy/holds/")
    page.get_by_label("Pupil or person").select_option(label="Ben Brown (Year 7)")
    page.get_by_label("Reason").fill("Insurance claim about a fall in PE.")
    page.get_by_role("button", name="Place the hold").click()
    expect(page.locator("table")).to_contain_text("Insurance claim about a fall in PE.")
    shot(page, "holds")
    open_page(page, f"/s/{world.a.pk}/privacy/erasure/pupils/{world.ben.pk}/")
    expect(page.get_by_role("alert")).to_contain_text("Lift the hold first.")
    shot(page, "held")
    open_page(page, f"/s/{world.a.pk}/privacy/holds/")
    page.get_by_label("Why lift it").fill("Claim settled.")
    page.get_by_role("button", name="Lift").click()
    open_page(page, f"/s/{world.a.pk}/privacy/erasure/pupils/{world.ben.pk}/")
    expect(page.get_by_role("heading", name="What will go")).to_be_visible()
    shot(page, "impact")
    page.get_by_label("Type their name, Ben Brown, to confirm").fill("Ben Brown")
    page.get_by_role("button", name="Erase").click()
    expect(page.get_by_text("Ben Brown was erased")).to_be_visible()
    with school_scope(world.a):
        assert not Pupil.objects.filter(pk=world.ben.pk).exists()
