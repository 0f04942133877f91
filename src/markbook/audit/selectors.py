"""Reads of the access log (SEC-1). Runs inside the request's school scope (TEN-4)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from markbook.accounts.models import User
from markbook.audit.describe import READS
from markbook.audit.models import AuditEvent
from markbook.rosters.models import Pupil

MAX_WORDS = 5


@dataclass(frozen=True)
class LogFilter:
    """What the log page and the API narrow the log by; empty values narrow nothing."""

    person: str = ""  # the subject: a pupil or a person the event is about
    actor: str = ""  # who did it
    action: str = ""  # an action name, or the start of one ("rosters.pupil.")
    since: date | None = None
    until: date | None = None
    changes_only: bool = False


def _words(text: str) -> list[str]:
    return text.split()[:MAX_WORDS]


def _people(text: str) -> QuerySet[User]:
    """Accounts whose name or email holds every word of `text`."""
    users = User.objects.all()
    for word in _words(text):
        users = users.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return users


def _pupils(text: str) -> QuerySet[Pupil]:
    """The school's pupils whose name, pseudonym, username or UPN holds every word."""
    pupils = Pupil.objects.all()
    for word in _words(text):
        pupils = pupils.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(pseudonym__icontains=word)
            | Q(username__icontains=word)
            | Q(upn__iexact=word)
        )
    return pupils


def _about(text: str) -> Q:
    """Events about a pupil or person matching `text`: as their target, or named in
    the event (an enrolment's pupil, a link's parent, a mark's pupil)."""
    pupil_ids = list(_pupils(text).values_list("pk", flat=True)[:500])
    user_ids = list(_people(text).values_list("pk", flat=True)[:500])
    return (
        Q(target_type="rosters.pupil", target_id__in=[str(i) for i in pupil_ids])
        | Q(data__pupil__in=pupil_ids)
        | Q(target_type="accounts.user", target_id__in=[str(i) for i in user_ids])
        | Q(data__parent__in=user_ids)
        | Q(data__teacher__in=user_ids)
    )


def events_for_log(filters: LogFilter | None = None) -> QuerySet[AuditEvent]:
    """The school's events, newest first, narrowed by `filters` (SEC-1)."""
    f = filters or LogFilter()
    events = AuditEvent.objects.order_by("-seq")
    if f.action:
        events = events.filter(action__startswith=f.action)
    if f.actor.strip():
        matching = _people(f.actor).values("pk")
        by_label = Q()
        for word in _words(f.actor):
            by_label &= Q(actor_label__icontains=word)
        events = events.filter(Q(actor_id__in=matching) | by_label)
    if f.person.strip():
        events = events.filter(_about(f.person))
    if f.since:
        events = events.filter(at__date__gte=f.since)
    if f.until:
        events = events.filter(at__date__lte=f.until)
    if f.changes_only:
        events = events.exclude(action__in=list(READS))
    return events
