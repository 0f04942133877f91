"""The log rule of RET-1: IP addresses and user ids in the access log go after 365 days.

The engine calls `log_addresses_redact`, which removes them through the access log's own
`audit.services.events_redact_addresses(*, school_id, before)`: the chain commits to
per-field digests, so it still verifies afterwards (SEC-1).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from markbook.audit import services as audit_services
from markbook.audit.models import AuditEvent


@dataclass(frozen=True)
class LogRedaction:
    due: int  # events holding an address or user id from before the cutoff
    redacted: int  # of those, how many had them removed (0 in a dry run)


def events_with_addresses_before(*, school_id: int, before: datetime) -> int:
    """How many of the school's access-log entries from before `before` still hold an
    IP address or a user id (the school's scope is open). Reads only."""
    return (
        AuditEvent.objects.filter(school_id=school_id, at__lt=before)
        .filter(Q(ip__isnull=False) | Q(actor_id__isnull=False) | Q(user_ref__isnull=False))
        .count()
    )


def log_addresses_redact(*, school_id: int, before: datetime, dry_run: bool) -> LogRedaction:
    """Remove IP addresses and user ids from the school's log entries older than
    `before` (RET-1) through the access log's own function, which keeps the chain
    verifiable (audit.services.events_redact_addresses); a dry run only counts them."""
    due = events_with_addresses_before(school_id=school_id, before=before)
    if dry_run or not due:
        return LogRedaction(due=due, redacted=0)
    redacted = audit_services.events_redact_addresses(school_id=school_id, before=before)
    return LogRedaction(due=due, redacted=int(redacted))
