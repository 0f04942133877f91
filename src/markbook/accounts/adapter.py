from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from markbook.accounts import services, throttle
from markbook.accounts.models import User


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
