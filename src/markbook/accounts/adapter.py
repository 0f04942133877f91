from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import render

from markbook.accounts import services, sso, throttle
from markbook.accounts.models import User
from markbook.core.tenancy import school_scope

# The school whose registration page started a Google or Microsoft sign-in (ACC-4).
SSO_REGISTER = "markbook_sso_register"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Self-registration (ACC-4) is built with the SSO work; until then accounts are invited.
        return False

    def set_password(self, user: Any, password: str) -> None:
        """Every own-password change (change, set, reset) ends a temporary password (ACC-2)."""
        services.user_password_set(user=user, password=password)

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        from django.urls import reverse

        return reverse("dashboard")

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth's failed sign-in limits (ACC-5), answered with a 429 saying how long."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            seconds = throttle.retry_after(
                request,
                action="login_failed",
                key=self._get_login_attempts_cache_key(request, **credentials),
            )
            raise ImmediateHttpResponse(throttle.too_many(request, seconds)) from None

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        """A school that has turned passwords off refuses them, even a right one (ACC-1).

        Checked after the password: a wrong one says nothing about the school's settings.
        """
        user = super().authenticate(request, **credentials)
        if user is None:
            return None
        if refusal := services.staff_signin_refusal(user):  # TEN-1, ACC-6
            services.signin_record(
                attempt=services.SignInAttempt(
                    school=None, user=user, method="staff", username=user.email
                ),
                succeeded=False,
                reason="the school is suspended or its subscription has ended",
            )
            raise ValidationError(refusal)
        school = services.user_school(user)
        if school is not None and not school.allows_signin("password"):
            services.signin_record(
                attempt=services.SignInAttempt(
                    school=school, user=user, method="staff", username=user.email
                ),
                succeeded=False,
                reason="the school does not use passwords",
            )
            methods = " or ".join(
                sso.method_label(m) for m in school.signin_methods if m != "password"
            )
            raise ValidationError(
                f"{school.name} does not use Markbook passwords. Sign in with {methods} "
                "using the button below."
            )
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        login = str(credentials.get("email") or credentials.get("username") or "")
        user = User.objects.filter(email__iexact=login).first() if login else None
        services.signin_record(
            attempt=services.SignInAttempt(school=None, user=user, method="staff", username=login),
            succeeded=False,
            reason="wrong password" if user else "unknown address",
        )

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        services.signin_record(
            attempt=services.SignInAttempt(
                school=None, user=user, method="staff", username=user.email or user.username
            ),
            succeeded=True,
        )


_TRUE_CLAIM = (True, "true", "True", 1, "1")


def _verified_email(sociallogin: Any) -> tuple[str, bool]:
    """The address the provider gave and whether it vouches for it.

    `email_verified` is the standard claim. Microsoft Entra ID never sends it for work
    and school accounts; it sends the optional `xms_edov` claim ("email domain owner
    verified": the address is in a domain the tenant has proved it owns) when the app
    registration asks for it. For the Microsoft provider, and only when no
    `email_verified` claim came at all, `xms_edov` stands in for it."""
    data = sociallogin.account.extra_data or {}
    claims = {**(data.get("id_token") or {}), **(data.get("userinfo") or {})} or data
    email, verified = "", False
    for address in sociallogin.email_addresses:
        if address.primary or len(sociallogin.email_addresses) == 1:
            email, verified = address.email.strip().lower(), bool(address.verified)
            break
    else:
        email = str(claims.get("email") or "").strip().lower()
        verified = claims.get("email_verified") in _TRUE_CLAIM
    if (
        not verified
        and sociallogin.account.provider == "microsoft"
        and "email_verified" not in claims
    ):
        verified = claims.get("xms_edov") in _TRUE_CLAIM
    return email, verified


def _names(sociallogin: Any) -> tuple[str, str]:
    data = sociallogin.account.extra_data or {}
    claims = data.get("userinfo") or data.get("id_token") or data
    return str(claims.get("given_name") or ""), str(claims.get("family_name") or "")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Google and Microsoft identities link only to existing accounts of a school (ACC-1);
    a school's registration page may register a teacher with one (ACC-4)."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        provider_id = sociallogin.account.provider
        email, verified = _verified_email(sociallogin)
        if sociallogin.state.get("process") not in (None, "login"):
            # Connecting an identity from a signed-in session, or redirect-only flows:
            # identities are linked by signing in with them, under the rules below.
            sso.sso_refusal_record(
                provider_id=provider_id,
                email=email,
                match=sso.SsoMatch(None, None),
                reason=f"process {sociallogin.state.get('process')!r} is not offered",
            )
            raise ImmediateHttpResponse(
                render(
                    request,
                    "accounts/sso_refused.html",
                    {
                        "message": f"Sign out, then use “Sign in with "
                        f"{sso.method_label(provider_id)}” on the sign-in page."
                    },
                    status=403,
                )
            )
        register_school = request.session.pop(SSO_REGISTER, None)
        match = sso.sso_match(provider_id=provider_id, email=email, email_verified=verified)
        if register_school and match.user is None and verified and email:
            user = self._register(request, sociallogin, register_school, provider_id, email)
            if user is not None:
                return
        refused = bool(match.refusal) or (
            sociallogin.is_existing and sociallogin.user.pk != match.user.pk  # type: ignore[union-attr]
        )
        if refused:
            reason = (
                "identity linked to another account"
                if not match.refusal
                else sso.refusal_reason(match=match, email=email, provider_id=provider_id)
            )
            if not verified and email:
                reason = "address not verified by the provider"
            sso.sso_refusal_record(provider_id=provider_id, email=email, match=match, reason=reason)
            message = match.refusal or sso.not_found_message(email, provider_id)
            if register_school and verified and email and match.user is None:
                message = (
                    f"{email} is not an address of a school that registers staff with "
                    f"{sso.method_label(provider_id)}. Register with your school address, or "
                    "ask to join with the form on the school's registration page."
                )
            raise ImmediateHttpResponse(
                render(
                    request,
                    "accounts/sso_refused.html",
                    {"message": message},
                    status=403,
                )
            )
        lifecycle_refusal = (
            services.staff_signin_refusal(match.user) if match.user is not None else None
        )
        if lifecycle_refusal:  # TEN-1, ACC-6: as for a password
            sso.sso_refusal_record(
                provider_id=provider_id,
                email=email,
                match=match,
                reason="the school is suspended or its subscription has ended",
            )
            raise ImmediateHttpResponse(
                render(
                    request, "accounts/sso_refused.html", {"message": lifecycle_refusal}, status=403
                )
            )
        if not sociallogin.is_existing:
            assert match.user is not None and match.school is not None
            sso.sso_identity_link(
                request=request, sociallogin=sociallogin, user=match.user, school=match.school
            )

    def _register(
        self, request: HttpRequest, sociallogin: Any, school_id: int, provider_id: str, email: str
    ) -> User | None:
        """ACC-4: a teacher registering with the school's provider and a verified address
        in the school's domain is approved at once; otherwise the refusal page explains."""
        from markbook.accounts import registration
        from markbook.schools.models import School

        school = School.objects.filter(pk=school_id).first()
        if school is None or not school.allows_signin(provider_id):
            return None
        if not school.has_domain(email):
            return None
        if User.objects.filter(email__iexact=email).exists():
            return None
        first, last = _names(sociallogin)
        with school_scope(school):
            user = registration.registration_sso_teacher(
                school=school,
                provider_id=provider_id,
                email=email,
                first_name=first,
                last_name=last,
            )
            sso.sso_identity_link(
                request=request, sociallogin=sociallogin, user=user, school=school
            )
        return user
