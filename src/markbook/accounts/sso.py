"""Sign in with Google or Microsoft (ACC-1): which providers are configured, and
which Markbook account an identity may link to.

Each provider is django-allauth's OpenID Connect provider with its own id ("google",
"microsoft"), configured per deployment (settings.SOCIALACCOUNT_PROVIDERS). An identity
links only to an existing, active account of a school, found by an email address the
provider has verified, in one of the school's own domains, at a school that allows
that provider. Nobody's account is created by signing in; staff self-registration
(ACC-4) is the one way in, through the school's registration page.
"""

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.schools.models import SIGNIN_METHODS, School

SSO_METHODS = ("google", "microsoft")


@dataclass(frozen=True)
class SsoProvider:
    id: str
    name: str


def sso_providers() -> list[SsoProvider]:
    """The providers this deployment has configured, in a fixed order."""
    from allauth.socialaccount.adapter import get_adapter

    configured = {
        app.provider_id: app.name
        for app in get_adapter().list_apps(None, provider="openid_connect")
        if app.provider_id in SSO_METHODS and app.client_id
    }
    return [SsoProvider(id=p, name=configured[p]) for p in SSO_METHODS if p in configured]


def sso_provider_ids() -> list[str]:
    return [p.id for p in sso_providers()]


def sso_providers_for(school: School) -> list[SsoProvider]:
    """The configured providers a school lets its people sign in with."""
    return [p for p in sso_providers() if school.allows_signin(p.id)]


def method_label(provider_id: str) -> str:
    return SIGNIN_METHODS.get(provider_id, provider_id)


@dataclass(frozen=True)
class SsoMatch:
    """The account an identity links to, or why it may not link to any."""

    user: User | None
    school: School | None
    refusal: str = ""


def not_found_message(email: str, provider_id: str) -> str:
    return (
        f"We could not find a Markbook account for {email} at a school that uses "
        f"{method_label(provider_id)} sign-in. Ask your school administrator to invite you."
    )


def sso_match(*, provider_id: str, email: str, email_verified: bool) -> SsoMatch:
    """The existing account this identity may sign in to (ACC-1), or a refusal.

    The address must be verified by the provider, belong to an active account with a
    role in a school, be in one of that school's domains, and the school must allow
    this provider. Every failure reads the same to the person, so nothing about other
    accounts leaks; the audit log records which check failed.
    """
    email = (email or "").strip().lower()
    label = method_label(provider_id)
    if not email:
        return SsoMatch(
            None,
            None,
            f"Your {label} account did not tell Markbook your email address, so we cannot "
            "find your Markbook account. Ask your school administrator for help.",
        )
    if not email_verified:
        return SsoMatch(
            None,
            None,
            f"{label} has not verified the address {email}, so Markbook cannot use it to find "
            "your account. Ask your school administrator for help.",
        )
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    from markbook.accounts.services import user_school

    school = user_school(user) if user is not None else None
    if (
        user is None
        or school is None
        or not school.has_domain(email)
        or not school.allows_signin(provider_id)
    ):
        return SsoMatch(None, school, not_found_message(email, provider_id))
    return SsoMatch(user, school)


def refusal_reason(*, match: SsoMatch, email: str, provider_id: str) -> str:
    """Why an identity was refused, for the audit log only."""
    if match.school is None:
        return "no account with a role in a school" if email else "no email address"
    if not match.school.has_domain(email):
        return "address outside the school's domains"
    if not match.school.allows_signin(provider_id):
        return "the school does not use this sign-in method"
    return "refused"


def sso_refusal_record(*, provider_id: str, email: str, match: SsoMatch, reason: str) -> None:
    """Record a refused identity (SEC-1): in its school's log when an account was found,
    otherwise on the platform's chain."""
    audit.record(
        actor=None,
        school=match.school,
        action="accounts.sso.refused",
        target=None,
        data={"provider": provider_id, "email": email[:254], "reason": reason},
    )


@transaction.atomic
def sso_identity_link(
    *, request: HttpRequest, sociallogin: object, user: User, school: School
) -> User:
    """Link a provider identity to an existing account (ACC-1).

    The account stops having a password of its own: from now on the school's
    provider is how this person proves who they are.
    """
    sociallogin.connect(request, user)  # type: ignore[attr-defined]
    user.set_unusable_password()
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    account = sociallogin.account  # type: ignore[attr-defined]
    audit.record(
        actor=user,
        school=school,
        action="accounts.sso.linked",
        target=user,
        data={"provider": account.provider, "email": user.email},
    )
    return user
