"""Writes of the privacy app: legal holds (RET-3), erasure by the school's data
protection lead (DSR-4) and the deletions of DSR-7, all through the erasure engine."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.privacy.erasure import (
    ErasureOutcome,
    ErasurePlan,
    ErasureRefused,
    erasure_execute,
    erasure_impact,
    in_school,
)
from markbook.privacy.models import LegalHold
from markbook.rosters.models import Pupil
from markbook.schools.models import School

REASON_MAX = 1000


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: ["Say why: a claim, an inquiry, a request from the police."]})
    if len(reason) > REASON_MAX:
        raise ValidationError({field: [f"At most {REASON_MAX} characters."]})
    return reason


@transaction.atomic
def legal_hold_place(
    *, actor: User | None, school: School, subject: Pupil | User, reason: str
) -> LegalHold:
    """Place a legal hold on a person (RET-3): nothing of theirs is erased while it is
    in place. A person already held gets a second hold, with its own reason."""
    reason = _reason(reason)
    if not in_school(school=school, subject=subject):
        raise ValidationError({"person": ["They are not one of the school's people."]})
    if isinstance(subject, Pupil):
        hold = LegalHold.objects.create(
            school=school, pupil=subject, reason=reason, placed_by=actor
        )
    else:
        pupil = Pupil.objects.filter(user=subject).first()
        hold = LegalHold.objects.create(
            school=school,
            pupil=pupil,
            user=None if pupil else subject,
            reason=reason,
            placed_by=actor,
        )
    audit.record(
        actor=actor,
        school=school,
        action="privacy.hold.placed",
        target=hold.pupil or hold.user,
        data={"hold": hold.pk, "reason": reason},
    )
    return hold


@transaction.atomic
def legal_hold_lift(*, actor: User | None, hold: LegalHold, reason: str) -> LegalHold:
    """Lift a hold (RET-3), with the reason; lifting a lifted hold is refused."""
    reason = _reason(reason, "lift_reason")
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise ValidationError({"lift_reason": ["This hold was already lifted."]})
    hold.lifted_at, hold.lifted_by, hold.lift_reason = timezone.now(), actor, reason
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    audit.record(
        actor=actor,
        school=hold.school_id,
        action="privacy.hold.lifted",
        target=hold.pupil or hold.user,
        data={"hold": hold.pk, "reason": reason},
    )
    return hold


def erasure_impact_read(*, actor: User, school: School, subject: Pupil | User) -> ErasurePlan:
    """The impact check, recorded as a read of the person's data (SEC-1)."""
    plan = erasure_impact(school=school, subject=subject)
    audit.record(
        actor=actor,
        school=school,
        action="privacy.erasure.checked",
        target=subject,
        data={"eligible": plan.eligible},
    )
    return plan


def person_erase(
    *,
    actor: User | None,
    school: School,
    subject: Pupil | User,
    fingerprint: str,
) -> ErasureOutcome:
    """Erase a person as the impact check the actor confirmed said (its fingerprint):
    the DPO's erasure and the deletions of DSR-7 alike. ErasureRefused when it may not
    run or the data changed since; nothing is changed then."""
    if not fingerprint:
        raise ErasureRefused("Check what the erasure will do first, then confirm it.")
    plan: dict[str, Any] = {"fingerprint": fingerprint}
    return erasure_execute(school=school, subject=subject, approved_plan=plan, by=actor)
