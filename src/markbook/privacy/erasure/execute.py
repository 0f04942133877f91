"""Carrying out an approved erasure (DSR-4, RET-3): eligibility checked again right
before anything is deleted (a legal hold placed since, data changed since the plan was
approved: refused, nothing changed), then every step of the plan, the log's redaction
and the suppression list, in one transaction: all of it happens, or none."""

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.core.tenancy import all_schools
from markbook.privacy.erasure.logs import log_events_of
from markbook.privacy.erasure.person import Person, person_of
from markbook.privacy.erasure.plan import DELETE, WORKFLOW, ErasurePlan, Step, plan_of
from markbook.privacy.models import Suppression
from markbook.privacy.suppression import digest_of, suppression_add
from markbook.rosters.models import Pupil
from markbook.schools.models import School


class ErasureRefused(Exception):
    """The erasure may not run (now): nothing was changed. The message says why."""


@dataclass
class ErasureOutcome:
    pseudonym: str
    rows_deleted: int
    rows_changed: int
    log_events_redacted: int
    counts: dict[str, int]


def after_step(step: Step) -> None:
    """Called after each step inside the transaction (tests inject a failure here)."""


def _fingerprint(plan: ErasurePlan | dict[str, Any]) -> str:
    return plan.fingerprint if isinstance(plan, ErasurePlan) else str(plan.get("fingerprint", ""))


def _changes(approved: ErasurePlan | dict[str, Any], current: ErasurePlan) -> str:
    """What differs, in words: "marks: 12 then, 13 now"."""
    goes = (
        approved.as_dict()["goes"]
        if isinstance(approved, ErasurePlan)
        else approved.get("goes", [])
    )
    then = {(g["model"], g["action"]): g for g in goes}
    said = []
    for step in current.goes:
        if step.model.startswith(WORKFLOW):
            continue
        old = then.pop((step.model, step.action), None)
        if old is None:
            said.append(f"{step.what}: none then, {step.count} now")
        elif old["count"] != step.count:
            said.append(f"{step.what}: {old['count']} then, {step.count} now")
        elif old.get("latest") != step.latest:
            said.append(f"{step.what}: changed since")
    said += [
        f"{g['what']}: {g['count']} then, none now"
        for g in then.values()
        if not g["model"].startswith(WORKFLOW)
    ]
    return "; ".join(said)


def erasure_execute(
    *,
    school: School,
    subject: Pupil | User,
    approved_plan: ErasurePlan | dict[str, Any],
    by: User | None,
) -> ErasureOutcome:
    """Erase `subject` as `approved_plan` (from erasure_impact) says, if nothing changed
    since: ErasureRefused otherwise, with nothing changed. Runs in the school's scope."""
    from markbook.privacy.erasure.person import in_school

    if not in_school(school=school, subject=subject):
        raise ErasureRefused("They are not one of the school's pupils, staff or parents.")
    with transaction.atomic():
        _lock(subject)
        person = person_of(school=school, subject=subject)
        current = plan_of(person, logs=False)
        if current.refusals:
            raise ErasureRefused(" ".join(current.refusals))
        if _fingerprint(approved_plan) != current.fingerprint:
            changed = _changes(approved_plan, current)
            raise ErasureRefused(
                "Their data changed after the erasure was approved"
                + (f" ({changed})" if changed else "")
                + ": nothing was erased. Check what the erasure will do again and confirm it."
            )
        identifiers = _suppressed_values(person)
        logs = log_events_of(person)
        deleted = changed_rows = 0
        counts: dict[str, int] = {}
        for step in current.goes:
            done = _apply(step)
            counts[f"{step.model} {step.action}"] = done
            if step.action == DELETE:
                deleted += done
            else:
                changed_rows += done
            after_step(step)
        redacted = audit.audit_events_redact(
            data_ids=logs.data_ids,
            actor_ids=logs.actor_ids,
            target_ids=logs.target_ids,
            replacement={"redacted": True, "erased": person.pseudonym},
        )
        for kind, value in identifiers:
            suppression_add(school_id=school.pk, kind=kind, digest=value)
        audit.record(
            actor=by,
            school=school,
            action="privacy.erasure.done",
            data={
                "erased": person.pseudonym,
                "kind": current.subject_kind,
                "rows_deleted": deleted,
                "rows_changed": changed_rows,
                "log_events_redacted": redacted,
                "steps": counts,
            },
        )
    return ErasureOutcome(person.pseudonym, deleted, changed_rows, redacted, counts)


def _lock(subject: Pupil | User) -> None:
    """No other change to the person's own row while the erasure runs (PostgreSQL)."""
    type(subject)._default_manager.select_for_update().filter(pk=subject.pk).first()


def _apply(step: Step) -> int:
    from django.apps import apps

    model = apps.get_model(step.model)
    with all_schools() if step.unscoped else nullcontext():
        rows = model._default_manager.filter(step.filter)
        if step.action == DELETE:
            deleted, by_model = rows.delete()
            return by_model.get(model._meta.label, deleted)
        return rows.update(**step.values)


def _suppressed_values(person: Person) -> list[tuple[str, str]]:
    """The digests the suppression list gets, computed before the rows go."""
    found: list[tuple[str, str]] = []
    emails = {
        e.strip().lower()
        for e in (
            person.pupil.email if person.pupil is not None else "",
            person.user.email if person.user is not None else "",
        )
        if e and e.strip()
    }
    found += [(Suppression.Kind.EMAIL, digest_of(Suppression.Kind.EMAIL, e)) for e in emails]
    pupil = person.pupil
    if pupil is not None:
        upn = pupil.upn_hash or (digest_of(Suppression.Kind.UPN, pupil.upn) if pupil.upn else "")
        if upn:
            found.append((Suppression.Kind.UPN, upn))
        for kind, value in (
            (Suppression.Kind.MIS_ID, pupil.mis_id),
            (Suppression.Kind.ONEROSTER_ID, pupil.oneroster_id),
            (Suppression.Kind.USERNAME, pupil.username),
            (Suppression.Kind.NAME, f"{pupil.first_name} {pupil.last_name}"),
        ):
            if value.strip():
                found.append((kind, digest_of(kind, value)))
    return found
