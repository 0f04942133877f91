"""Reads of data-subject requests (DSR-6, DSR-8). Inside the school's scope (TEN-4).

Who sees which requests (TEN-3): the school's data protection lead all of them;
anyone else only those they made, those about themself, and those they recorded
for someone (a teacher typing up a letter). Another school's are never found.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from markbook.accounts.models import User
from markbook.admission import Access
from markbook.rights import clocks
from markbook.rights.models import DataRequest


def is_lead(access: Access) -> bool:
    return access.has("dpo")


def requests_visible_to(user: User, access: Access) -> QuerySet[DataRequest]:
    requests = DataRequest.objects.select_related("subject_pupil", "subject_user", "requester_user")
    if is_lead(access):
        return requests
    return requests.filter(
        Q(requester_user=user)
        | Q(subject_user=user)
        | Q(subject_pupil__user=user)
        | Q(recorded_by=user)
    )


def own_requests(user: User) -> QuerySet[DataRequest]:
    """The requests a person made or that are about them, newest first."""
    return (
        DataRequest.objects.select_related("subject_pupil", "subject_user")
        .filter(Q(requester_user=user) | Q(subject_user=user) | Q(subject_pupil__user=user))
        .order_by("-received_on", "-pk")
    )


@dataclass(frozen=True)
class QueueRow:
    request: DataRequest
    days_left: int
    overdue: bool
    near_due: bool


def queue(today: date | None = None) -> list[QueueRow]:
    """Every request of the school for its data protection lead: open ones first, by
    due date (overdue, then near due, then the rest), then closed ones, newest first."""
    today = today or timezone.localdate()
    rows = []
    requests = DataRequest.objects.select_related("subject_pupil", "subject_user", "requester_user")
    for r in list(requests.filter(stage__in=DataRequest.OPEN).order_by("due_on", "pk")) + list(
        requests.filter(stage__in=DataRequest.CLOSED).order_by("-closed_at", "-pk")[:100]
    ):
        left = clocks.days_left(r.due_on, today)
        rows.append(
            QueueRow(
                r,
                left,
                overdue=r.is_open and left < 0,
                near_due=r.is_open and 0 <= left <= clocks.NEAR_DUE_DAYS,
            )
        )
    return rows


def due_counts(today: date | None = None) -> dict[str, int]:
    """How many open requests are overdue and near due, for the dashboard's notice."""
    today = today or timezone.localdate()
    open_ = DataRequest.objects.filter(stage__in=DataRequest.OPEN)
    return {
        "overdue": open_.filter(due_on__lt=today).count(),
        "near_due": open_.filter(
            due_on__gte=today, due_on__lte=today + timedelta(days=clocks.NEAR_DUE_DAYS)
        ).count(),
    }


def subject_label(request: DataRequest) -> str:
    if request.subject_pupil is not None:
        return request.subject_pupil.display_name
    if request.subject_user is not None:
        return request.subject_user.display_name
    return "(the person's records were erased)"


def requester_label(request: DataRequest) -> str:
    if request.requester_user is not None:
        return request.requester_user.display_name
    return request.requester_name or request.get_requester_kind_display()
