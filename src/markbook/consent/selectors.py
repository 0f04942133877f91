"""Reads of the service register and consent (CON-1 to CON-4, DSR-10).

A child's state for a service or purpose is their latest decision for its current
version: an answer to an earlier version no longer counts (the parent is asked again),
and no decision is "not answered". Everything runs in the request's school scope.

`has_consent` and `pupils_with_consent` are the gate of Markbook's own features that
need consent (the global leaderboard: `GLOBAL_LEADERBOARD`): a child without consent,
or a school without the purpose, is off. `services_receiving` is what the outcome of a
rectification, erasure or restriction lists (DSR-10).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from markbook.consent import markbook
from markbook.consent.models import ConsentDecision, ConsentPurpose, ServiceEntry
from markbook.consent.services import GLOBAL_LEADERBOARD
from markbook.rosters.models import Pupil, TeachingClass

__all__ = ["GLOBAL_LEADERBOARD"]

GIVEN = ConsentDecision.Answer.GIVEN
REFUSED = ConsentDecision.Answer.REFUSED


def entries() -> QuerySet[ServiceEntry]:
    """The school's register, Markbook first, by section and name."""
    return ServiceEntry.objects.all()


def purposes(active_only: bool = False) -> QuerySet[ConsentPurpose]:
    found = ConsentPurpose.objects.all()
    return found.filter(active=True) if active_only else found


@dataclass(frozen=True)
class Target:
    """One thing parents are asked about: a service needing consent, or a purpose."""

    kind: str  # "service" or "purpose"
    obj: ServiceEntry | ConsentPurpose

    @property
    def pk(self) -> int:
        return self.obj.pk

    @property
    def name(self) -> str:
        return self.obj.name

    @property
    def version(self) -> int:
        return self.obj.version

    @property
    def description(self) -> str:
        if isinstance(self.obj, ServiceEntry):
            return f"{self.obj.purpose} ({self.obj.provider})"
        return self.obj.description

    @property
    def offline_alternative(self) -> str:
        return self.obj.offline_alternative if isinstance(self.obj, ServiceEntry) else ""

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.obj.pk}"

    @property
    def service(self) -> ServiceEntry | None:
        return self.obj if isinstance(self.obj, ServiceEntry) else None

    @property
    def purpose(self) -> ConsentPurpose | None:
        return self.obj if isinstance(self.obj, ConsentPurpose) else None

    def applies_to(self, pupil: Pupil) -> bool:
        if isinstance(self.obj, ServiceEntry):
            years = self.obj.year_groups
            return not years or pupil.year_group in years
        return True


def consent_targets() -> list[Target]:
    """Services that ask parents (consent needed, not refused by the risk assessment),
    then the active purposes."""
    services = (
        entries().filter(consent_needed=True).exclude(risk_status=ServiceEntry.Status.NOT_APPROVED)
    )
    return [Target("service", s) for s in services] + [
        Target("purpose", p) for p in purposes(active_only=True)
    ]


def target_from_slug(slug: str) -> Target | None:
    """'service-12' or 'purpose-3' to one of the school's consent targets."""
    return next((t for t in consent_targets() if t.slug == slug), None)


def states(
    pupil_ids: Iterable[int], targets: list[Target]
) -> dict[tuple[str, int], dict[int, str]]:
    """Per target (kind, pk): each pupil's current answer ('given', 'refused'); a pupil
    with none is left out (not answered). One query, whatever the number of targets."""
    ids = list(pupil_ids)
    current = {(t.kind, t.pk): t.version for t in targets}
    found: dict[tuple[str, int], dict[int, str]] = {key: {} for key in current}
    if not ids or not targets:
        return found
    services = [t.pk for t in targets if t.kind == "service"]
    purposes_ = [t.pk for t in targets if t.kind == "purpose"]
    decisions = (
        ConsentDecision.objects.filter(pupil_id__in=ids)
        .filter(Q(service_id__in=services) | Q(purpose_id__in=purposes_))
        .order_by("decided_at", "pk")
        .values_list("pupil_id", "service_id", "purpose_id", "version", "answer")
    )
    for pupil_id, service_id, purpose_id, version, answer in decisions:
        key = ("service", service_id) if service_id else ("purpose", purpose_id)
        if current.get(key) == version:
            found[key][pupil_id] = answer  # later decisions overwrite earlier ones
    return found


@dataclass
class Counts:
    target: Target
    given: int = 0
    refused: int = 0
    unanswered: int = 0

    @property
    def total(self) -> int:
        return self.given + self.refused + self.unanswered


def consent_counts(targets: list[Target] | None = None) -> list[Counts]:
    """Per target, among the pupils on roll it applies to: consented, refused, not
    answered (CON-3). Two queries."""
    targets = consent_targets() if targets is None else targets
    pupils = list(Pupil.objects.filter(status=Pupil.Status.ON_ROLL).values_list("pk", "year_group"))
    found = states((pk for pk, _ in pupils), targets)
    counts = []
    for target in targets:
        years = target.obj.year_groups if isinstance(target.obj, ServiceEntry) else []
        answers = found[(target.kind, target.pk)]
        row = Counts(target)
        for pk, year in pupils:
            if years and year not in years:
                continue
            answer = answers.get(pk)
            if answer == GIVEN:
                row.given += 1
            elif answer == REFUSED:
                row.refused += 1
            else:
                row.unanswered += 1
        counts.append(row)
    return counts


@dataclass
class PupilState:
    pupil: Pupil
    answer: str | None
    applies: bool

    @property
    def label(self) -> str:
        if not self.applies:
            return "Not asked (year group)"
        if self.answer == GIVEN:
            return "Consented"
        if self.answer == REFUSED:
            return "Refused"
        return "Not answered"

    @property
    def without_consent(self) -> bool:
        return self.applies and self.answer != GIVEN


def class_consent(teaching_class: TeachingClass, target: Target) -> list[PupilState]:
    """A class's pupils with their answer for one target (CON-2): who consented, who
    refused, who has not answered."""
    pupils = list(
        Pupil.objects.select_related("school")
        .filter(enrolments__teaching_class=teaching_class)
        .order_by("last_name", "first_name", "pk")
        .distinct()
    )
    answers = states((p.pk for p in pupils), [target])[(target.kind, target.pk)]
    return [PupilState(p, answers.get(p.pk), target.applies_to(p)) for p in pupils]


@dataclass(frozen=True)
class PaperForm:
    """A child's current answer as recorded from a paper form (CON-2)."""

    recorded_by: Any
    parent_name: str
    recorded_at: Any


def paper_forms(pupil_ids: Iterable[int], target: Target) -> dict[int, PaperForm]:
    """The pupils whose current answer for the target (its current version) was
    recorded from a paper form: by whom, the parent the form names. One query."""
    field = "service_id" if target.kind == "service" else "purpose_id"
    latest: dict[int, ConsentDecision] = {}
    for d in (
        ConsentDecision.objects.filter(
            pupil_id__in=list(pupil_ids), version=target.version, **{field: target.pk}
        )
        .select_related("decided_by")
        .order_by("decided_at", "pk")
    ):
        latest[d.pupil_id] = d
    return {
        pupil_id: PaperForm(d.decided_by, d.paper_form_from, d.decided_at)
        for pupil_id, d in latest.items()
        if d.paper_form_from
    }


@dataclass
class ChildConsent:
    pupil: Pupil
    rows: list[tuple[Target, str | None]] = field(default_factory=list)
    # The targets (slugs) answered for an earlier description only: asked again.
    asked_again: set[str] = field(default_factory=set)


def _answered_before(pupil_ids: list[int], targets: list[Target]) -> set[tuple[str, int]]:
    """(target slug, pupil id) of answers given to an earlier version (one query)."""
    current = {(t.kind, t.pk): t for t in targets}
    rows = ConsentDecision.objects.filter(pupil_id__in=pupil_ids).values_list(
        "pupil_id", "service_id", "purpose_id", "version"
    )
    found = set()
    for pupil_id, service_id, purpose_id, version in rows:
        target = current.get(("service", service_id) if service_id else ("purpose", purpose_id))
        if target is not None and version < target.version:
            found.add((target.slug, pupil_id))
    return found


def children_consent(children: Iterable[Pupil]) -> list[ChildConsent]:
    """A parent's page: each child's targets that apply to them, with the answer, and
    which were answered for an earlier description (asked again, CON-2)."""
    kids = list(children)
    targets = consent_targets()
    found = states((c.pk for c in kids), targets)
    before = _answered_before([c.pk for c in kids], targets)
    return [
        ChildConsent(
            child,
            [(t, found[(t.kind, t.pk)].get(child.pk)) for t in targets if t.applies_to(child)],
            {
                t.slug
                for t in targets
                if (t.slug, child.pk) in before and found[(t.kind, t.pk)].get(child.pk) is None
            },
        )
        for child in kids
    ]


def decisions_of(pupil: Pupil) -> QuerySet[ConsentDecision]:
    """Every decision recorded for a child, oldest first, with who made it."""
    return ConsentDecision.objects.filter(pupil=pupil).select_related(
        "decided_by", "service", "purpose"
    )


def _latest_answer(key: str) -> Subquery:
    return Subquery(
        ConsentDecision.objects.filter(
            pupil=OuterRef("pk"), purpose__key=key, version=OuterRef("_consent_version")
        )
        .order_by("-decided_at", "-pk")
        .values("answer")[:1]
    )


def pupils_with_consent(pupils: QuerySet[Pupil], key: str) -> QuerySet[Pupil]:
    """The pupils of a queryset whose parents consented to purpose `key` (its current
    version, purpose active); the gate of Markbook's consent-needing features, in one
    query (CON-2)."""
    version = Subquery(
        ConsentPurpose.objects.filter(key=key, active=True, school=OuterRef("school_id")).values(
            "version"
        )[:1]
    )
    return (
        pupils.annotate(_consent_version=version)
        .annotate(_consent_answer=_latest_answer(key))
        .filter(_consent_answer=GIVEN)
    )


def has_consent(pupil: Pupil, key: str) -> bool:
    """Whether a child's parents consented to purpose `key` (off without consent)."""
    return pupils_with_consent(Pupil.objects.filter(pk=pupil.pk), key).exists()


def services_receiving(pupil: Pupil) -> list[ServiceEntry]:
    """The approved register entries that received this child's data (DSR-10): data
    shared, the child's year group, and, where consent is needed, consent given for the
    current version. Markbook itself is not: it made the change."""
    found = entries().filter(risk_status=ServiceEntry.Status.APPROVED, builtin=False)
    needing = [e for e in found if e.consent_needed]
    answers = states([pupil.pk], [Target("service", e) for e in needing])
    receiving = []
    for entry in found:
        shared = bool(entry.data_shared) or bool(entry.data_detail)
        in_year = not entry.year_groups or pupil.year_group in entry.year_groups
        consented = (
            not entry.consent_needed or answers[("service", entry.pk)].get(pupil.pk) == GIVEN
        )
        if shared and in_year and consented:
            receiving.append(entry)
    return receiving


@dataclass(frozen=True)
class Shown:
    """An entry as the register shows it: Markbook's purpose and data from the inventory."""

    entry: ServiceEntry
    purpose: str
    data_shared: list[str]
    uses: list[markbook.CategoryUse]


def register_shown() -> list[Shown]:
    profile = markbook.profile()
    return [
        Shown(e, profile.purpose, profile.categories, profile.uses)
        if e.builtin
        else Shown(e, e.purpose, list(e.data_shared), [])
        for e in entries()
    ]


@dataclass(frozen=True)
class SelfRegistered:
    """A pupil who registered on their own, confirming their parent or carer agrees
    (ACC-4), with no parent's answer recorded yet (CON-2)."""

    pupil: Pupil
    agreed_at: Any
    parent_linked: bool


def self_registered_without_parent_answer() -> list[SelfRegistered]:
    """Pupils whose approved self-registration recorded the pupil's word that a parent
    or carer agrees, and for whom no parent has answered yet (on their own page or a
    paper form): for the school to follow up with the family. A few queries."""
    from markbook.accounts.models import RegistrationRequest
    from markbook.rosters.models import GuardianLink

    agreed = dict(
        RegistrationRequest.objects.filter(
            role=RegistrationRequest.Role.PUPIL,
            status=RegistrationRequest.Status.APPROVED,
            parental_consent_at__isnull=False,
            user__isnull=False,
        ).values_list("user_id", "parental_consent_at")
    )
    if not agreed:
        return []
    answered = ConsentDecision.objects.values("pupil_id")
    pupils = list(
        Pupil.objects.select_related("school")
        .filter(user_id__in=list(agreed), status=Pupil.Status.ON_ROLL)
        .exclude(pk__in=answered)
        .order_by("last_name", "first_name", "pk")
    )
    linked = set(GuardianLink.objects.filter(pupil__in=pupils).values_list("pupil_id", flat=True))
    return [SelfRegistered(p, agreed.get(p.user_id or 0), p.pk in linked) for p in pupils]
