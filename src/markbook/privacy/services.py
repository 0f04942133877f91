"""Writes of the privacy app: restrictions and objections (DSR-5) and corrections made
to answer a request (DSR-3). Keyword-only, atomic, audited; run inside the school's
scope (TEN-4). The notice versions (DSR-10) are written by privacy.notices.

The requests workflow calls `restriction_place`, `restriction_lift` and `rectify` with
the request's id; the pages and the API call them without.
"""

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field, Max
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.privacy.corrections import corrections_record
from markbook.privacy.erasure import (
    ErasureOutcome,
    ErasurePlan,
    ErasureRefused,
    erasure_execute,
    erasure_impact,
    in_school,
)
from markbook.privacy.models import Correction, LegalHold, Restriction
from markbook.rosters.models import Pupil
from markbook.schools.models import School

REASON_MAX = 2000
# The fields of a user's record that can be corrected here (staff and parents alike).
USER_FIELDS = ("first_name", "last_name", "email")


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _invalid(field, "Give the reason: it is kept with the decision.")
    if len(reason) > REASON_MAX:
        raise _invalid(field, f"Keep the reason to {REASON_MAX} characters ({len(reason)} given).")
    return reason


def subject_in_school(school: School, subject: Pupil | User) -> None:
    """Refuse a person who is not the school's (a clear error, nothing written)."""
    if isinstance(subject, Pupil):
        if subject.school_id != school.pk:
            raise _invalid("person", "This pupil is not in this school.")
        return
    if not Membership.objects.filter(school=school, user=subject).exists():
        raise _invalid("person", "This person is not a member of this school.")


@transaction.atomic
def restriction_place(
    *,
    school: School,
    subject: Pupil | User,
    kind: str,
    reason: str,
    by: User | None,
    request_id: int | None = None,
) -> Restriction:
    """Restrict the processing of a person's data, or record their objection to it
    (DSR-5): their data is kept, but left out of analysis, exports to third parties,
    leaderboards and new automated processing (privacy.restriction) until lifted."""
    if kind not in Restriction.Kind.values:
        raise _invalid("kind", f"{kind!r} is not a kind: use restriction or objection.")
    reason = _reason(reason)
    subject_in_school(school, subject)
    pupil = subject if isinstance(subject, Pupil) else None
    user = subject if isinstance(subject, User) else None
    in_force = Restriction.objects.filter(lifted_at__isnull=True)
    if in_force.filter(pupil=pupil, user=user).exists():
        raise _invalid("person", "This person's data is already restricted; lift that first.")
    try:
        with transaction.atomic():
            restriction = Restriction.objects.create(
                school=school,
                pupil=pupil,
                user=user,
                kind=kind,
                reason=reason,
                placed_by=by,
                placed_at=timezone.now(),
                request_id=request_id,
            )
    except IntegrityError:  # placed at the same moment by someone else
        raise _invalid(
            "person", "This person's data is already restricted; lift that first."
        ) from None
    audit.record(
        actor=by,
        school=school,
        action="privacy.restriction.placed",
        target=subject,
        data={"restriction": restriction.pk, "kind": kind, "request": request_id},
    )
    if pupil is not None:  # off every leaderboard at once (ASM-6)
        from markbook.practice.boards import board_pupil_refresh

        board_pupil_refresh(pupil=pupil)
    return restriction


@transaction.atomic
def restriction_lift(
    *, restriction: Restriction, reason: str, by: User | None, request_id: int | None = None
) -> Restriction:
    """Lift a restriction (DSR-5): a recorded decision, with who, when and why. The
    person's data is processed again from now on."""
    reason = _reason(reason)
    locked = Restriction.objects.select_for_update().get(pk=restriction.pk)
    if locked.lifted_at is not None:
        raise _invalid("reason", "This restriction was already lifted.")
    locked.lifted_at, locked.lifted_by, locked.lift_reason = timezone.now(), by, reason
    locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    audit.record(
        actor=by,
        school=locked.school_id,
        action="privacy.restriction.lifted",
        target=locked.pupil if locked.pupil_id else locked.user,
        data={"restriction": locked.pk, "kind": locked.kind, "request": request_id},
    )
    if locked.pupil is not None:  # back on the leaderboards (ASM-6)
        from markbook.practice.boards import board_pupil_refresh

        board_pupil_refresh(pupil=locked.pupil)
    return locked


@transaction.atomic
def rectify(
    *,
    school: School,
    subject: Pupil | User,
    field: str,
    new_value: Any,
    by: User | None,
    request_id: int | None = None,
) -> list[Correction]:
    """Correct one field of a person's record (DSR-3), through the same service as an
    edit (pupil_update, staff_update), so the same rules apply and the correction is
    recorded with its old and new values (encrypted) and the request it answers.
    A value the record already holds is refused: nothing would be corrected."""
    subject_in_school(school, subject)
    last = Correction.objects.aggregate(last=Max("pk"))["last"] or 0
    if isinstance(subject, Pupil):
        from markbook.rosters.services import PUPIL_FIELDS, pupil_update

        if field not in PUPIL_FIELDS:
            raise _invalid("field", f"{field!r} is not a pupil field that can be corrected.")
        pupil_update(actor=by, pupil=subject, request_id=request_id, **{field: new_value})
        made = Correction.objects.filter(pk__gt=last, pupil=subject)
    else:
        if field not in USER_FIELDS:
            raise _invalid(
                "field",
                f"{field!r} is not a field that can be corrected: use {', '.join(USER_FIELDS)}.",
            )
        _user_rectify(
            school=school, user=subject, field=field, value=new_value, by=by, request_id=request_id
        )
        made = Correction.objects.filter(pk__gt=last, user=subject)
    corrections = list(made.order_by("pk"))
    if not corrections:
        raise _invalid("value", "The record already holds this value: nothing to correct.")
    return corrections


def _user_rectify(
    *, school: School, user: User, field: str, value: Any, by: User | None, request_id: int | None
) -> None:
    """A user's name or email: a member of staff's through staff_update; anyone else's
    (a parent) here, with the same checks, audited as a correction."""
    from markbook.rosters.services import staff_update
    from markbook.rosters.services.common import email_validate

    staff = Membership.objects.filter(
        user=user, role__in=(Membership.Role.TEACHER, Membership.Role.SCHOOL_ADMIN)
    ).exists()
    if staff:
        staff_update(actor=by, school=school, user=user, request_id=request_id, **{field: value})
        return
    new = str(value or "").strip()
    if field == "email":
        new = new.lower()
        email_validate(new)
        if User.objects.filter(email__iexact=new).exclude(pk=user.pk).exists():
            raise _invalid("value", f"{new} already belongs to another account.")
    elif not new:
        raise _invalid("value", "This cannot be blank.")
    limit = cast(Field, User._meta.get_field(field)).max_length
    if limit and len(new) > limit:
        raise _invalid("value", f"Keep this to {limit} characters.")
    old = getattr(user, field)
    if old == new:
        return
    setattr(user, field, new)
    fields = [field]
    if field == "email" and user.username == old:
        user.username = new
        fields.append("username")
    user.save(update_fields=fields)
    corrections_record(
        school_id=school.pk,
        label="accounts.User",
        user=user,
        by=by,
        changes={field: (old, new)},
        request_id=request_id,
    )
    audit.record(
        actor=by,
        school=school,
        action="privacy.user.corrected",
        target=user,
        data={field: {"old": old, "new": new}, "request": request_id},
    )


HOLD_REASON_MAX = 1000


def _hold_reason(reason: str, field: str = "reason") -> str:
    """A legal hold's reason (RET-3): what the hold is for."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: ["Say why: a claim, an inquiry, a request from the police."]})
    if len(reason) > HOLD_REASON_MAX:
        raise ValidationError({field: [f"At most {HOLD_REASON_MAX} characters."]})
    return reason


@transaction.atomic
def legal_hold_place(
    *, actor: User | None, school: School, subject: Pupil | User, reason: str
) -> LegalHold:
    """Place a legal hold on a person (RET-3): nothing of theirs is erased while it is
    in place. A person already held gets a second hold, with its own reason."""
    reason = _hold_reason(reason)
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
    reason = _hold_reason(reason, "lift_reason")
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
