"""A parent opts in and then out for their child, and the school's class view shows it;
the published register as a page and a PDF (CON-2, CON-3)."""

import io
import shutil
import subprocess

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from markbook.consent.models import ConsentDecision
from markbook.core.tenancy import school_scope
from tests.browser.conftest import SCREENSHOTS
from tests.browser.steps import open_page, sign_in
from tests.factories import consent_world

pytestmark = pytest.mark.browser


def test_a_parent_opts_in_then_out_and_the_class_view_shows_it(page, world, shot):
    """CON-2: Amy's parent agrees to Reading Eggs, the school sees it in 7A; the parent
    withdraws it and the school sees the refusal and the offline alternative."""
    made = consent_world(world)
    slug = f"service-{made['service'].pk}"
    sign_in(page, world.parent.email)
    open_page(page, f"/s/{world.a.pk}/")
    page.get_by_role("link", name="Consent for my children").click()
    row = page.locator(f"tr[data-for='{slug}']")
    expect(row.locator(".answer")).to_have_text("Not answered yet")
    shot(page, "parent-before")
    row.get_by_role("button", name="Agree").click()
    expect(page.get_by_role("status")).to_contain_text("Consent given for Amy Adams: Reading Eggs")
    expect(page.locator(f"tr[data-for='{slug}'] .answer")).to_have_text("You agreed")
    shot(page, "parent-agreed")

    school = page.context.browser.new_context(base_url=page.url.split("/s/")[0])  # type: ignore[union-attr]
    staff = school.new_page()
    sign_in(staff, world.teacher.email)
    class_url = f"/s/{world.a.pk}/consent/classes/{world.class_7a.pk}/?for={slug}"
    open_page(staff, class_url)
    table = staff.locator("#consent-table")
    expect(table.locator("tr", has_text="Amy Adams")).to_contain_text("Consented")
    expect(table.locator("tr", has_text="Ben Brown")).to_contain_text("Not answered")
    expect(table.locator("tr", has_text="Ben Brown")).to_contain_text("Printed reading books")
    shot(staff, "class-consented")

    page.locator(f"tr[data-for='{slug}']").get_by_role("button", name="Withdraw").click()
    expect(page.get_by_role("status")).to_contain_text("Consent refused for Amy Adams")
    expect(page.locator(f"tr[data-for='{slug}'] .answer")).to_have_text("You said no")
    shot(page, "parent-withdrew")
    open_page(staff, class_url)
    amy = staff.locator("#consent-table tr", has_text="Amy Adams")
    expect(amy).to_contain_text("Refused")
    expect(amy).to_contain_text("Printed reading books")
    shot(staff, "class-refused")
    school.close()
    with school_scope(world.a):
        answers = list(ConsentDecision.objects.order_by("pk").values_list("answer", flat=True))
    assert answers == ["given", "refused"]


def test_the_published_register_as_a_page_and_a_pdf(page, world, shot):
    """CON-3: the administrator's published register page, and its PDF rendered to a
    picture (pdftoppm) to look at; the PDF names every service."""
    consent_world(world)
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/consent/register/")
    expect(page.get_by_role("cell", name="Reading Eggs Blake eLearning")).to_be_visible()
    shot(page, "register")
    page.get_by_role("link", name="Published register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("online services and consent")
    shot(page, "published")
    response = page.request.get(f"/s/{world.a.pk}/consent/published/pdf/")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "Reading Eggs" in text and "Markbook" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SCREENSHOTS / "consent-published.pdf"
    pdf.write_bytes(response.body())
    if shutil.which("pdftoppm"):
        first_page = SCREENSHOTS / "consent-published-pdf"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(first_page)],
            check=True,
        )
