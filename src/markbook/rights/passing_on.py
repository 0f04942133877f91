"""Telling the services on the register of a change, and recording when the school
did (DSR-10). A change is a done request (rectification, erasure, restriction or
objection), a restriction, or a person's corrections (the latest one when the service
was told). Each outcome page lists the services that received the person's data, each
"Told on <date>" or with a button to mark it told.

Every function runs inside the school's scope (TEN-4); who may do it is checked by
the views and API before they call these.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.rights.models import NOTE_MAX, DataRequest, ServiceTold

Kind = DataRequest.Kind
# The requests whose outcome is passed on to the services that received the data.
PASSED_ON_KINDS = (Kind.RECTIFICATION, Kind.ERASURE, Kind.RESTRICTION, Kind.OBJECTION)


@dataclass
class ServiceState:
    """One service to tell: its register entry (None once it left the register), its
    name, and when it was told (None while not yet)."""

    service_id: int | None
    name: str
    told_at: datetime | None
    told_by: User | None
    note: str
    # Where the "Mark as told" button posts (set by the page showing it).
    url: str = ""


def _change(*, request: DataRequest | None, restriction: Any, correction: Any) -> dict[str, Any]:
    given = {
        k: v
        for k, v in (("request", request), ("restriction", restriction), ("correction", correction))
        if v is not None
    }
    if len(given) != 1:
        raise ValidationError(
            {"change": ["Name one change: a request, a restriction or a correction."]}
        )
    return given


def request_services(data_request: DataRequest) -> list[Any]:
    """The register's entries the request's outcome is passed on to: those named when
    it was done (by id; by name for requests done before ids were kept)."""
    from markbook.consent.models import ServiceEntry

    result = data_request.result or {}
    if data_request.stage != DataRequest.Stage.DONE or data_request.kind not in PASSED_ON_KINDS:
        return []
    ids = result.get("service_ids")
    if ids is not None:
        found = {e.pk: e for e in ServiceEntry.objects.filter(pk__in=ids)}
        return [found[i] for i in ids if i in found]
    names = result.get("services") or []
    by_name = {e.name: e for e in ServiceEntry.objects.filter(name__in=names)}
    return [by_name[n] for n in names if n in by_name]


def states(services: list[Any], **change: Any) -> list[ServiceState]:
    """Each service with when it was told of this change, if it was."""
    change = {k: v for k, v in change.items() if v is not None}
    told = (
        {t.service_id: t for t in ServiceTold.objects.filter(**change).select_related("told_by")}
        if change
        else {}
    )
    shown = []
    for service in services:
        t = told.get(service.pk)
        shown.append(
            ServiceState(
                service_id=service.pk,
                name=str(service),
                told_at=t.told_at if t else None,
                told_by=t.told_by if t else None,
                note=t.note if t else "",
            )
        )
    return shown


def requests_not_told(requests: list[DataRequest]) -> set[int]:
    """The ids of done requests among these whose services are not all told yet."""
    candidates = [
        r
        for r in requests
        if r.stage == DataRequest.Stage.DONE
        and r.kind in PASSED_ON_KINDS
        and (r.result or {}).get("services")
    ]
    if not candidates:
        return set()
    told: dict[int, set[int]] = {}
    for request_id, service_id in ServiceTold.objects.filter(
        request__in=[r.pk for r in candidates]
    ).values_list("request_id", "service_id"):
        told.setdefault(request_id, set()).add(service_id)
    waiting = set()
    for r in candidates:
        result = r.result or {}
        expected = result.get("service_ids")
        if expected is None:
            # Requests done before ids were kept: compare by count.
            if len(told.get(r.pk, ())) < len(result.get("services") or []):
                waiting.add(r.pk)
        elif set(expected) - told.get(r.pk, set()):
            waiting.add(r.pk)
    return waiting


@transaction.atomic
def service_told_record(
    *,
    actor: User | None,
    school: Any,
    service: Any,
    request: DataRequest | None = None,
    restriction: Any = None,
    correction: Any = None,
    note: str = "",
) -> ServiceTold:
    """Record that the school told `service` of the change (DSR-10). Marking a service
    told twice keeps the first record and changes nothing."""
    change = _change(request=request, restriction=restriction, correction=correction)
    if request is not None and (
        request.stage != DataRequest.Stage.DONE or request.kind not in PASSED_ON_KINDS
    ):
        raise ValidationError(
            {"request": ["Only a done request that changed the person's data is passed on."]}
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [f"The note is too long: at most {NOTE_MAX} characters."]})
    existing = ServiceTold.objects.filter(service=service, **change).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            told = ServiceTold.objects.create(
                school=school,
                service=service,
                service_called=str(service)[:200],
                told_by=actor,
                told_at=timezone.now(),
                note=note,
                **change,
            )
    except IntegrityError:
        return ServiceTold.objects.get(service=service, **change)
    (what,) = change
    audit.record(
        actor=actor,
        school=school,
        action="rights.service.told",
        target=told,
        data={"change": what, what: next(iter(change.values())).pk, "service": service.pk},
    )
    return told


def service_names_ids(services: list[Any]) -> dict[str, Any]:
    """What a done request keeps of the services to tell: names (shown) and ids."""
    ordered = sorted(services, key=str)
    return {"services": [str(s) for s in ordered], "service_ids": [s.pk for s in ordered]}


def latest_correction(subject: Any) -> Any:
    """A person's newest correction: the change their corrections page passes on."""
    from markbook.privacy.models import Correction
    from markbook.rosters.models import Pupil

    who = {"pupil": subject} if isinstance(subject, Pupil) else {"user": subject}
    return Correction.objects.filter(**who).order_by("-corrected_at", "-pk").first()


def service_entry(entry_id: int) -> Any:
    """A service on the school's register, or None (the caller answers 404)."""
    from markbook.consent.models import ServiceEntry

    return ServiceEntry.objects.filter(pk=entry_id).first()


def states_out(rows: list[ServiceState]) -> list[dict[str, Any]]:
    """The API's form of the services to tell (DSR-10)."""
    return [
        {
            "service_id": r.service_id,
            "name": r.name,
            "told": r.told_at is not None,
            "told_at": r.told_at,
            "told_by_id": r.told_by.pk if r.told_by else None,
            "note": r.note,
        }
        for r in rows
    ]
