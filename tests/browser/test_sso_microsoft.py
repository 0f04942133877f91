"""Sign in with Microsoft (ACC-1): the same OpenID Connect flow as Google, against the
test provider configured as this Markbook's "microsoft" provider, and a school decides
which providers its users may use."""

import re

import pytest
from playwright.sync_api import Page, expect

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools
from tests.oidc.fixtures import oidc_microsoft  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("oidc_microsoft")]


def uses(world, *methods: str):  # type: ignore[no-untyped-def]
    world.a.signin_methods = list(methods)
    world.a.save(update_fields=["signin_methods"])
    return world


def sign_in_with_microsoft(page: Page, email: str, shot, *, vouched: bool = True) -> None:  # type: ignore[no-untyped-def]
    """The test provider answers as Entra ID does: xms_edov, never email_verified."""
    page.goto("/accounts/login/")
    shot(page, "sign-in-page")
    page.get_by_role("button", name="Sign in with Microsoft").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("The provider has verified this address").set_checked(vouched)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def test_teacher_of_a_microsoft_only_school_signs_in_with_microsoft(page, world, shot, console):
    uses(world, "microsoft")
    sign_in_with_microsoft(page, "teacher@oakfield.sch.uk", shot)
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/"))
    shot(page, "signed-in")
    world.teacher.refresh_from_db()
    assert not world.teacher.has_usable_password()
    with all_schools():
        event = AuditEvent.objects.get(action="accounts.sso.linked", school=world.a)
    assert event.target_id == str(world.teacher.pk)


def test_microsoft_identity_is_refused_by_a_school_that_allows_only_google(
    page, world, shot, console
):
    uses(world, "password", "google")
    console.allow_status(403)
    sign_in_with_microsoft(page, "teacher@oakfield.sch.uk", shot)
    expect(page.get_by_role("alert")).to_contain_text("teacher@oakfield.sch.uk")
    shot(page, "refused")
    world.teacher.refresh_from_db()
    assert world.teacher.has_usable_password()  # nothing was linked
    with all_schools():
        assert not AuditEvent.objects.filter(action="accounts.sso.linked").exists()
        assert AuditEvent.objects.filter(action="accounts.sso.refused").exists()


def test_microsoft_address_without_the_domain_owner_claim_is_refused(page, world, shot, console):
    """ACC-1: without xms_edov (the optional claim not configured, or false) Markbook
    cannot tell that the address is the tenant's, so it links nothing."""
    uses(world, "microsoft")
    console.allow_status(403)
    sign_in_with_microsoft(page, "teacher@oakfield.sch.uk", shot, vouched=False)
    expect(page.get_by_role("alert")).to_contain_text("has not verified the address")
    shot(page, "refused")
    with all_schools():
        assert not AuditEvent.objects.filter(action="accounts.sso.linked").exists()
        [event] = AuditEvent.objects.filter(action="accounts.sso.refused")
    assert event.data["reason"] == "address not verified by the provider"
