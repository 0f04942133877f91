"""A new school's first administrator: temporary password forced to change at first
sign-in (ACC-2), then the data-protection terms before anything else (TEN-7)."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from markbook.accounts.models import Membership, User
from markbook.schools.models import School
from markbook.schools.services import school_create
from tests import factories as f
from tests.browser.steps import open_page, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "rowan-tree-in-autumn-42"


def test_new_school_admin_must_change_the_temporary_password_then_accept_terms(
    page, transactional_db, shot
):
    created = school_create(name="Rowan School", admin_email="head@rowan.sch.uk")

    sign_in(page, "head@rowan.sch.uk", created.temporary_password)
    expect(page).to_have_url(re.compile(r"/accounts/password/change/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    shot(page, "forced-change")

    # Every other page sends them back here until the password is changed.
    open_page(page, f"/s/{created.school.pk}/roster/pupils/")
    expect(page).to_have_url(re.compile(r"/accounts/password/change/$"))

    page.get_by_label("Current password").fill(created.temporary_password)
    page.get_by_label(re.compile(r"^New password:?$", re.I)).fill("short")
    page.get_by_label("New password (again)").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".errorlist")).to_contain_text("too short")
    shot(page, "too-short")

    page.get_by_label("Current password").fill(created.temporary_password)
    page.get_by_label(re.compile(r"^New password:?$", re.I)).fill(NEW_PASSWORD)
    page.get_by_label("New password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    # TEN-7: the school has not accepted the terms; its administrator is sent to them.
    expect(page).to_have_url(re.compile(rf"/s/{created.school.pk}/terms/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Data-protection terms")
    shot(page, "terms")

    admin = User.objects.get(email="head@rowan.sch.uk")
    assert not admin.must_change_password
    assert admin.check_password(NEW_PASSWORD)

    page.get_by_label("I accept these terms on behalf of Rowan School.").check()
    page.get_by_role("button", name="Accept and continue").click()
    expect(page).to_have_url(re.compile(rf"/s/{created.school.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("Rowan School can now use Markbook.")
    shot(page, "home")
    assert School.objects.get(pk=created.school.pk).terms_accepted(settings.MARKBOOK_TERMS_VERSION)


def test_terms_must_be_ticked_and_other_staff_wait_for_an_administrator(
    page, transactional_db, shot, console
):
    school = f.SchoolFactory(name="Hazel School", accepted_terms=False)
    admin = f.member(school, Membership.Role.SCHOOL_ADMIN, email="admin@hazel.sch.uk")
    teacher = f.member(school, Membership.Role.TEACHER, email="teacher@hazel.sch.uk")

    sign_in(page, teacher.email)
    console.allow_status(403)
    open_page(page, f"/s/{school.pk}/", status=403)
    expect(page.get_by_role("heading", level=1)).to_have_text("Not available")
    expect(page.locator(".notice")).to_contain_text(
        "Hazel School has not yet accepted the data-protection terms"
    )
    shot(page, "teacher-blocked")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, admin.email, PASSWORD)
    expect(page).to_have_url(re.compile(rf"/s/{school.pk}/terms/$"))
    page.get_by_role("button", name="Accept and continue").click()
    expect(page.get_by_role("status")).to_contain_text("Tick the box")
    shot(page, "not-ticked")
    page.get_by_label("I accept these terms on behalf of Hazel School.").check()
    page.get_by_role("button", name="Accept and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hazel School")
