"""The erasure impact check (DSR-4): what will go, what stays and why, planned from
the data inventory (every declared model and field, as each declaration says) and the
models that hang off a person's account; and a fingerprint of that data, so that the
erasure can refuse when something changed after the plan was approved."""

import hashlib
import json
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Max, Q

from markbook.core.tenancy import all_schools
from markbook.privacy.erasure.logs import log_events_of
from markbook.privacy.erasure.person import PUPIL, USER, Person
from markbook.privacy.inventory import REGISTRY, Erasure
from markbook.privacy.models import LegalHold

# Declarations the engine does not erase row by row: the log is redacted (logs.py);
# the suppression list is what remembers the erasure.
SPECIAL = {"audit.AuditEvent", "privacy.Suppression"}

DELETE = "delete"
UPDATE = "update"

OTHERS_REASON = "other people's records: they stay, with the reference to this person removed"
LOG_REASON = (
    "the access log is kept for its 365 days to account for what was done (UK GDPR 5(2)); "
    "its entries stay with this person's names, addresses and ids removed, and its "
    "tamper-evident chain still verifies"
)
SHARED_REASON = (
    "the person's sign-in account also serves another school, a trust or Markbook itself; "
    "only this school's data about them goes"
)
UPLOAD_REASON = (
    "an uploaded import file still waiting to run (encrypted) holds the school's roll; "
    "it is removed when the import runs, is cancelled or expires, and the person is not "
    "re-created by it"
)


@dataclass
class Step:
    """One change of the erasure: rows of one model deleted, or fields of them blanked."""

    model: str  # app label and model name
    what: str  # "marks", for people
    action: str  # DELETE or UPDATE
    count: int
    fields: list[str] = field(default_factory=list)  # UPDATE: the fields changed
    about: bool = True  # the rows are about the person (else: others' rows naming them)
    latest: str = ""  # the newest change of these rows, for the fingerprint
    # Found in every school: another's record naming an account that goes (who last
    # changed a mark). Deleting the account blanks those everywhere anyway, and one
    # foreign key alone finds them through its index (DSR-4).
    unscoped: bool = False
    # How to find the rows and what to set: kept out of the stored plan.
    filter: Q = field(default_factory=Q, repr=False, compare=False)
    values: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def describe(self) -> str:
        if self.action == DELETE:
            return f"{self.count} {self.what} deleted"
        return f"{self.count} {self.what}: {', '.join(self.fields)} removed"


@dataclass
class Kept:
    what: str
    count: int
    reason: str


@dataclass
class ErasurePlan:
    subject_kind: str  # "pupil", "staff" or "parent"
    pupil_id: int | None
    user_id: int | None
    pseudonym: str
    goes: list[Step]
    stays: list[Kept]
    refusals: list[str]  # why the erasure may not run now (a legal hold...)
    log_events: int  # access-log entries to redact
    fingerprint: str

    @property
    def eligible(self) -> bool:
        return not self.refusals

    @property
    def rows(self) -> int:
        return sum(s.count for s in self.goes if s.action == DELETE)

    def as_dict(self) -> dict[str, Any]:
        """The plan as stored with an approval and answered by the API (JSON)."""
        data = asdict(self)
        for step in data["goes"]:
            step.pop("filter", None)
            step.pop("values", None)
            step.pop("unscoped", None)
        return data


# Names of records that read better than the model's own on the impact page.
LABELS = {
    "accounts.User": "sign-in accounts",
    "accounts.Membership": "roles in the school",
    "rosters.GuardianLink": "links to parents or carers",
}


def _label(model: type[models.Model]) -> str:
    return LABELS.get(model._meta.label, str(model._meta.verbose_name_plural))


def _latest(model: type[models.Model], rows: models.QuerySet) -> str:
    names = {f.name for f in model._meta.concrete_fields}
    stamps = [n for n in ("updated_at", "created_at", "placed_at", "accepted_at") if n in names]
    if not stamps:
        return ""
    value = rows.aggregate(latest=Max(stamps[0]))["latest"]
    return value.isoformat() if value is not None else ""


def _blank(field_: models.Field) -> Any:
    return None if field_.null else ""


def _rows(model: type[models.Model], where: Q) -> models.QuerySet:
    return model._default_manager.filter(where)


def _steps_for(label: str, person: Person, steps: list[Step], stays: list[Kept]) -> None:
    declaration = REGISTRY[label]
    model = apps.get_model(label)
    refs = person.refs
    subject = declaration.subject.split("__")[0]
    if subject == "self":
        pk = refs.get(label)
        if pk is None:
            return
        if label == USER and person.account_shared:
            stays.append(Kept("their sign-in account", 1, SHARED_REASON))
            return
        rows = _rows(model, Q(pk=pk))
        steps.append(
            Step(
                label,
                _label(model),
                DELETE,
                rows.count(),
                latest=_latest(model, rows),
                filter=Q(pk=pk),
            )
        )
        return
    for name, personal in declaration.personal.items():
        field_ = model._meta.get_field(name)
        if field_.many_to_many or not field_.is_relation or field_.related_model is None:
            continue
        target = field_.related_model._meta.label
        pk = refs.get(target)
        if pk is None:
            continue
        if target == USER and person.account_shared and label not in _tenant_labels():
            continue  # a shared account's rows outside the school are not the school's
        where = Q(**{name: pk})
        about = name == subject
        unscoped = (
            target == USER
            and person.account_goes
            and not about
            and personal.erasure in (Erasure.BLANK, Erasure.PSEUDONYMISE)
        )
        with all_schools() if unscoped else nullcontext():
            rows = _rows(model, where)
            count = rows.count()
            latest = _latest(model, rows) if count else ""
        if not count:
            continue
        if personal.erasure == Erasure.DELETE_ROW:
            steps.append(
                Step(
                    label,
                    _label(model),
                    DELETE,
                    count,
                    about=about,
                    latest=_latest(model, rows),
                    filter=where,
                )
            )
        elif personal.erasure in (Erasure.BLANK, Erasure.PSEUDONYMISE):
            values: dict[str, Any] = {name: None}
            if about:
                values.update(_about_values(model, declaration, name, person, stays, count))
            steps.append(
                Step(
                    label,
                    _label(model),
                    UPDATE,
                    count,
                    fields=[str(model._meta.get_field(n).verbose_name) for n in values],
                    about=about,
                    latest=latest,
                    filter=where,
                    values=values,
                    unscoped=unscoped,
                )
            )
            if not about:
                stays.append(Kept(_label(model), count, OTHERS_REASON))
        else:
            stays.append(
                Kept(f"{_label(model)} ({field_.verbose_name})", count, personal.keep_reason)
            )
    if (
        subject in {f.name for f in model._meta.concrete_fields}
        and not model._meta.get_field(subject).is_relation
    ):
        # A row found by a value of the person's (a registration request's email).
        value = _person_value(person, subject)
        found = declaration.personal.get(subject)
        if value and found is not None:
            personal = found
            where = Q(**{f"{subject}__iexact": value})
            rows = _rows(model, where)
            count = rows.count()
            if count and personal.erasure == Erasure.DELETE_ROW:
                steps.append(
                    Step(
                        label,
                        _label(model),
                        DELETE,
                        count,
                        latest=_latest(model, rows),
                        filter=where,
                    )
                )


def _about_values(
    model: type[models.Model],
    declaration: Any,
    subject: str,
    person: Person,
    stays: list[Kept],
    count: int,
) -> dict[str, Any]:
    """The other personal fields of a row about the person that stays: blanked or
    replaced by the pseudonym, or kept with their reason."""
    values: dict[str, Any] = {}
    for name, personal in declaration.personal.items():
        if name == subject:
            continue
        field_ = model._meta.get_field(name)
        if field_.is_relation or not isinstance(field_, models.Field):
            continue  # handled as its own reference
        if personal.erasure == Erasure.PSEUDONYMISE:
            values[name] = person.pseudonym[: field_.max_length or None]
        elif personal.erasure in (Erasure.BLANK, Erasure.DELETE_ROW):
            values[name] = _blank(field_)
        else:
            stays.append(
                Kept(f"{_label(model)} ({field_.verbose_name})", count, personal.keep_reason)
            )
    return values


def _person_value(person: Person, name: str) -> str:
    for owner in (person.pupil, person.user):
        value = getattr(owner, name, "") if owner is not None else ""
        if isinstance(value, str) and value.strip():
            return value
    return ""


_TENANT: set[str] = set()


def _tenant_labels() -> set[str]:
    if not _TENANT:
        for model in apps.get_models():
            names = {f.name for f in model._meta.concrete_fields}
            if "school" in names:
                _TENANT.add(model._meta.label)
    return _TENANT


def _undeclared_steps(person: Person, steps: list[Step]) -> None:
    """Rows of models outside the inventory hanging off the person's account or pupil
    record (sign-in addresses, linked Google or Microsoft accounts, two-factor keys):
    they go with it, and are counted here so the plan says so."""
    refs = person.refs
    for model in apps.get_models():
        label = model._meta.label
        if label in REGISTRY:
            continue
        for field_ in model._meta.concrete_fields:
            if not field_.is_relation or field_.related_model is None:
                continue
            target = field_.related_model._meta.label
            pk = refs.get(target)
            if pk is None or (target == USER and not person.account_goes):
                continue
            where = Q(**{field_.name: pk})
            count = _rows(model, where).count()
            if not count:
                continue
            on_delete = getattr(field_.remote_field, "on_delete", None)
            if on_delete is models.SET_NULL:
                steps.append(
                    Step(
                        label,
                        _label(model),
                        UPDATE,
                        count,
                        [str(field_.verbose_name)],
                        False,
                        filter=where,
                        values={field_.name: None},
                    )
                )
            else:
                steps.append(Step(label, _label(model), DELETE, count, filter=where))


def _order(steps: list[Step]) -> list[Step]:
    """Updates, then rows about the person, then the pupil and account themselves."""
    rank = {PUPIL: 2, USER: 3}

    def key(step: Step) -> tuple[int, int]:
        own = rank.get(step.model, 1) if step.action == DELETE else 0
        return (own, 0)

    return sorted(steps, key=key)


def holds_on(*, pupil: Any = None, user: Any = None) -> Q:
    """The holds in place that keep a pupil's or an account's data (RET-3): on them, on
    a class they are in or teach, or on the whole school (the school's scope is open)."""
    from markbook.rosters.models import ClassTeacher, Enrolment

    where = Q(whole_school=True)
    if pupil is not None:
        where |= Q(pupil=pupil) | Q(
            teaching_class__in=Enrolment.objects.filter(pupil=pupil).values("teaching_class")
        )
    if user is not None:
        where |= Q(user=user) | Q(
            teaching_class__in=ClassTeacher.objects.filter(teacher=user).values("teaching_class")
        )
    return where & Q(lifted_at__isnull=True)


def _holds(person: Person) -> list[str]:
    held = LegalHold.objects.filter(holds_on(pupil=person.pupil, user=person.user)).select_related(
        "placed_by"
    )
    return [
        f"A legal hold placed on {hold.placed_at:%-d %B %Y} keeps their data: {hold.reason} "
        "Lift the hold first."
        for hold in held
    ]


def _last_admin(person: Person) -> list[str]:
    from markbook.accounts.models import Membership

    user = person.user
    if user is None:
        return []
    admins = Membership.objects.filter(role=Membership.Role.SCHOOL_ADMIN)
    if admins.filter(user=user).exists() and not admins.exclude(user=user).exists():
        return [
            "They are the school's only administrator: make someone else an administrator first."
        ]
    return []


# The request workflow's own records (the request being carried out and its stage
# changes) move on between the approval and the run: not new data about the person.
WORKFLOW = ("rights.",)


def fingerprint_of(steps: list[Step], refusals: list[str]) -> str:
    body = [
        [s.model, s.action, s.fields, s.count, s.latest]
        for s in steps
        if not s.model.startswith(WORKFLOW)
    ]
    return hashlib.sha256(json.dumps([body, len(refusals)]).encode()).hexdigest()


def plan_of(person: Person, *, logs: bool = True) -> ErasurePlan:
    """The plan for erasing `person` now (the school's scope is open); without `logs`,
    the access-log entries are not counted (the erasure finds them once, itself)."""
    steps: list[Step] = []
    stays: list[Kept] = []
    for label in sorted(REGISTRY):
        if label not in SPECIAL:
            _steps_for(label, person, steps, stays)
    _undeclared_steps(person, steps)
    steps = _merge(_order(steps))
    from markbook.rosters.models import ImportJob

    waiting = ImportJob.objects.filter(upload__isnull=False).count()
    if waiting:
        stays.append(Kept("uploaded import files waiting to run", waiting, UPLOAD_REASON))
    logged = log_events_of(person).count if logs else 0
    if logged:
        stays.append(Kept("access-log entries", logged, LOG_REASON))
    refusals = _holds(person) + _last_admin(person)
    return ErasurePlan(
        subject_kind=person.kind,
        pupil_id=person.refs[PUPIL],
        user_id=person.refs[USER],
        pseudonym=person.pseudonym,
        goes=steps,
        stays=stays,
        refusals=refusals,
        log_events=logged,
        fingerprint=fingerprint_of(steps, refusals),
    )


def _merge(steps: list[Step]) -> list[Step]:
    """One step per (model, action, filter) even if two references lead to the rows."""
    seen: set[tuple[str, str, str]] = set()
    merged = []
    for step in steps:
        key = (step.model, step.action, str(step.filter))
        if key not in seen:
            seen.add(key)
            merged.append(step)
    return merged
