"""Markbook's own platform staff (TEN-6, SEC-3, TEN-1): the accounts that keep the breach
register and the list of schools, and whom a school's administrator may name in a
support grant. They see no school's data without such a grant.

Made and ended by `markbook platform_staff` on the server, never through a page: no
school's administrator can make one, and the platform has no administrator page that
could. Both are recorded in the platform's log.

- Adding makes a new account with a one-time password, to be changed at first sign-in
  (ACC-2). An address that already has a Markbook account (a teacher's, a parent's) is
  refused: platform staff work from an account of their own.
- Ending one stops it at its next request (the account can no longer sign in, its
  sessions and API tokens stop) and ends its live support grants at every school now,
  each in that school's own log, so the school sees it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.credentials import user_with_temporary_password
from markbook.accounts.models import ApiToken, User
from markbook.audit import services as audit
from markbook.core.tenancy import all_schools, school_scope
from markbook.core.validators import text_too_long
from markbook.rosters.services.common import email_validate
from markbook.support.models import SupportGrant
from markbook.support.services import support_grant_revoke


def platform_staff() -> list[User]:
    """The platform staff accounts that can sign in, by email."""
    return list(User.objects.filter(is_platform_staff=True, is_active=True).order_by("email"))


@transaction.atomic
def platform_staff_add(
    *, email: str, first_name: str, last_name: str, actor: User | None = None
) -> tuple[User, str]:
    """A new platform staff account and its one-time password (shown once)."""
    email, first_name, last_name = email.strip().lower(), first_name.strip(), last_name.strip()
    problems = text_too_long(
        User, {"email": email, "first_name": first_name, "last_name": last_name}
    )
    if problems:
        raise ValidationError(problems)
    email_validate(email)
    if not (first_name and last_name):
        raise ValidationError({"name": ["Give the staff member's first and last name."]})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {
                "email": [
                    f"{email} already has a Markbook account. Platform staff use an "
                    "account of their own: give another address."
                ]
            }
        )
    user, password = user_with_temporary_password(
        email=email, first_name=first_name, last_name=last_name
    )
    user.is_platform_staff = True
    user.save(update_fields=["is_platform_staff"])
    audit.record(
        actor=actor, school=None, action="support.staff.added", target=user, data={"user": user.pk}
    )
    return user, password


@transaction.atomic
def platform_staff_end(*, user: User, actor: User | None = None) -> int:
    """End a platform staff account at once; how many live support grants it ended."""
    if not user.is_platform_staff:
        raise ValidationError({"email": [f"{user.email} is not a platform staff account."]})
    now = timezone.now()
    with all_schools():
        grants = list(
            SupportGrant.objects.filter(staff=user, revoked_at=None, expires_at__gt=now)
            .select_related("school")
            .order_by("school_id", "pk")
        )
    for grant in grants:
        with school_scope(grant.school):
            support_grant_revoke(actor=actor, grant=grant)
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    user.is_platform_staff, user.is_active = False, False
    user.save(update_fields=["is_platform_staff", "is_active"])
    audit.record(
        actor=actor,
        school=None,
        action="support.staff.ended",
        target=user,
        data={"user": user.pk, "grants_ended": len(grants), "api_tokens_revoked": tokens},
    )
    return len(grants)
