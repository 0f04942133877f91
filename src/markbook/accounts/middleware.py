"""Token authentication for the API, the forced first-sign-in password change (ACC-2),
and platform staff's two-factor sign-in (TEN-6, ACC-5)."""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from markbook.accounts.credentials import user_has_totp
from markbook.accounts.models import ApiToken, User, token_digest

TOKEN_USE_PRECISION = timedelta(minutes=1)


class ApiTokenMiddleware:
    """`Authorization: Bearer mb_...` on /api/ authenticates as the token's user.

    Runs before AuthenticationMiddleware. That middleware replaces `request.user` with
    a lazy object reading `request._cached_user` when it is set, so setting both makes
    the token's user the request's user, and the tenancy middleware sees one user
    however they authenticated (a session cookie sent alongside is ignored).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if request.path_info.startswith("/api/") and header.startswith("Bearer "):
            token = (
                ApiToken.objects.select_related("user")
                .filter(digest=token_digest(header[7:].strip()), revoked_at__isnull=True)
                .first()
            )
            if token is None or not token.user.is_active:
                return JsonResponse({"detail": "Invalid or revoked API token."}, status=401)
            now = timezone.now()
            # Shown to the nearest minute on the profile page: writing it on every
            # request would add a write and a commit to each (bench/answers.py).
            if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_PRECISION:
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            request.user = token.user
            request._cached_user = token.user  # type: ignore[attr-defined]
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
            request.api_token = token  # type: ignore[attr-defined]
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """A user with a temporary password may only change it, or sign out (ACC-2)."""

    ALLOWED = ("account_change_password", "account_logout")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if getattr(user, "must_change_password", False) and not request.path_info.startswith(
            "/static/"
        ):
            allowed = {reverse(name) for name in self.ALLOWED}
            if request.path_info not in allowed:
                if request.path_info.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Change your temporary password before using the API."},
                        status=403,
                    )
                return redirect("account_change_password")
        return self.get_response(request)


class PlatformStaffTwoFactorMiddleware:
    """Platform staff without an authenticator app may only set one up, or sign out,
    while MARKBOOK_PLATFORM_STAFF_TWO_FACTOR is on (production's default; TEN-6, ACC-5):
    their account opens a school under a support grant, the breach register and the
    deletion of a school's data, so a password alone is not enough."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.MARKBOOK_PLATFORM_STAFF_TWO_FACTOR
            and isinstance(user, User)
            and user.is_platform_staff
            and not request.path_info.startswith(("/static/", reverse("mfa_index")))
            and request.path_info
            not in (reverse("account_logout"), reverse("account_reauthenticate"))
            and not user_has_totp(user)
        ):
            message = (
                "Markbook's platform staff sign in with two factors: set up an "
                "authenticator app first."
            )
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=403)
            messages.warning(request, message)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
