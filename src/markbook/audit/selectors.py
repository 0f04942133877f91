"""Reads of the access log (SEC-1): a school reads its own chain, newest first."""

from django.db.models import QuerySet

from markbook.audit.models import AuditEvent


def school_events() -> QuerySet[AuditEvent]:
    """The access log of the school in scope, newest first (TEN-4: scoped, not filtered)."""
    return AuditEvent.objects.order_by("-seq")
