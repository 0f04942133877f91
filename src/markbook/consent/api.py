"""API: the service register, consent purposes and parents' consent (CON-1 to CON-4).

Thin, like the pages, and through the same services: check the role, fetch through
access, call one service or selector. Wrong role or invisible object: 404.
"""

import datetime
from typing import Any, Literal

from django.http import Http404
from ninja import Field, Router, Schema, Status

from markbook.admission import STAFF, AccessRequest, require_role, school_of
from markbook.consent import selectors, services
from markbook.consent.access import (
    KEEPERS,
    access_child,
    access_class_pupil,
    access_consent_class,
    access_entry,
    access_purpose,
    access_target,
    require_keeper,
)
from markbook.consent.models import ServiceEntry
from markbook.core.api import InputSchema, responses
from markbook.rosters import selectors as roster_selectors

router = Router(tags=["consent"])

C = "/schools/{school_id}/consent"

Type = Literal["free", "purchased", "government", "external"]
Section = Literal["pupils", "management", "other"]
RiskStatus = Literal["approved", "awaiting", "not_approved"]


class ServiceOut(Schema):
    id: int
    builtin: bool
    name: str
    provider: str
    website: str
    purpose: str
    data_shared: list[str]
    data_detail: str
    service_type: str
    year_groups: list[str]
    section: str
    risk_assessed_on: datetime.date | None
    risk_status: str
    consent_needed: bool
    offline_alternative: str
    version: int


class ServiceIn(InputSchema):
    name: str = Field(max_length=200)
    provider: str = Field(max_length=200)
    website: str = Field("", max_length=200)
    purpose: str = Field("", max_length=2000)
    data_shared: list[str] = Field(default_factory=list, max_length=20)
    data_detail: str = Field("", max_length=2000)
    service_type: Type = "free"
    year_groups: list[str] = Field(default_factory=list, max_length=20)
    section: Section = "pupils"
    risk_assessed_on: datetime.date | None = None
    risk_status: RiskStatus = "awaiting"
    consent_needed: bool = False
    offline_alternative: str = Field("", max_length=2000)


class ServicePatch(InputSchema):
    name: str | None = Field(None, max_length=200)
    provider: str | None = Field(None, max_length=200)
    website: str | None = Field(None, max_length=200)
    purpose: str | None = Field(None, max_length=2000)
    data_shared: list[str] | None = Field(None, max_length=20)
    data_detail: str | None = Field(None, max_length=2000)
    service_type: Type | None = None
    year_groups: list[str] | None = Field(None, max_length=20)
    section: Section | None = None
    risk_assessed_on: datetime.date | None = None
    risk_status: RiskStatus | None = None
    consent_needed: bool | None = None
    offline_alternative: str | None = Field(None, max_length=2000)


class ImpactOut(Schema):
    decisions: int
    children: int
    versions: int


class PurposeOut(Schema):
    id: int
    key: str
    name: str
    description: str
    builtin: bool
    active: bool
    version: int


class PurposeIn(InputSchema):
    name: str = Field(max_length=200)
    description: str = Field(max_length=2000)
    active: bool = True


class PurposePatch(InputSchema):
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    active: bool | None = None


class CountOut(Schema):
    kind: str
    id: int
    name: str
    version: int
    consented: int
    refused: int
    not_answered: int


class PublicationOut(Schema):
    services: list[ServiceOut]
    consent: list[CountOut]


class PupilConsentOut(Schema):
    pupil_id: int
    name: str
    answer: str | None = Field(description="given, refused, or null: not answered.")
    asked: bool = Field(description="False when the service is not for the pupil's year group.")
    offline_alternative: str = Field(description="For a pupil without consent.")


class ClassConsentOut(Schema):
    target: str
    name: str
    pupils: list[PupilConsentOut]


class ChildTargetOut(Schema):
    target: str = Field(description="service-<id> or purpose-<id>.")
    name: str
    description: str
    version: int
    answer: str | None


class ChildOut(Schema):
    pupil_id: int
    name: str
    consent: list[ChildTargetOut]


class DecisionIn(InputSchema):
    answer: Literal["given", "refused"]


def _service(shown: selectors.Shown) -> dict[str, Any]:
    e = shown.entry
    return {
        **{name: getattr(e, name) for name in ServiceOut.model_fields if hasattr(e, name)},
        "purpose": shown.purpose,
        "data_shared": shown.data_shared,
    }


def _shown(entry: ServiceEntry) -> dict[str, Any]:
    return _service(next(s for s in selectors.register_shown() if s.entry.pk == entry.pk))


def _set_up(request: AccessRequest) -> None:
    if not ServiceEntry.objects.filter(builtin=True).exists():
        services.consent_setup(school=school_of(request), actor=request.user)


@router.get(f"{C}/register", response=responses(list[ServiceOut]), summary="The service register")
def register(request: AccessRequest, school_id: int) -> list:
    """Every entry of the school's register of online services, Markbook first (its
    purpose and data from the data inventory)."""
    require_keeper(request)
    _set_up(request)
    return [_service(s) for s in selectors.register_shown()]


@router.post(f"{C}/register", response=responses(ServiceOut, status=201), summary="Add a service")
def service_create(request: AccessRequest, school_id: int, payload: ServiceIn) -> Status:
    require_keeper(request)
    entry = services.service_create(
        actor=request.user, school=school_of(request), **payload.model_dump()
    )
    return Status(201, _shown(entry))


@router.get(
    f"{C}/register/{{entry_id}}/impact",
    response=responses(ImpactOut),
    summary="What removing a service deletes",
)
def service_impact(request: AccessRequest, school_id: int, entry_id: int) -> dict:
    return services.service_delete_impact(access_entry(request, entry_id))


@router.patch(
    f"{C}/register/{{entry_id}}", response=responses(ServiceOut), summary="Change a service"
)
def service_update(
    request: AccessRequest, school_id: int, entry_id: int, payload: ServicePatch
) -> dict:
    """Change what is sent; the rest stays. Changing the name, provider, website,
    purpose or data shared makes a new version: parents are asked again."""
    entry = access_entry(request, entry_id)
    services.service_update(
        actor=request.user, entry=entry, **payload.model_dump(exclude_unset=True)
    )
    return _shown(entry)


@router.delete(
    f"{C}/register/{{entry_id}}", response=responses(None, status=204), summary="Remove a service"
)
def service_delete(request: AccessRequest, school_id: int, entry_id: int) -> Status:
    """Remove a service with its consent records (see its impact first)."""
    services.service_delete(actor=request.user, entry=access_entry(request, entry_id))
    return Status(204, None)


@router.get(f"{C}/purposes", response=responses(list[PurposeOut]), summary="Consent purposes")
def purposes(request: AccessRequest, school_id: int) -> list:
    require_keeper(request)
    _set_up(request)
    return list(selectors.purposes())


@router.post(f"{C}/purposes", response=responses(PurposeOut, status=201), summary="Add a purpose")
def purpose_create(request: AccessRequest, school_id: int, payload: PurposeIn) -> Status:
    require_keeper(request)
    purpose = services.purpose_create(
        actor=request.user, school=school_of(request), **payload.model_dump()
    )
    return Status(201, purpose)


@router.patch(
    f"{C}/purposes/{{purpose_id}}", response=responses(PurposeOut), summary="Change a purpose"
)
def purpose_update(
    request: AccessRequest, school_id: int, purpose_id: int, payload: PurposePatch
) -> Any:
    purpose = access_purpose(request, purpose_id)
    services.purpose_update(
        actor=request.user, purpose=purpose, **payload.model_dump(exclude_unset=True)
    )
    return purpose


@router.delete(
    f"{C}/purposes/{{purpose_id}}", response=responses(None, status=204), summary="Remove a purpose"
)
def purpose_delete(request: AccessRequest, school_id: int, purpose_id: int) -> Status:
    services.purpose_delete(actor=request.user, purpose=access_purpose(request, purpose_id))
    return Status(204, None)


@router.get(f"{C}/published", response=responses(PublicationOut), summary="The published register")
def published(request: AccessRequest, school_id: int) -> dict:
    """The register and, per service and purpose, how many children's parents have
    consented, refused or not answered (no child is named)."""
    _set_up(request)
    return {
        "services": [_service(s) for s in selectors.register_shown()],
        "consent": [
            {
                "kind": c.target.kind,
                "id": c.target.pk,
                "name": c.target.name,
                "version": c.target.version,
                "consented": c.given,
                "refused": c.refused,
                "not_answered": c.unanswered,
            }
            for c in selectors.consent_counts()
        ],
    }


@router.get(
    f"{C}/classes/{{class_id}}/{{target}}",
    response=responses(ClassConsentOut),
    summary="A class's consent for one service or purpose",
)
def class_consent(request: AccessRequest, school_id: int, class_id: int, target: str) -> dict:
    """`target` is service-<id> or purpose-<id> (as the published register lists)."""
    require_role(request, *KEEPERS, *STAFF)
    teaching_class = access_consent_class(request, class_id)
    found = access_target(request, target)
    rows = selectors.class_consent(teaching_class, found)
    roster_selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action="consent.class.viewed",
        target=teaching_class,
        data={"for": found.name, "count": len(rows)},
        via="api",
    )
    return {
        "target": found.slug,
        "name": found.name,
        "pupils": [
            {
                "pupil_id": r.pupil.pk,
                "name": r.pupil.display_name,
                "answer": r.answer,
                "asked": r.applies,
                "offline_alternative": found.offline_alternative if r.without_consent else "",
            }
            for r in rows
        ],
    }


@router.get(f"{C}/children", response=responses(list[ChildOut]), summary="My children's consent")
def children(request: AccessRequest, school_id: int) -> list:
    """A parent's linked children, each with what asks for consent and their answer."""
    require_role(request, "parent")
    _set_up(request)
    kids = roster_selectors.children_of(request.user).order_by("first_name", "pk")
    return [
        {
            "pupil_id": c.pupil.pk,
            "name": c.pupil.display_name,
            "consent": [
                {
                    "target": t.slug,
                    "name": t.name,
                    "description": t.description,
                    "version": t.version,
                    "answer": answer,
                }
                for t, answer in c.rows
            ],
        }
        for c in selectors.children_consent(kids)
    ]


@router.put(
    f"{C}/children/{{pupil_id}}/{{target}}",
    response=responses(ChildTargetOut),
    summary="Give or withdraw consent for a child",
)
def child_decide(
    request: AccessRequest, school_id: int, pupil_id: int, target: str, payload: DecisionIn
) -> dict:
    """A parent's answer for their child, for the current description; answering the
    same again changes nothing."""
    child = access_child(request, pupil_id)
    found = access_target(request, target)
    if not found.applies_to(child):
        raise Http404
    services.consent_decide(
        actor=request.user,
        pupil=child,
        answer=payload.answer,
        service=found.service,
        purpose=found.purpose,
    )
    return {
        "target": found.slug,
        "name": found.name,
        "description": found.description,
        "version": found.version,
        "answer": payload.answer,
    }


class PaperFormIn(InputSchema):
    answer: Literal["given", "refused"]
    parent_name: str = Field(
        max_length=200, description="The parent or carer who signed the paper form."
    )


class PaperFormOut(Schema):
    pupil_id: int
    target: str
    answer: str
    version: int
    changed: bool = Field(description="False when it was already the child's answer.")
    recorded_by_id: int | None
    parent_name: str


@router.put(
    f"{C}/classes/{{class_id}}/{{target}}/pupils/{{pupil_id}}/paper-form",
    response=responses(PaperFormOut),
    summary="Record a parent's signed paper consent form",
)
def class_paper_form(
    request: AccessRequest,
    school_id: int,
    class_id: int,
    target: str,
    pupil_id: int,
    payload: PaperFormIn,
) -> dict:
    """The school received a signed paper form: record its answer for the child, for
    the current version, as recorded from a paper form by the caller (the class's
    teacher or an administrator), with the parent as the form names them (CON-2). The
    same answer again changes nothing (`changed` false)."""
    teaching_class = access_consent_class(request, class_id)
    found = access_target(request, target)
    pupil = access_class_pupil(teaching_class, pupil_id)
    if not found.applies_to(pupil):
        raise Http404
    made = services.consent_record_paper(
        actor=request.user,
        pupil=pupil,
        answer=payload.answer,
        parent_name=payload.parent_name,
        service=found.service,
        purpose=found.purpose,
    )
    return {
        "pupil_id": pupil.pk,
        "target": found.slug,
        "answer": payload.answer,
        "version": found.version,
        "changed": made is not None,
        "recorded_by_id": made.decided_by_id if made else None,
        "parent_name": made.paper_form_from if made else "",
    }
