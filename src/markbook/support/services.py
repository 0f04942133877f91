"""Support grants (TEN-6): keyword-only, atomic, audited in the school's chain."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.schools.models import School
from markbook.support.models import SupportGrant


def max_duration() -> timedelta:
    return timedelta(days=settings.MARKBOOK_SUPPORT_GRANT_MAX_DAYS)


@transaction.atomic
def support_grant_create(
    *,
    actor: User,
    school: School,
    staff_email: str,
    reason: str,
    scope: str,
    areas: list[str],
    expires_at: datetime,
) -> SupportGrant:
    """Grant a named member of platform staff access to the school until `expires_at`."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    staff = User.objects.filter(email__iexact=staff_email.strip(), is_platform_staff=True).first()
    if staff is None or not staff.is_active:
        errors["staff_email"] = [
            f"{staff_email.strip() or 'That address'} is not a member of Markbook's platform staff."
        ]
    if not reason.strip():
        errors["reason"] = ["Say why support needs access (for example the ticket number)."]
    if scope not in SupportGrant.Scope.values:
        errors["scope"] = [f"Choose one of: {', '.join(SupportGrant.Scope.values)}."]
    unknown = sorted(set(areas) - set(SupportGrant.Area.values))
    if unknown or not areas:
        errors["areas"] = ["Choose at least one area: " + ", ".join(SupportGrant.Area.values) + "."]
    if expires_at <= now:
        errors["expires_at"] = ["The access must end in the future."]
    elif expires_at > now + max_duration():
        errors["expires_at"] = [
            f"Access can be granted for at most {max_duration().days} days at a time."
        ]
    if errors:
        raise ValidationError(errors)
    assert staff is not None
    grant = SupportGrant.objects.create(
        school=school,
        staff=staff,
        granted_by=actor,
        reason=reason.strip(),
        scope=scope,
        areas=sorted(set(areas)),
        granted_at=now,
        expires_at=expires_at,
    )
    audit.record(
        actor=actor,
        school=school,
        action="support.grant.created",
        target=grant,
        data={"scope": scope, "areas": grant.areas, "expires_at": expires_at.isoformat()},
    )
    return grant


@transaction.atomic
def support_grant_revoke(*, actor: User | None, grant: SupportGrant) -> SupportGrant:
    """End a grant at once: the staff member's next request is refused."""
    if grant.revoked_at is None:
        grant.revoked_at, grant.revoked_by = timezone.now(), actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            actor=actor, school=grant.school_id, action="support.grant.revoked", target=grant
        )
    return grant


def support_request_record(*, grant: SupportGrant, method: str, path: str, status: int) -> None:
    """Log one request made under a grant: a read (GET, HEAD) or a change."""
    change = method not in ("GET", "HEAD", "OPTIONS")
    audit.record(
        actor=grant.staff,
        school=grant.school_id,
        action="support.request.changed" if change else "support.request.read",
        target=grant,
        data={"method": method, "path": path[:300], "status": status},
    )
