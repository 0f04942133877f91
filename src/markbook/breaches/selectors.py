"""Reads of the breach register (SEC-3).

Platform staff see every breach with the schools it affects (one register across
schools: the only cross-school read here, allow-listed in core.tenancy). A school sees
only its own rows (`BreachSchool` in the request's school scope).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from markbook.breaches.models import Breach, BreachSchool
from markbook.core.tenancy import all_schools


@dataclass(frozen=True)
class Clock:
    """Where a breach stands against the 72 hours to report it to the regulator."""

    due_at: datetime
    state: str  # reported, not_reportable, overdue, due_soon, running
    hours_left: int
    text: str


def clock(breach: Breach, now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    due = breach.report_due_at
    hours = int((due - now).total_seconds() // 3600)
    if breach.regulator_reported_at is not None:
        late = breach.regulator_reported_at > due
        text = f"Reported to the regulator on {breach.regulator_reported_at:%d %B %Y %H:%M}"
        return Clock(due, "reported", hours, text + (" (after the 72 hours)" if late else ""))
    if breach.not_reported_reason:
        return Clock(due, "not_reportable", hours, "No report due: " + breach.not_reported_reason)
    if now >= due:
        return Clock(due, "overdue", hours, f"Report overdue by {-hours} hours")
    if due - now <= timedelta(hours=24):
        return Clock(due, "due_soon", hours, f"Report due within {hours + 1} hours")
    return Clock(due, "running", hours, f"{hours} hours left to report")


def breaches() -> list[tuple[Breach, Clock, int]]:
    """Every breach, newest first, with its clock and how many schools it affects."""
    with all_schools():
        counts: dict[int, int] = {}
        for breach_id in BreachSchool.objects.values_list("breach_id", flat=True):
            counts[breach_id] = counts.get(breach_id, 0) + 1
    now = timezone.now()
    return [(b, clock(b, now), counts.get(b.pk, 0)) for b in Breach.objects.all()]


def breach_schools(breach: Breach) -> list[BreachSchool]:
    """The schools a breach affects, with the school (platform staff)."""
    with all_schools():
        return list(
            BreachSchool.objects.filter(breach=breach).select_related("school", "acknowledged_by")
        )


def breaches_due() -> int:
    """How many breaches have their report due within 24 hours or overdue, not settled."""
    now = timezone.now()
    return sum(
        1
        for b in Breach.objects.filter(regulator_reported_at__isnull=True, not_reported_reason="")
        if clock(b, now).state in ("overdue", "due_soon")
    )


def school_breaches() -> QuerySet[BreachSchool]:
    """The breaches affecting the school in scope, newest first."""
    return BreachSchool.objects.select_related("breach", "acknowledged_by").order_by(
        "-breach__detected_at", "-pk"
    )


def unacknowledged() -> list[BreachSchool]:
    """The school's breaches no administrator has acknowledged yet (the page's notice)."""
    return list(school_breaches().filter(acknowledged_at__isnull=True))


def people_counted(breach: Breach) -> int:
    """The people the schools named as affected have counted, all schools together."""
    with all_schools():
        return sum(
            BreachSchool.objects.filter(breach=breach).values_list("people_affected", flat=True)
        )
