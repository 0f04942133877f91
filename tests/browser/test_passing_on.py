"""In the browser: an administrator marks a service told of a restriction with htmx,
the row turning into "Told on <date>" in place (DSR-10); the class teacher records a
parent's signed paper consent form on the class's consent page (CON-2)."""

import shutil

import pytest
from playwright.sync_api import expect

from markbook.consent import services as consent
from markbook.core.tenancy import school_scope
from markbook.privacy.services import restriction_place
from tests.browser.steps import open_page, sign_in
from tests.factories import consent_world

pytestmark = pytest.mark.browser


def test_marking_a_service_told_on_the_restriction_page(page, world, shot):
    reading = consent_world(world)["service"]
    with school_scope(world.a):
        consent.consent_decide(actor=world.parent, pupil=world.amy, answer="given", service=reading)
        placed = restriction_place(
            school=world.a, subject=world.amy, kind="restriction", reason="Contested", by=None
        )
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/privacy/restrictions/{placed.pk}/")
    row = page.locator(f"#told-{reading.pk}")
    row.get_by_label("Note (optional)").fill("Emailed their support desk")
    row.get_by_role("button", name="Mark as told").click()
    expect(page.locator(f"#told-{reading.pk}")).to_contain_text("Told on")
    expect(page.locator(f"#told-{reading.pk}")).to_contain_text("Emailed their support desk")
    path = shot(page, "told")
    if path:
        shutil.copy(path, "/tmp/passon-told.png")


def test_the_class_teacher_records_a_paper_form(page, world, shot):
    reading = consent_world(world)["service"]
    sign_in(page, world.teacher.email)
    open_page(
        page, f"/s/{world.a.pk}/consent/classes/{world.class_7a.pk}/?for=service-{reading.pk}"
    )
    row = page.locator("#consent-table tbody tr").filter(has_text="Amy Adams")
    row.get_by_text("Record a paper form").click()
    row.get_by_label("Consented").check()
    row.get_by_label("Signed by (parent or carer)").fill("Anne Adams")
    row.get_by_role("button", name="Record the paper form").click()
    row = page.locator("#consent-table tbody tr").filter(has_text="Amy Adams")
    expect(row).to_contain_text("Recorded from a paper form by")
    expect(row).to_contain_text("signed by Anne Adams")
    path = shot(page, "paper")
    if path:
        shutil.copy(path, "/tmp/passon-paper.png")
