"""The engines that carry out approved requests (DSR-2, DSR-4, DSR-5, DSR-9), registered
with the handler registry when the app is ready.

- access, portability and a parent's educational-record request: the privacy app's
  export of everything held about the person (an encrypted zip with a download
  window), made for the requester (or, for a request the school recorded, the data
  protection lead who approved it) to download;
- restriction and objection: a restriction placed, answering the request;
- erasure: the privacy app's erasure, as the data protection lead approved it after
  the impact check (kept with the approval), re-checked right before deleting.

Rectification stays with the data protection lead: what to correct is in the request's
words, and the lead makes each correction on the person's corrections page, naming
the request.

Each handler keeps what it made in the run's checkpoint, so a retry after a failure
picks up the same export or restriction rather than making a second.
"""

from typing import Any

from django.core.exceptions import ValidationError

from markbook.accounts.models import User
from markbook.rights import handlers
from markbook.rights.models import DataRequest

Kind = DataRequest.Kind


def _subject(request: DataRequest) -> dict[str, Any]:
    if request.subject_pupil_id is not None:
        return {"pupil": request.subject_pupil}
    if request.subject_user_id is not None:
        return {"user": request.subject_user}
    raise RuntimeError("The person this request is about is no longer held.")


def _for(request: DataRequest) -> User | None:
    """Who downloads the copy: the requester's own account, else the lead who decided."""
    return request.requester_user or request.decided_by


def export(run: handlers.Run) -> dict[str, Any]:
    """A copy of everything held about the person (DSR-2), built here in the request's
    run; a retry resumes the same export (DSR-9)."""
    from markbook.privacy.export.services import export_run, export_start
    from markbook.privacy.models import ExportArchive

    request = run.request
    archive_id = run.checkpoint.get("export")
    if archive_id is None:
        made = export_start(
            school=request.school,
            requested_by=_for(request),
            request_id=request.pk,
            enqueue=False,
            **_subject(request),
        )
        archive_id = made.pk
        run.keep(export=archive_id)
    run.progress(0, 1, "preparing the copy")
    item = export_run(archive_id)
    if item.state != ExportArchive.State.READY:
        raise RuntimeError(item.error or "The copy could not be prepared.")
    run.progress(1, 1, "copy ready")
    return {
        "export": item.pk,
        "expires_at": item.expires_at.isoformat() if item.expires_at else None,
    }


def restrict(run: handlers.Run) -> dict[str, Any]:
    """Restrict processing, or record the objection (DSR-5), answering the request."""
    from markbook.privacy.models import Restriction
    from markbook.privacy.services import restriction_place

    request = run.request
    kind = "objection" if request.kind == Kind.OBJECTION else "restriction"
    subject = _subject(request)
    # One restriction is in force per person: one placed before (by this request's
    # earlier attempt, or on the lead's own decision) already answers it.
    existing = Restriction.objects.filter(lifted_at__isnull=True, **subject).first()
    if existing is None:
        existing = restriction_place(
            school=request.school,
            subject=subject.get("pupil") or subject["user"],
            kind=kind,
            reason=(request.details or "").strip()[:2000] or "At the person's request.",
            by=request.decided_by,
            request_id=request.pk,
        )
    return {"restriction": existing.pk, **_services(_person(request))}


def _services(person: Any) -> dict[str, Any]:
    """The names and ids of the register's services that received the person's data,
    to tell of the change (DSR-10)."""
    from markbook.privacy.selectors import passed_on_services
    from markbook.rights.passing_on import service_names_ids

    return service_names_ids(passed_on_services(person))


def _person(request: DataRequest) -> Any:
    subject = _subject(request)
    return subject.get("pupil") or subject["user"]


def erasure_prepare(request: DataRequest) -> dict[str, Any]:
    """The impact check the lead approves (DSR-4): what goes, what stays and why, kept
    with the approval. A legal hold, or anything else that stops the erasure now,
    refuses the approval with its reason and nothing changed (RET-3)."""
    from markbook.privacy.erasure import erasure_impact

    plan = erasure_impact(school=request.school, subject=_person(request))
    if not plan.eligible:
        raise ValidationError({"stage": [" ".join(plan.refusals)]})
    return {"plan": plan.as_dict()}


def erase(run: handlers.Run) -> dict[str, Any]:
    """Erase the person as the approved impact check says (DSR-4), re-checked right
    before deleting: a legal hold placed since, or new data since the approval, fails
    the run with the reason and nothing erased. Retrying after such a failure is the
    lead's decision on the impact as it is then, so the failed check is forgotten."""
    from markbook.privacy.erasure import ErasureRefused, erasure_execute, erasure_impact

    request = run.request
    if request.subject_pupil_id is None and request.subject_user_id is None:
        # Already erased by an earlier attempt (the links are cleared with the person).
        return dict(run.checkpoint.get("outcome") or {"erased": True})
    person = _person(request)
    plan = run.checkpoint.get("plan")
    if plan is None:
        plan = erasure_impact(school=request.school, subject=person).as_dict()
    # The register's services that received their data, to be told (DSR-10): named
    # before the person is gone.
    services = _services(person)
    try:
        outcome = erasure_execute(
            school=request.school, subject=person, approved_plan=plan, by=request.decided_by
        )
    except ErasureRefused:
        run.keep(plan=None)
        raise
    return {
        "erased": outcome.pseudonym,
        "rows_deleted": outcome.rows_deleted,
        "rows_changed": outcome.rows_changed,
        "log_events_redacted": outcome.log_events_redacted,
        **services,
    }


def register_all() -> None:
    for kind in (Kind.ACCESS, Kind.PORTABILITY, Kind.EDUCATIONAL_RECORD):
        handlers.register(kind, export)
    for kind in (Kind.RESTRICTION, Kind.OBJECTION):
        handlers.register(kind, restrict)
    handlers.register(Kind.ERASURE, erase)
    handlers.register_preparer(Kind.ERASURE, erasure_prepare)
