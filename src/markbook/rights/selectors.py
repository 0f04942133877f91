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
from markbook.privacy.export.services import may_download
from markbook.privacy.models import ExportArchive
from markbook.rights import clocks
from markbook.rights.models import DataRequest


def is_lead(access: Access) -> bool:
    return access.has("dpo")


def requests_visible_to(user: User, access: Access) -> QuerySet[DataRequest]:
    requests = DataRequest.objects.select_related(
        "subject_pupil__school", "subject_user", "requester_user"
    )
    if is_lead(access):
        return requests
    condition = (
        Q(requester_user=user)
        | Q(subject_user=user)
        | Q(subject_pupil__user=user)
        | Q(recorded_by=user)
    )
    if access.has("teacher"):
        # DSR-7: a pupil's own request to delete their account goes to the teachers
        # of their classes.
        condition |= Q(pk__in=pupil_deletion_requests_for(user).values("pk"))
    return requests.filter(condition)


# A pupil's own page: "Ask to delete my account" (DSR-7).
PASSED_NOTE = "Passed to the data protection lead."


def pupil_deletion_requests_for(user: User) -> QuerySet[DataRequest]:
    """Open requests pupils made on their own page to have their account deleted,
    about pupils of the classes `user` teaches, not yet passed to the data
    protection lead (DSR-7): the teacher's list."""
    from markbook.rights.models import DataRequestEvent

    passed = DataRequestEvent.objects.filter(note=PASSED_NOTE).values("request_id")
    return (
        DataRequest.objects.filter(
            kind=DataRequest.Kind.ERASURE,
            channel=DataRequest.Channel.OWN_PAGE,
            requester_kind=DataRequest.Requester.SELF,
            stage__in=DataRequest.OPEN,
            subject_pupil__enrolments__teaching_class__teacher_links__teacher=user,
        )
        .exclude(pk__in=passed)
        .select_related("subject_pupil")
        .distinct()
        .order_by("received_on", "pk")
    )


def own_requests(user: User) -> QuerySet[DataRequest]:
    """The requests a person made or that are about them, newest first."""
    return (
        DataRequest.objects.select_related("subject_pupil__school", "subject_user")
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
    requests = DataRequest.objects.select_related(
        "subject_pupil__school", "subject_user", "requester_user"
    )
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


def next_step(request: DataRequest) -> str:
    """What happens next, in words, for the request's page and the API."""
    stage = request.stage
    if stage == DataRequest.Stage.RECEIVED:
        return "The data protection lead checks the requester's identity."
    if stage == DataRequest.Stage.IDENTITY_CHECKED:
        return "The data protection lead approves or refuses the request."
    if stage == DataRequest.Stage.APPROVED and request.by_hand:
        return (
            "Markbook does not carry out this kind of request itself: the data protection "
            "lead carries it out by hand, then marks it done with a note."
        )
    if stage in (DataRequest.Stage.APPROVED, DataRequest.Stage.IN_PROGRESS):
        from markbook.rights.services import is_stalled

        if is_stalled(request):
            return (
                "Carrying out the request has stopped making progress; the data protection "
                "lead can try again, and it carries on from where it stopped."
            )
        return "Markbook is carrying out the request."
    if stage == DataRequest.Stage.FAILED:
        return "Carrying out the request stopped with an error; the data protection lead can try again."
    return ""


def request_summary(request: DataRequest, today: date | None = None) -> dict:
    """The request as the API and the pages show it."""
    today = today or timezone.localdate()
    left = clocks.days_left(request.due_on, today)
    return {
        "id": request.pk,
        "kind": request.kind,
        "kind_label": request.get_kind_display(),
        "stage": request.stage,
        "stage_label": request.get_stage_display(),
        "subject_kind": request.subject_kind,
        "subject": subject_label(request),
        "requester_kind": request.requester_kind,
        "requester": requester_label(request),
        "channel": request.channel,
        "details": request.details or "",
        "received_on": request.received_on,
        "due_on": request.due_on,
        "days_left": left,
        "days_overdue": max(-left, 0) if request.is_open else 0,
        "overdue": request.is_open and left < 0,
        "near_due": request.is_open and 0 <= left <= clocks.NEAR_DUE_DAYS,
        "extended": request.extended,
        "extension_reason": request.extension_reason,
        "identity_method": request.identity_method,
        "identity_checked_at": request.identity_checked_at,
        "refusal_reason": request.refusal_reason,
        "by_hand": request.by_hand,
        "outcome_note": request.outcome_note,
        "failed_stage": request.failed_stage,
        "error": request.error,
        "progress_done": request.progress_done,
        "progress_total": request.progress_total,
        "progress_stage": request.progress_stage,
        "next_step": next_step(request),
    }


def history(request: DataRequest) -> list[dict]:
    return [
        {
            "at": e.at,
            "actor": e.actor.display_name if e.actor else "Markbook",
            "from_stage": e.from_stage,
            "to_stage": e.to_stage,
            "to_label": DataRequest.Stage(e.to_stage).label,
            "note": e.note,
        }
        for e in request.events.select_related("actor")
    ]


def request_export(request: DataRequest, *, user: User, access: Access) -> ExportArchive | None:
    """The copy of the data a done access request made (DSR-2), when this user may
    download it: the requester, or the data protection lead (DSR-9)."""
    export_id = (request.result or {}).get("export")
    if not isinstance(export_id, int):
        return None
    item = ExportArchive.objects.defer("archive").filter(pk=export_id).first()
    if item is None or not may_download(item, user=user, is_dpo=is_lead(access)):
        return None
    return item
