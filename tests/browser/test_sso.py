"""Sign in with Google (ACC-1) against a real OpenID Connect provider started on
127.0.0.1 (tests/oidc/provider.mjs): the identity links only to an existing account
of a school that uses Google sign-in, with a verified address in the school's domain."""

import re

import pytest
from playwright.sync_api import Page, expect

from markbook.accounts.models import User
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from tests.oidc.fixtures import oidc_google  # noqa: F401  (a fixture)

# The test provider stands in for Google in every test here.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("oidc_google")]


@pytest.fixture
def school_uses_google(world):  # type: ignore[no-untyped-def]
    world.a.signin_methods = ["password", "google"]
    world.a.save(update_fields=["signin_methods"])
    return world


def sign_in_with_google(page: Page, email: str, shot) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    shot(page, "sign-in-page")
    page.get_by_role("button", name="Sign in with Google").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def test_teacher_signs_in_with_google_and_lands_on_their_school(
    page, school_uses_google, shot, console
):
    world = school_uses_google
    sign_in_with_google(page, "teacher@oakfield.sch.uk", shot)
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/"))
    expect(page.locator("body")).to_contain_text("7A")
    shot(page, "signed-in")
    world.teacher.refresh_from_db()
    assert not world.teacher.has_usable_password()
    with all_schools():
        assert AuditEvent.objects.filter(
            action="accounts.sso.linked", school=world.a, target_id=str(world.teacher.pk)
        ).exists()


def test_unknown_address_gets_the_refusal_page_and_no_account(
    page, school_uses_google, shot, console
):
    console.allow_status(403)
    users_before = User.objects.count()
    sign_in_with_google(page, "stranger@oakfield.sch.uk", shot)
    expect(page.get_by_role("alert")).to_contain_text(
        "We could not find a Markbook account for stranger@oakfield.sch.uk at a school that "
        "uses Google sign-in. Ask your school administrator to invite you."
    )
    shot(page, "refused")
    assert User.objects.count() == users_before
    assert not User.objects.filter(email="stranger@oakfield.sch.uk").exists()


def test_address_outside_the_schools_domains_is_refused(page, school_uses_google, shot, console):
    console.allow_status(403)
    world = school_uses_google
    # The parent of Amy has an account at School A, with an address of their own.
    sign_in_with_google(page, "parent@example.org", shot)
    expect(page.get_by_role("alert")).to_contain_text(
        "We could not find a Markbook account for parent@example.org"
    )
    shot(page, "refused")
    world.parent.refresh_from_db()
    assert world.parent.has_usable_password()
    assert not world.parent.socialaccount_set.exists()


def test_new_teacher_registers_with_google_on_the_schools_page(
    page, school_uses_google, shot, console
):
    world = school_uses_google
    page.goto(f"/signin/{world.a.signin_slug}/register/")
    shot(page, "register-page")
    page.get_by_role("button", name="Register with Google").click()
    page.get_by_label("Email").fill("nia.newton@oakfield.sch.uk")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/"))
    shot(page, "registered")
    user = User.objects.get(email="nia.newton@oakfield.sch.uk")
    assert user.is_active
    assert not user.has_usable_password()
    with school_scope(world.a):
        assert user.memberships.filter(role="teacher").exists()
