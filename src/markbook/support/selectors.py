"""Reads of support grants (TEN-6)."""

from django.db.models import QuerySet
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit.models import AuditEvent
from markbook.support.models import SupportGrant


def live_grant(user: User) -> SupportGrant | None:
    """The user's live grant in the school in scope (the latest, if several)."""
    now = timezone.now()
    return (
        SupportGrant.objects.filter(
            staff=user, revoked_at__isnull=True, granted_at__lte=now, expires_at__gt=now
        )
        .order_by("-granted_at")
        .first()
    )


def grants() -> QuerySet[SupportGrant]:
    """The school's grants, newest first, with who was granted and by whom."""
    return SupportGrant.objects.select_related("staff", "granted_by", "revoked_by")


def grant_log(grant: SupportGrant) -> QuerySet[AuditEvent]:
    """Every read and change made under the grant, oldest first."""
    return AuditEvent.objects.filter(
        target_type="support.supportgrant",
        target_id=str(grant.pk),
        action__in=("support.request.read", "support.request.changed"),
    ).order_by("seq")


def my_live_grants(user: User) -> list[SupportGrant]:
    """A platform staff member's live grants in every school (their dashboard): the one
    read of grants across schools, allow-listed in core.tenancy."""
    from markbook.core.tenancy import all_schools

    now = timezone.now()
    with all_schools():
        return list(
            SupportGrant.objects.filter(
                staff=user, revoked_at__isnull=True, granted_at__lte=now, expires_at__gt=now
            ).select_related("school")
        )
