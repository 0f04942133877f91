"""Reads of the access log (SEC-1). Runs inside the request's school scope (TEN-4)."""

from django.db.models import QuerySet

from markbook.audit.models import AuditEvent


def events_for_log(*, action_prefix: str = "") -> QuerySet[AuditEvent]:
    """The school's events, newest first, optionally those whose action starts with a prefix."""
    events = AuditEvent.objects.order_by("-seq")
    if action_prefix:
        events = events.filter(action__startswith=action_prefix)
    return events
