"""Sign in with Google or Microsoft (ACC-1), without a browser: the social account
adapter links a provider identity only to an existing account of a school, by a
verified address in the school's domains, when the school uses that provider; a
school may turn Markbook passwords off. The browser tests (tests/browser/test_sso.py)
run the whole OpenID Connect flow against a real provider."""

import pytest
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory
from django.urls import reverse

from markbook.accounts.adapter import SSO_REGISTER, SocialAccountAdapter
from markbook.accounts.models import Membership, RegistrationRequest, User
from markbook.core.tenancy import all_schools, school_scope
from tests.accounts.conftest import events, signin_url
from tests.factories import PASSWORD

GOOGLE_APP = {
    "provider_id": "google",
    "name": "Google",
    "client_id": "client-id",
    "secret": "client-secret",
    "settings": {"server_url": "https://accounts.google.com"},
}


@pytest.fixture(autouse=True)
def google_configured(settings):  # type: ignore[no-untyped-def]
    """This Markbook has Google sign-in set up (no request ever reaches Google here)."""
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [GOOGLE_APP]}}


def uses(school, *methods: str) -> None:  # type: ignore[no-untyped-def]
    school.signin_methods = list(methods)
    school.save(update_fields=["signin_methods"])


def identity(email: str, *, verified: bool = True, provider: str = "google") -> SocialLogin:
    """What allauth's OpenID Connect provider hands the adapter after a sign-in."""
    claims = {"sub": f"sub-{email}", "email": email, "email_verified": verified}
    account = SocialAccount(provider=provider, uid=claims["sub"], extra_data={"userinfo": claims})
    return SocialLogin(
        account=account,
        email_addresses=[EmailAddress(email=email, verified=verified, primary=True)],
    )


def callback_request(session: dict | None = None):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/accounts/oidc/google/login/callback/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.session.update(session or {})
    request.user = AnonymousUser()
    return request


def refusal(sociallogin: SocialLogin, session: dict | None = None) -> str:
    with pytest.raises(ImmediateHttpResponse) as raised:
        SocialAccountAdapter().pre_social_login(callback_request(session), sociallogin)
    response = raised.value.response
    assert response.status_code == 403
    return response.content.decode()


def refused_reasons(world) -> list[str]:  # type: ignore[no-untyped-def]
    with all_schools():
        from markbook.audit.models import AuditEvent

        return [
            e.data["reason"]
            for e in AuditEvent.objects.filter(action="accounts.sso.refused").order_by("pk")
        ]


# --- Linking (ACC-1) ---------------------------------------------------------------


def test_verified_school_address_links_to_the_existing_teacher_without_a_password(world):
    uses(world.a, "password", "google")
    sociallogin = identity("Teacher@oakfield.sch.uk")
    SocialAccountAdapter().pre_social_login(callback_request(), sociallogin)
    assert sociallogin.user == world.teacher
    account = SocialAccount.objects.get(user=world.teacher)
    assert account.provider == "google"
    world.teacher.refresh_from_db()
    assert not world.teacher.has_usable_password()
    [linked] = events(world.a, "accounts.sso.linked")
    assert linked.data["provider"] == "google"
    assert linked.target_id == str(world.teacher.pk)


def test_identity_linked_before_signs_in_again_without_a_second_link(world):
    uses(world.a, "google")
    SocialAccountAdapter().pre_social_login(callback_request(), identity("teacher@oakfield.sch.uk"))
    again = identity("teacher@oakfield.sch.uk")
    again.lookup()
    assert again.is_existing
    SocialAccountAdapter().pre_social_login(callback_request(), again)
    assert SocialAccount.objects.filter(user=world.teacher).count() == 1
    assert len(events(world.a, "accounts.sso.linked")) == 1


def test_unknown_address_is_refused_and_no_account_is_created(world):
    uses(world.a, "password", "google")
    users = User.objects.count()
    page = refusal(identity("stranger@oakfield.sch.uk"))
    assert (
        "We could not find a Markbook account for stranger@oakfield.sch.uk at a school that "
        "uses Google sign-in. Ask your school administrator to invite you."
    ) in page
    assert User.objects.count() == users
    assert not SocialAccount.objects.exists()
    assert refused_reasons(world) == ["no account with a role in a school"]


def test_address_outside_the_schools_domains_is_refused(world):
    uses(world.a, "password", "google")
    refusal(identity("parent@example.org"))  # Amy's parent, with their own address
    assert not SocialAccount.objects.exists()
    world.parent.refresh_from_db()
    assert world.parent.has_usable_password()
    [event] = events(world.a, "accounts.sso.refused")
    assert event.data["reason"] == "address outside the school's domains"


def test_address_the_provider_has_not_verified_is_refused(world):
    uses(world.a, "password", "google")
    page = refusal(identity("teacher@oakfield.sch.uk", verified=False))
    assert "Google has not verified the address teacher@oakfield.sch.uk" in page
    assert not SocialAccount.objects.exists()


def entra_identity(email: str, provider: str = "microsoft", **id_token: object) -> SocialLogin:
    """What allauth hands the adapter after a Microsoft Entra ID sign-in: no
    email_verified claim, so allauth marks the address unverified; the optional
    `xms_edov` claim comes in the ID token when the app registration asks for it."""
    userinfo = {"sub": f"sub-{email}", "email": email}
    account = SocialAccount(
        provider=provider,
        uid=userinfo["sub"],
        extra_data={"userinfo": userinfo, "id_token": {**userinfo, **id_token}},
    )
    return SocialLogin(
        account=account,
        email_addresses=[EmailAddress(email=email, verified=False, primary=True)],
    )


def test_entra_domain_owner_verified_claim_vouches_for_a_microsoft_address(world, settings):
    """ACC-1: Entra ID sends xms_edov, not email_verified, for school accounts."""
    microsoft = {**GOOGLE_APP, "provider_id": "microsoft", "name": "Microsoft"}
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [GOOGLE_APP, microsoft]}}
    uses(world.a, "microsoft")
    sociallogin = entra_identity("teacher@oakfield.sch.uk", xms_edov=True)
    SocialAccountAdapter().pre_social_login(callback_request(), sociallogin)
    assert sociallogin.user == world.teacher


@pytest.mark.parametrize(
    ("provider", "claims"),
    [
        ("microsoft", {}),  # the optional claim not configured
        ("microsoft", {"xms_edov": False}),
        ("microsoft", {"xms_edov": True, "email_verified": False}),  # an explicit no wins
        ("google", {"xms_edov": True}),  # only Microsoft's tokens carry it
    ],
)
def test_without_a_verified_claim_a_microsoft_or_google_address_is_refused(world, provider, claims):
    uses(world.a, "google", "microsoft")
    refusal(entra_identity("teacher@oakfield.sch.uk", provider=provider, **claims))
    assert not SocialAccount.objects.exists()
    assert refused_reasons(world) == ["address not verified by the provider"]


def test_school_that_does_not_use_the_provider_refuses_it(world):
    uses(world.a, "password", "microsoft")
    refusal(identity("teacher@oakfield.sch.uk", provider="google"))
    assert not SocialAccount.objects.exists()
    [event] = events(world.a, "accounts.sso.refused")
    assert event.data["reason"] == "the school does not use this sign-in method"


def test_teacher_of_another_school_is_refused_at_a_school_that_does_not_use_google(world):
    uses(world.a, "password", "google")  # School B still uses passwords only
    refusal(identity("teacher@birchwood.sch.uk"))
    assert not SocialAccount.objects.filter(user=world.other_teacher).exists()


def test_linked_identity_is_refused_once_the_school_turns_the_provider_off(world):
    uses(world.a, "google", "password")
    SocialAccountAdapter().pre_social_login(callback_request(), identity("teacher@oakfield.sch.uk"))
    uses(world.a, "password")
    again = identity("teacher@oakfield.sch.uk")
    again.lookup()
    refusal(again)


def test_trust_administrator_without_a_school_role_is_refused(world):
    uses(world.a, "password", "google")
    refusal(identity("ceo@oaktrust.org.uk"))
    assert not SocialAccount.objects.exists()


# --- Passwords turned off (ACC-1) --------------------------------------------------


def password_sign_in(client, email: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


def test_teacher_signs_in_with_a_password_while_the_school_allows_it(client, world):
    response = password_sign_in(client, "teacher@oakfield.sch.uk")
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(world.teacher.pk)


def test_school_without_passwords_refuses_a_right_password_clearly(client, world):
    uses(world.a, "google")
    response = password_sign_in(client, "teacher@oakfield.sch.uk")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert (
        "Oakfield Academy does not use Markbook passwords. Sign in with Google"
        in response.content.decode()
    )
    [event] = events(world.a, "accounts.signin.failed")
    assert event.data["reason"] == "the school does not use passwords"


def test_wrong_password_says_nothing_about_the_schools_methods(client, world):
    uses(world.a, "google")
    response = client.post(
        reverse("account_login"), {"login": "teacher@oakfield.sch.uk", "password": "wrong-one"}
    )
    assert "does not use Markbook passwords" not in response.content.decode()


def test_other_schools_keep_their_passwords(client, world):
    uses(world.a, "google")
    assert password_sign_in(client, "teacher@birchwood.sch.uk").status_code == 302


def test_pupil_page_refuses_passwords_when_the_school_turned_them_off(client, world):
    uses(world.a, "google")
    response = client.post(signin_url(world.a), {"username": "amy.adams", "password": PASSWORD})
    assert response.status_code == 403
    html = response.content.decode()
    assert "does not use Markbook passwords" in html
    assert "Sign in with Google" in html
    assert "_auth_user_id" not in client.session


# --- Buttons (ACC-1) ---------------------------------------------------------------


def test_no_provider_configured_shows_no_buttons(client, world, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    assert "Sign in with" not in client.get(reverse("account_login")).content.decode()


def test_configured_provider_shows_its_button_only(client, world):
    html = client.get(reverse("account_login")).content.decode()
    assert "Sign in with Google" in html
    assert "Sign in with Microsoft" not in html
    assert reverse("openid_connect_login", kwargs={"provider_id": "google"}) in html


def test_school_page_shows_only_the_providers_the_school_uses(client, world):
    assert "Sign in with Google" not in client.get(signin_url(world.a)).content.decode()
    uses(world.a, "password", "google")
    assert "Sign in with Google" in client.get(signin_url(world.a)).content.decode()


# --- The school's setting (ACC-1) ----------------------------------------------------


def settings_url(world) -> str:  # type: ignore[no-untyped-def]
    return reverse("schools:settings", kwargs={"school_id": world.a.pk})


def test_admin_chooses_the_schools_sign_in_methods_audited(client_for, world):
    response = client_for("admin").post(
        settings_url(world),
        {
            "email_domains": "oakfield.sch.uk",
            "signin_methods_shown": "1",
            "signin_methods": ["google", "microsoft"],
        },
    )
    assert response.status_code == 302
    world.a.refresh_from_db()
    assert world.a.signin_methods == ["google", "microsoft"]
    [event] = events(world.a, "schools.settings.changed")
    assert event.data["signin_methods"] == {
        "old": ["password"],
        "new": ["google", "microsoft"],
    }


def test_school_must_keep_at_least_one_sign_in_method(client_for, world):
    response = client_for("admin").post(
        settings_url(world), {"email_domains": "oakfield.sch.uk", "signin_methods_shown": "1"}
    )
    assert "Choose at least one way to sign in" in response.content.decode()
    world.a.refresh_from_db()
    assert world.a.signin_methods == ["password"]


def test_unknown_sign_in_method_is_refused_by_name(client_for, world):
    response = client_for("admin").post(
        settings_url(world),
        {
            "email_domains": "oakfield.sch.uk",
            "signin_methods_shown": "1",
            "signin_methods": ["password", "facebook"],
        },
    )
    assert "Not a sign-in method: facebook." in response.content.decode()


def test_settings_page_shows_a_box_per_sign_in_method(client_for, world):
    html = client_for("admin").get(settings_url(world)).content.decode()
    for value in ("password", "google", "microsoft"):
        assert f'name="signin_methods" value="{value}"' in html


# --- Registering with the school's provider (ACC-4) ----------------------------------


def test_new_teacher_with_a_verified_school_address_registers_with_google(world):
    uses(world.a, "google")
    sociallogin = identity("new.teacher@oakfield.sch.uk")
    SocialAccountAdapter().pre_social_login(
        callback_request({SSO_REGISTER: world.a.pk}), sociallogin
    )
    user = User.objects.get(email="new.teacher@oakfield.sch.uk")
    assert user.is_active
    assert not user.has_usable_password()
    assert sociallogin.user == user
    with school_scope(world.a):
        assert Membership.objects.filter(user=user, role="teacher").exists()
        request = RegistrationRequest.objects.get(email="new.teacher@oakfield.sch.uk")
    assert request.status == "approved"
    assert request.method == "google"
    assert events(world.a, "accounts.registration.approved_automatically")


def test_registering_with_an_address_outside_the_domain_creates_nothing(world):
    uses(world.a, "google")
    users = User.objects.count()
    page = refusal(identity("someone@gmail.com"), {SSO_REGISTER: world.a.pk})
    assert "someone@gmail.com is not an address of a school that registers staff" in page
    assert User.objects.count() == users
    with school_scope(world.a):
        assert not RegistrationRequest.objects.exists()


def test_without_the_registration_page_a_new_address_is_never_registered(world):
    uses(world.a, "google")
    refusal(identity("new.teacher@oakfield.sch.uk"))
    assert not User.objects.filter(email="new.teacher@oakfield.sch.uk").exists()


def test_connecting_an_identity_from_a_signed_in_session_is_refused(world):
    uses(world.a, "google")
    sociallogin = identity("teacher@oakfield.sch.uk")
    sociallogin.state["process"] = "connect"
    refusal(sociallogin)
    assert not SocialAccount.objects.exists()
    world.teacher.refresh_from_db()
    assert world.teacher.has_usable_password()
