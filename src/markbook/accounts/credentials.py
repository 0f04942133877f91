"""What an account signs in with: a new staff account's one-time temporary password
(ACC-2) and whether it has a second factor (ACC-5)."""

import secrets

from allauth.mfa.models import Authenticator

from markbook.accounts.models import User


def user_has_totp(user: User) -> bool:
    """Whether a user has an authenticator app set up (allauth.mfa)."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def temporary_password() -> str:
    """A one-time temporary password, shown once and never stored in clear (ACC-2)."""
    return "-".join(secrets.token_hex(3) for _ in range(4))


def user_with_temporary_password(
    *, email: str, first_name: str, last_name: str
) -> tuple[User, str]:
    """Save a new staff user who must change the returned one-time password at first
    sign-in (ACC-2); the caller shows the password once and writes the audit event."""
    password = temporary_password()
    user = User(
        username=email,
        email=email,
        first_name=first_name,
        last_name=last_name,
        must_change_password=True,
    )
    user.set_password(password)
    user.save()
    return user, password
