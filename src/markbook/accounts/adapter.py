from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Self-registration (ACC-4) is built with the SSO work; until then accounts are invited.
        return False

    def set_password(self, user, password: str) -> None:  # type: ignore[no-untyped-def]
        """A password the user chose replaces the temporary one: the forced change is done (ACC-2)."""
        user.set_password(password)
        user.must_change_password = False
        user.save()

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        """After changing it, carry on into Markbook (the first sign-in flow, ACC-2)."""
        return reverse("dashboard")
