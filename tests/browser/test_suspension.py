"""Emergency suspension in two browsers (ACC-6): a teacher signed in in one is out at
their next click once an administrator suspends the school in the other; the
administrator signs in again to the suspension page, the only one open, and lifts it."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from markbook.schools.models import School
from tests.browser.steps import open_page, sign_in

pytestmark = pytest.mark.browser


def test_a_teacher_is_out_at_once_when_an_admin_suspends_the_school(
    page, browser, live_server, world, shot
):
    teacher_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    teacher_context.set_default_timeout(10_000)
    teacher = teacher_context.new_page()
    try:
        sign_in(teacher, world.teacher.email)
        open_page(teacher, f"/s/{world.a.pk}/")
        expect(teacher.get_by_role("heading", level=1)).to_contain_text("Oakfield Academy")

        sign_in(page, world.admin.email)
        open_page(page, f"/s/{world.a.pk}/settings/")
        page.get_by_role("link", name="Suspend the school…").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Suspend the whole school?")
        shot(page, "suspension page")
        page.get_by_label("Why").fill("A teacher's password was phished")
        page.get_by_label("To confirm, type the school's name").fill("Oakfield Academy")
        page.get_by_role("button", name="Suspend Oakfield Academy now").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Oakfield Academy is suspended")
        shot(page, "suspended")
        assert School.objects.get(pk=world.a.pk).emergency_suspended_at is not None

        # The teacher's very next click: signed out, told why.
        teacher.reload()
        expect(teacher).to_have_url(re.compile(r"/accounts/login/$"))
        expect(
            teacher.get_by_text("Your school was suspended by its administrators")
        ).to_be_visible()

        # The administrator signs in again, and reaches only the suspension page.
        page.get_by_role("link", name="Sign in again").click()
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        sign_in(page, world.admin.email)
        open_page(page, reverse("rosters:pupils", args=[world.a.pk]))
        expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/settings/suspension/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Oakfield Academy is suspended")
        shot(page, "only the suspension page")
        page.get_by_role("button", name="Lift the suspension").click()
        expect(page.get_by_role("status").first).to_contain_text("The suspension of Oakfield")
        expect(page.get_by_role("heading", level=1)).to_have_text("School settings")
        shot(page, "lifted")
    finally:
        teacher_context.close()
