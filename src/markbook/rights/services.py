"""The request workflow (DSR-6, DSR-8, DSR-9): each stage a service, each change of
stage a stored event and an access-log event.

Stages: received -> identity checked -> approved -> in progress -> done; refused
(with a reason) from received or identity checked; failed (with the error) from in
progress, and retried from there. A request of a kind with no handler is approved
"by hand": the data protection lead carries it out and marks it done with a note.

No stage runs twice at once: each service locks the request's row (SELECT ... FOR
UPDATE on PostgreSQL), checks its stage for a clear refusal, then moves it with a
conditional UPDATE naming the stages it may move from; the background runner claims
approved -> in progress for its attempt only, so two workers, or a retry beside a
stale run, never both run the handler.

Every function runs inside the school's scope (TEN-4); who may do what is checked
by the views and API (rights/access.py) before they call these.
"""

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.rights import clocks, handlers, terms
from markbook.rights.models import DETAILS_MAX, NOTE_MAX, DataRequest, DataRequestEvent
from markbook.rosters.models import GuardianLink, Pupil
from markbook.schools.models import School

logger = logging.getLogger(__name__)

Stage = DataRequest.Stage
Kind = DataRequest.Kind

BY_HAND = (
    "Markbook does not carry out this kind of request itself: the data protection lead "
    "carries it out by hand, then marks it done with a note of what was done."
)
CRASHED = "The work stopped because of an error in Markbook."
# A request in progress with no progress saved for this long has lost its worker.
STALL_MINUTES = 30


def due_date(*, kind: str, received_on: date) -> date:
    """When a request received that day is due (DSR-6, DSR-8)."""
    if kind == Kind.EDUCATIONAL_RECORD:
        return terms.educational_record_due(received_on)
    return clocks.month_due(received_on)


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _note(value: str, field: str = "note") -> str:
    value = (value or "").strip()
    if len(value) > NOTE_MAX:
        raise _refuse(field, f"Keep this to {NOTE_MAX} characters.")
    return value


def _is_member(school: School, user: User, *roles: str) -> bool:
    return Membership.objects.filter(school=school, user=user, role__in=roles).exists()


@transaction.atomic
def data_request_create(
    *,
    actor: User | None,
    school: School,
    kind: str,
    subject_pupil: Pupil | None = None,
    subject_user: User | None = None,
    requester_kind: str,
    requester_user: User | None = None,
    requester_name: str = "",
    channel: str,
    details: str = "",
    received_on: date | None = None,
) -> DataRequest:
    """Record a request as received, with its due date (DSR-6, DSR-8). The subject is a
    pupil record of this school, or the account of one of its parents or staff."""
    today = timezone.localdate()
    received_on = received_on or today
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = ["Choose what the request asks for."]
    if requester_kind not in DataRequest.Requester.values:
        errors["requester_kind"] = ["Say who made the request."]
    if channel not in DataRequest.Channel.values:
        errors["channel"] = ["Say how the request arrived."]
    if received_on > today:
        errors["received_on"] = ["The day it was received cannot be in the future."]
    if len(details or "") > DETAILS_MAX:
        errors["details"] = [f"Keep the details to {DETAILS_MAX} characters."]
    if len(requester_name or "") > 200:
        errors["requester_name"] = ["Keep the name to 200 characters."]
    if (subject_pupil is None) == (subject_user is None):
        errors["subject"] = ["Say whose data the request is about."]
    subject_kind = DataRequest.SubjectKind.PUPIL
    if subject_pupil is not None and subject_pupil.school_id != school.pk:
        errors["subject"] = ["That pupil is not at this school."]
    if subject_user is not None:
        if _is_member(school, subject_user, "teacher", "school_admin"):
            subject_kind = DataRequest.SubjectKind.STAFF
        elif _is_member(school, subject_user, "parent"):
            subject_kind = DataRequest.SubjectKind.PARENT
        else:
            errors["subject"] = ["That person is not a parent or member of staff at this school."]
    if kind == Kind.EDUCATIONAL_RECORD and (
        subject_pupil is None or requester_kind != DataRequest.Requester.PARENT
    ):
        errors["kind"] = ["Only a parent or carer can ask to see their child's educational record."]
    if requester_kind == DataRequest.Requester.PARENT:
        if subject_pupil is None:
            errors["subject"] = ["A parent or carer asks on behalf of a pupil, their child."]
        elif (
            requester_user is not None
            and not GuardianLink.objects.filter(parent=requester_user, pupil=subject_pupil).exists()
        ):
            errors["subject"] = ["That pupil is not linked to this parent or carer."]
    if errors:
        raise ValidationError(errors)
    request = DataRequest(
        school=school,
        kind=kind,
        subject_kind=subject_kind,
        subject_pupil=subject_pupil,
        subject_user=subject_user,
        requester_kind=requester_kind,
        requester_user=requester_user,
        requester_name=(requester_name or "").strip(),
        channel=channel,
        recorded_by=actor,
        details=(details or "").strip() or None,
        received_on=received_on,
        due_on=due_date(kind=kind, received_on=received_on),
    )
    request.save()
    _event(actor, request, "", Stage.RECEIVED, "")
    audit.record(
        actor=actor,
        school=school,
        action="rights.request.received",
        target=request,
        data={
            "kind": kind,
            "subject_kind": subject_kind,
            "requester": requester_kind,
            "channel": channel,
            "received_on": received_on.isoformat(),
            "due_on": request.due_on.isoformat(),
        },
    )
    return request


def data_request_viewed(*, actor: User, data_request: DataRequest) -> None:
    if (
        data_request.requester_user_id == actor.pk
        and data_request.stage in DataRequest.CLOSED
        and data_request.requester_seen_at is None
    ):
        # The requester has opened the answer: their home page's notice goes.
        now = timezone.now()
        DataRequest.objects.filter(pk=data_request.pk, requester_seen_at__isnull=True).update(
            requester_seen_at=now
        )
        data_request.requester_seen_at = now
    _viewed(actor=actor, data_request=data_request)


def _viewed(*, actor: User, data_request: DataRequest) -> None:
    """SEC-1: someone reading a request about another person (the lead, the member of
    staff who recorded it) is recorded; the requester or subject reading it is not."""
    own = actor.pk in (data_request.requester_user_id, data_request.subject_user_id) or (
        data_request.subject_pupil is not None and data_request.subject_pupil.user_id == actor.pk
    )
    if not own:
        audit.record(
            actor=actor,
            school=data_request.school_id,
            action="rights.request.viewed",
            target=data_request,
        )


def data_requests_listed(*, actor: User, school: School) -> None:
    """SEC-1: the data protection lead reading the school's list of requests (it names
    the people they are about) is recorded."""
    audit.record(actor=actor, school=school, action="rights.requests.listed")


def _event(actor: User | None, request: DataRequest, old: str, new: str, note: str) -> None:
    DataRequestEvent.objects.create(
        school_id=request.school_id,
        request=request,
        actor=actor,
        from_stage=old,
        to_stage=new,
        note=note,
    )


def _locked(request: DataRequest) -> DataRequest:
    """The request's row, locked for this transaction (PostgreSQL; SQLite's write
    transactions are serialised already)."""
    return DataRequest.objects.select_for_update().get(pk=request.pk)


def _move(
    *,
    actor: User | None,
    request: DataRequest,
    to: str,
    expected: tuple[str, ...],
    action: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> DataRequest:
    """Move the stage from one of `expected` to `to` with one conditional UPDATE;
    refused (nothing changed) when another change got there first."""
    now = timezone.now()
    if to in DataRequest.CLOSED:
        fields["closed_at"] = now
    old = DataRequest.objects.filter(pk=request.pk).values_list("stage", flat=True).first()
    moved = DataRequest.objects.filter(pk=request.pk, stage__in=expected).update(
        stage=to, updated_at=now, **fields
    )
    if not moved:
        raise _refuse("stage", "This request has changed meanwhile; reload it and try again.")
    request.refresh_from_db()
    _event(actor, request, old or "", to, note)
    audit.record(
        actor=actor,
        school=request.school_id,
        action=action,
        target=request,
        data={"from": old, "to": to, **(data or {})},
    )
    return request


def _closed(request: DataRequest) -> None:
    if request.stage == Stage.REFUSED:
        raise _refuse("stage", "This request was refused; it cannot be changed now.")
    if request.stage == Stage.DONE:
        raise _refuse("stage", "This request is done; it cannot be changed now.")


@transaction.atomic
def data_request_check_identity(
    *, actor: User | None, data_request: DataRequest, method: str, note: str = ""
) -> DataRequest:
    """Record how the requester's identity was checked (by whom, when)."""
    current = _locked(data_request)
    _closed(current)
    if current.stage != Stage.RECEIVED:
        raise _refuse("stage", "The requester's identity has been checked already.")
    if method not in DataRequest.IdentityMethod.values:
        raise _refuse("method", "Choose how the requester's identity was checked.")
    note = _note(note)
    if method == DataRequest.IdentityMethod.OTHER and not note:
        raise _refuse("note", "Describe how the identity was checked.")
    return _move(
        actor=actor,
        request=current,
        to=Stage.IDENTITY_CHECKED,
        expected=(Stage.RECEIVED,),
        action="rights.request.identity_checked",
        note=note,
        data={"method": method},
        identity_method=method,
        identity_checked_by=actor,
        identity_checked_at=timezone.now(),
        identity_note=note,
    )


@transaction.atomic
def data_request_approve(
    *, actor: User | None, data_request: DataRequest, note: str = ""
) -> DataRequest:
    """Approve a request whose requester's identity was checked. With a handler for
    its kind it is queued for the background worker; without one it is carried out by
    the data protection lead by hand (`by_hand`), who then marks it done."""
    current = _locked(data_request)
    if current.stage == Stage.REFUSED:
        raise _refuse("stage", "This request was refused, so it cannot be approved.")
    _closed(current)
    if current.stage == Stage.RECEIVED:
        raise _refuse("stage", "Record how the requester's identity was checked before approving.")
    if current.stage != Stage.IDENTITY_CHECKED:
        raise _refuse("stage", "This request has been approved already.")
    by_hand = handlers.handler_for(current.kind) is None
    start = None if by_hand else handlers.prepared(current)
    moved = _move(
        actor=actor,
        request=current,
        to=Stage.APPROVED,
        expected=(Stage.IDENTITY_CHECKED,),
        action="rights.request.approved",
        note=_note(note),
        data={"by_hand": by_hand},
        decided_by=actor,
        by_hand=by_hand,
        attempt=F("attempt") + (0 if by_hand else 1),
        **({"checkpoint": start} if start is not None else {}),
    )
    if not by_hand:
        _enqueue(moved)
    return moved


@transaction.atomic
def data_request_refuse(
    *, actor: User | None, data_request: DataRequest, reason: str
) -> DataRequest:
    """Refuse a request not yet approved; the reason is required (it is told to the
    requester)."""
    current = _locked(data_request)
    _closed(current)
    if current.stage not in (Stage.RECEIVED, Stage.IDENTITY_CHECKED):
        raise _refuse("stage", "This request has been approved; it can no longer be refused.")
    reason = _note(reason, "reason")
    if not reason:
        raise _refuse("reason", "Give the reason for refusing: the requester is told it.")
    refused = _move(
        actor=actor,
        request=current,
        to=Stage.REFUSED,
        expected=(Stage.RECEIVED, Stage.IDENTITY_CHECKED),
        action="rights.request.refused",
        note=reason,
        decided_by=actor,
        refusal_reason=reason,
    )
    _tell_requester(refused)
    return refused


@transaction.atomic
def data_request_extend(
    *, actor: User | None, data_request: DataRequest, reason: str
) -> DataRequest:
    """Extend the deadline once, by two further months, with a reason (DSR-6)."""
    current = _locked(data_request)
    _closed(current)
    if current.kind == Kind.EDUCATIONAL_RECORD:
        raise _refuse(
            "kind",
            "A parent's request to see their child's educational record cannot be "
            "extended: it is due within 15 school days.",
        )
    if current.extended:
        raise _refuse("reason", "This request has been extended once already; it cannot be again.")
    reason = _note(reason, "reason")
    if not reason:
        raise _refuse(
            "reason", "Give the reason for the extension (the request is complex or one of many)."
        )
    now = timezone.now()
    due = clocks.extended_due(current.received_on)
    updated = DataRequest.objects.filter(pk=current.pk, extended_at__isnull=True).update(
        extended_at=now, extended_by=actor, extension_reason=reason, due_on=due, updated_at=now
    )
    if not updated:
        raise _refuse("reason", "This request has been extended once already; it cannot be again.")
    current.refresh_from_db()
    _event(actor, current, current.stage, current.stage, f"Extended to {due:%-d %B %Y}: {reason}")
    audit.record(
        actor=actor,
        school=current.school_id,
        action="rights.request.extended",
        target=current,
        data={"due_on": due.isoformat()},
    )
    return current


@transaction.atomic
def data_request_complete(
    *, actor: User | None, data_request: DataRequest, note: str
) -> DataRequest:
    """Mark done a request the data protection lead carried out by hand, with a note
    of what was done."""
    current = _locked(data_request)
    _closed(current)
    if current.stage != Stage.APPROVED or not current.by_hand:
        raise _refuse(
            "stage", "Only an approved request carried out by hand can be marked done here."
        )
    note = _note(note)
    if not note:
        raise _refuse("note", "Say what was done, for the record.")
    extra: dict[str, Any] = {}
    if current.kind == Kind.RECTIFICATION:
        # The services that received the person's data, to tell of the correction (DSR-10).
        extra["result"] = {**(current.result or {}), **_passed_on(current)}
    done = _move(
        actor=actor,
        request=current,
        to=Stage.DONE,
        expected=(Stage.APPROVED,),
        action="rights.request.done_by_hand",
        note=note,
        outcome_note=note,
        **extra,
    )
    _tell_requester(done)
    return done


def _passed_on(request: DataRequest) -> dict[str, Any]:
    from markbook.privacy.selectors import passed_on_services
    from markbook.rights.passing_on import service_names_ids

    person = request.subject_pupil or request.subject_user
    return service_names_ids(passed_on_services(person)) if person is not None else {}


@transaction.atomic
def data_request_done_by_deletion(
    *, actor: User | None, data_request: DataRequest, note: str
) -> DataRequest:
    """Close a pupil's own request to delete their account once a teacher of theirs
    deleted it (DSR-7)."""
    current = _locked(data_request)
    _closed(current)
    return _move(
        actor=actor,
        request=current,
        to=Stage.DONE,
        expected=tuple(DataRequest.OPEN),
        action="rights.request.done_by_deletion",
        note=note,
        outcome_note=note,
    )


@transaction.atomic
def data_request_pass_to_lead(*, actor: User | None, data_request: DataRequest) -> DataRequest:
    """A teacher passes a pupil's own request to delete their account to the data
    protection lead instead of deleting it (DSR-7): it leaves the teachers' list."""
    from markbook.rights.selectors import PASSED_NOTE

    current = _locked(data_request)
    _closed(current)
    _event(actor, current, current.stage, current.stage, PASSED_NOTE)
    audit.record(
        actor=actor,
        school=current.school_id,
        action="rights.request.passed_to_lead",
        target=current,
        data={"stage": current.stage},
    )
    return current


def is_stalled(request: DataRequest, now: datetime | None = None) -> bool:
    """In progress with no sign of life (progress saved) for STALL_MINUTES: its worker
    died. It may be retried like a failed one; the stale attempt can no longer write."""
    now = now or timezone.now()
    return request.stage == Stage.IN_PROGRESS and request.updated_at < now - timedelta(
        minutes=STALL_MINUTES
    )


@transaction.atomic
def data_request_retry(*, actor: User | None, data_request: DataRequest) -> DataRequest:
    """Queue a failed (or stalled) request again: it resumes from where it stopped
    (DSR-9). The attempt moves on, so a stale run's progress and result are refused."""
    current = _locked(data_request)
    _closed(current)
    stalled = is_stalled(current)
    if current.stage != Stage.FAILED and not stalled:
        raise _refuse("stage", "Only a request that failed or stalled can be tried again.")
    moved = _move(
        actor=actor,
        request=current,
        to=Stage.APPROVED,
        expected=(Stage.IN_PROGRESS,) if stalled else (Stage.FAILED,),
        action="rights.request.retried",
        data={"attempt": current.attempt + 1, "stalled": stalled},
        attempt=F("attempt") + 1,
    )
    _enqueue(moved)
    return moved


def data_request_enqueue(request: DataRequest) -> None:
    """Queue the task that runs the request's current attempt (again, after the
    school's suspension is lifted: ACC-6); keep its id."""
    _enqueue(request)


def _enqueue(request: DataRequest) -> None:
    from markbook.rights.tasks import run_data_request

    queued = run_data_request.enqueue(request.school_id, request.pk, request.attempt)
    request.task_id = str(queued.id)[:64]
    DataRequest.objects.filter(pk=request.pk).update(task_id=request.task_id)


def data_request_run(*, data_request: DataRequest, attempt: int | None = None) -> DataRequest:
    """Run one attempt of an approved request's handler (the background worker's
    work, DSR-9): claim approved -> in progress for this attempt, call the handler,
    then store done with its result, or failed with the error. An attempt that finds
    the request claimed, retried or closed does nothing."""
    attempt = attempt or data_request.attempt
    handler = handlers.handler_for(data_request.kind)
    now = timezone.now()
    claimed = DataRequest.objects.filter(
        pk=data_request.pk, stage=Stage.APPROVED, attempt=attempt, by_hand=False
    ).update(stage=Stage.IN_PROGRESS, updated_at=now, error="", failed_stage="")
    data_request.refresh_from_db()
    if not claimed:
        return data_request
    with transaction.atomic():
        _event(None, data_request, Stage.APPROVED, Stage.IN_PROGRESS, f"Attempt {attempt}")
        audit.record(
            actor=None,
            school=data_request.school_id,
            action="rights.request.started",
            target=data_request,
            data={"attempt": attempt},
        )
    run = handlers.Run(
        request=data_request, attempt=attempt, checkpoint=dict(data_request.checkpoint)
    )
    try:
        if handler is None:
            raise RuntimeError("No part of Markbook carries out this kind of request now.")
        result = handler(run) or {}
    except handlers.Superseded:
        data_request.refresh_from_db()
        return data_request
    except Exception as exc:
        logger.exception("data request %s attempt %s failed", data_request.pk, attempt)
        return _finish(data_request, attempt, Stage.FAILED, error=str(exc)[:2000] or CRASHED)
    return _finish(data_request, attempt, Stage.DONE, result=result)


@transaction.atomic
def _finish(
    request: DataRequest,
    attempt: int,
    to: str,
    *,
    error: str = "",
    result: dict[str, Any] | None = None,
) -> DataRequest:
    fields: dict[str, Any] = {"stage": to, "updated_at": timezone.now()}
    if to == Stage.FAILED:
        fields.update(error=error, failed_stage=Stage.IN_PROGRESS)
    else:
        fields.update(result=result or {}, closed_at=timezone.now())
    moved = DataRequest.objects.filter(
        pk=request.pk, stage=Stage.IN_PROGRESS, attempt=attempt
    ).update(**fields)
    request.refresh_from_db()
    if not moved:
        return request
    _event(None, request, Stage.IN_PROGRESS, to, error)
    audit.record(
        actor=None,
        school=request.school_id,
        action="rights.request.failed" if to == Stage.FAILED else "rights.request.done",
        target=request,
        data={"attempt": attempt},
    )
    if to == Stage.DONE:
        _tell_requester(request)
    return request


def _tell_requester(request: DataRequest) -> None:
    """Email the requester's account address that their request is done or refused,
    once the change is committed. The message names no one's data, only that there is
    an answer and the link to the request's page, where they read it signed in; their
    home page shows a notice until they open it."""
    user = request.requester_user
    if user is None or not user.email:
        return
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse

    link = settings.MARKBOOK_SITE_URL.rstrip("/") + reverse(
        "rights:detail", kwargs={"school_id": request.school_id, "data_request_id": request.pk}
    )
    outcome = "has been refused" if request.stage == Stage.REFUSED else "is done"
    body = (
        f"Your data-protection request (number {request.pk}) {outcome}.\n\n"
        f"Sign in to Markbook to read the answer:\n\n{link}\n\n"
        "This message does not say more, so that nothing about anyone's data is sent "
        "by email."
    )
    address = user.email

    def send() -> None:
        try:
            send_mail(
                subject=f"Your data-protection request {outcome}",
                message=body,
                from_email=None,
                recipient_list=[address],
            )
        except Exception:  # the notice on their home page still tells them
            logger.exception("request %s outcome email not sent", request.pk)

    transaction.on_commit(send)


def requester_outcomes_unseen(user: User) -> list[DataRequest]:
    """The user's own requests done or refused that they have not opened since."""
    return list(
        DataRequest.objects.filter(
            requester_user=user, stage__in=DataRequest.CLOSED, requester_seen_at__isnull=True
        ).order_by("closed_at", "pk")
    )
