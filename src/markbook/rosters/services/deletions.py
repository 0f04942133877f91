"""Deletions of DSR-7 beyond one pupil: a member of staff (through the erasure engine),
a class (its enrolments, assignments and marks; the pupils stay) and the whole roster
(every pupil through the erasure engine, and every class). Each has an impact function
saying what and how much goes and what stays, shown before the deletion is confirmed.

Keyword-only, atomic and audited; run inside the request's school scope (TEN-4).
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from markbook.accounts.models import Membership, User
from markbook.assessment.models import Assignment, Mark
from markbook.audit import services as audit
from markbook.audit.models import AuditEvent
from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil, TeachingClass
from markbook.rosters.services.staff import staff_roles_required
from markbook.schools.models import School

SELF_REFUSAL = (
    "You cannot delete your own account here: another administrator must do it, or ask "
    "the data protection lead."
)


# --- A member of staff ---------------------------------------------------------


@dataclass
class StaffImpact:
    plan: Any  # the erasure engine's ErasurePlan
    refusals: list[str]
    classes: int  # classes they teach: the classes stay, without them

    @property
    def eligible(self) -> bool:
        return not self.refusals


def staff_delete_impact(*, actor: User | None, school: School, user: User) -> StaffImpact:
    """What deleting the member of staff `user` removes and keeps (DSR-7, DSR-4), and
    why it may not run: never yourself, never the school's only administrator."""
    from markbook.privacy.erasure import erasure_impact

    staff_roles_required(user)
    plan = erasure_impact(school=school, subject=user)
    refusals = list(plan.refusals)
    if actor is not None and actor.pk == user.pk:
        refusals.insert(0, SELF_REFUSAL)
    classes = ClassTeacher.objects.filter(teacher=user).count()
    return StaffImpact(plan=plan, refusals=refusals, classes=classes)


@transaction.atomic
def staff_delete(*, actor: User | None, school: School, user: User, fingerprint: str = "") -> None:
    """Delete a member of staff completely (DSR-7, DSR-4) through the erasure engine:
    their account (unless it also serves another school or the trust), roles, class
    links and the access log's identifiers of them; the marks and comments they
    entered stay with an anonymised reference. With `fingerprint` (of the impact
    shown), refused if their data changed since. Refused for yourself and for the
    school's only administrator. A ValidationError says why; nothing changes then."""
    from markbook.privacy.erasure import ErasureRefused, erasure_execute

    impact = staff_delete_impact(actor=actor, school=school, user=user)
    if impact.refusals:
        raise ValidationError({"user": impact.refusals})
    if fingerprint and fingerprint != impact.plan.fingerprint:
        raise ValidationError(
            {"user": ["Their records changed since you looked: check what will be removed."]}
        )
    try:
        outcome = erasure_execute(school=school, subject=user, approved_plan=impact.plan, by=actor)
    except ErasureRefused as refused:
        raise ValidationError({"user": [str(refused)]}) from None
    audit.record(
        actor=actor,
        school=school,
        action="rosters.staff.deleted",
        data={"erased": outcome.pseudonym, "records": outcome.rows_deleted},
    )


# --- A class ---------------------------------------------------------------------


@dataclass
class ClassImpact:
    enrolments: int
    teachers: int
    assignments: int
    marks: int

    @property
    def records(self) -> int:
        return self.enrolments + self.teachers + self.assignments + self.marks


def class_delete_impact(*, teaching_class: TeachingClass) -> ClassImpact:
    """What deleting the class removes (DSR-7): its enrolments, teacher links,
    assignments and their marks. Its pupils and teachers stay in the school."""
    return ClassImpact(
        enrolments=Enrolment.objects.filter(teaching_class=teaching_class).count(),
        teachers=ClassTeacher.objects.filter(teaching_class=teaching_class).count(),
        assignments=Assignment.objects.filter(teaching_class=teaching_class).count(),
        marks=Mark.objects.filter(assignment__teaching_class=teaching_class).count(),
    )


# --- The whole roster --------------------------------------------------------------


@dataclass
class RosterImpact:
    pupils: int
    classes: int
    enrolments: int
    assignments: int
    marks: int
    parent_links: int
    staff: int  # staff accounts: not deleted
    holds: list[str] = field(default_factory=list)  # who is under a legal hold, and why

    @property
    def eligible(self) -> bool:
        return not self.holds


def roster_delete_impact(*, school: School) -> RosterImpact:
    """What deleting the whole roster removes (DSR-7): every pupil with all their
    records, every class with its enrolments, assignments and marks; staff accounts
    stay. Refused while any pupil is under a legal hold (RET-3): `holds` names them."""
    from markbook.privacy.models import LegalHold
    from markbook.privacy.selectors import hold_label

    held = (
        LegalHold.objects.filter(lifted_at__isnull=True)
        .filter(Q(pupil__isnull=False) | Q(teaching_class__isnull=False) | Q(whole_school=True))
        .select_related("pupil", "teaching_class")
        .order_by("pupil__last_name", "pupil__first_name", "pk")
    )
    return RosterImpact(
        pupils=Pupil.objects.count(),
        classes=TeachingClass.objects.count(),
        enrolments=Enrolment.objects.count(),
        assignments=Assignment.objects.count(),
        marks=Mark.objects.count(),
        parent_links=GuardianLink.objects.count(),
        staff=Membership.objects.filter(role__in=("teacher", "school_admin"))
        .values("user")
        .distinct()
        .count(),
        holds=[f"{hold_label(hold)}: {hold.reason}" for hold in held],
    )


@dataclass
class RosterOutcome:
    pupils: int
    classes: int
    records: int


# Up to this many pupils the roster is deleted while the administrator waits, in one
# transaction; more are deleted by a background task, in batches, with progress.
ROSTER_INLINE_MAX = 200
ROSTER_BATCH = 50


def _roster_confirmed(*, school: School, confirm_name: str) -> RosterImpact:
    typed = confirm_name.strip()
    if typed != school.name:
        said = f"“{typed[:80]}” is not the school's name" if typed else "Nothing was typed"
        raise ValidationError(
            {"confirm_name": [f"{said}: type {school.name} exactly as it is shown to confirm."]}
        )
    impact = roster_delete_impact(school=school)
    _holds_refuse(impact.holds)
    return impact


def _holds_refuse(holds: list[str]) -> None:
    if holds:
        raise ValidationError(
            {"roster": ["Legal holds keep some pupils' data; lift them first: " + "; ".join(holds)]}
        )


def _pupils_erase(*, actor: User | None, school: School, limit: int | None) -> int:
    """Erase up to `limit` pupils (all without it) through the engine; the rows gone."""
    from markbook.privacy.erasure import ErasureRefused, erasure_execute, erasure_impact

    pupils = Pupil.objects.order_by("pk")
    records = 0
    for pupil in pupils[:limit] if limit else pupils.iterator(chunk_size=200):
        plan = erasure_impact(school=school, subject=pupil)
        try:
            outcome = erasure_execute(school=school, subject=pupil, approved_plan=plan, by=actor)
        except ErasureRefused as refused:
            raise ValidationError({"roster": [f"{pupil.display_name}: {refused}"]}) from None
        records += outcome.rows_deleted
    return records


def _classes_delete(*, actor: User | None, school: School, pupils: int, records: int) -> int:
    classes = TeachingClass.objects.count()
    assignments = Assignment.objects.count()
    records += assignments + classes + ClassTeacher.objects.count()
    TeachingClass.objects.all().delete()
    audit.record(
        actor=actor,
        school=school,
        action="rosters.roster.deleted",
        data={"pupils": pupils, "classes": classes, "records": records},
    )
    return classes


@transaction.atomic
def roster_delete(*, actor: User | None, school: School, confirm_name: str) -> RosterOutcome:
    """Delete the whole roster (DSR-7, DSR-4): every pupil through the erasure engine
    (marks, grades, enrolments, parent links, sign-in accounts, the log's identifiers),
    then every class with its assignments; in one transaction, so a refusal part-way
    leaves everything as it was. Staff accounts stay. `confirm_name` must be the
    school's name exactly. Refused under any legal hold on a pupil (RET-3). For large
    rosters see roster_delete_start (a background task in batches)."""
    impact = _roster_confirmed(school=school, confirm_name=confirm_name)
    records = _pupils_erase(actor=actor, school=school, limit=None)
    classes = _classes_delete(actor=actor, school=school, pupils=impact.pupils, records=records)
    return RosterOutcome(pupils=impact.pupils, classes=classes, records=records)


@dataclass
class RosterProgress:
    total: int  # pupils when the deletion started
    left: int  # pupils not deleted yet

    @property
    def done(self) -> int:
        return max(self.total - self.left, 0)


def roster_delete_progress(*, school: School) -> RosterProgress | None:
    """The background roster deletion under way, if any: started and not finished."""
    started = (
        AuditEvent.objects.filter(school=school, action="rosters.roster.deletion_started")
        .order_by("-seq")
        .first()
    )
    if started is None:
        return None
    finished = AuditEvent.objects.filter(
        school=school, action="rosters.roster.deleted", seq__gt=started.seq
    ).exists()
    if finished:
        return None
    return RosterProgress(total=int(started.data.get("pupils", 0)), left=Pupil.objects.count())


@transaction.atomic
def roster_delete_start(*, actor: User | None, school: School, confirm_name: str) -> int:
    """Start deleting a large roster in the background (DSR-7): checked as
    roster_delete checks; the task (rosters.tasks.run_roster_delete) deletes the pupils
    in batches, each committed, and can be run again to resume. The pupils to delete."""
    from markbook.rosters.tasks import run_roster_delete

    impact = _roster_confirmed(school=school, confirm_name=confirm_name)
    if roster_delete_progress(school=school) is not None:
        raise ValidationError({"roster": ["The roster is being deleted already."]})
    audit.record(
        actor=actor,
        school=school,
        action="rosters.roster.deletion_started",
        data={"pupils": impact.pupils, "classes": impact.classes},
    )
    actor_id = actor.pk if actor is not None else None
    transaction.on_commit(lambda: run_roster_delete.enqueue(school.pk, actor_id))
    return impact.pupils


@transaction.atomic
def roster_delete_batch(*, actor: User | None, school: School, limit: int = ROSTER_BATCH) -> int:
    """One batch of a background roster deletion: up to `limit` pupils; when none are
    left, the classes, and the deletion is recorded done. Refused (nothing in this
    batch changed) if a legal hold was placed meanwhile. The pupils left."""
    progress = roster_delete_progress(school=school)
    if progress is None:
        raise ValidationError({"roster": ["No roster deletion is under way."]})
    _holds_refuse(roster_delete_impact(school=school).holds)
    _pupils_erase(actor=actor, school=school, limit=limit)
    left = Pupil.objects.count()
    if not left:
        _classes_delete(actor=actor, school=school, pupils=progress.total, records=0)
    return left


# --- A pupil asks to delete their own account ---------------------------------------


def pupil_deletion_asked(*, pupil: Pupil) -> Any:
    """The pupil's open own-page request to have their account deleted, if any."""
    from markbook.rights.models import DataRequest

    return (
        DataRequest.objects.filter(
            kind=DataRequest.Kind.ERASURE,
            channel=DataRequest.Channel.OWN_PAGE,
            subject_pupil=pupil,
            stage__in=DataRequest.OPEN,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def pupil_deletion_ask(*, actor: User, pupil: Pupil, details: str = "") -> Any:
    """A pupil cannot delete their own account (DSR-7): asking records an erasure
    request (DSR-8) made by the pupil on their own page, which goes to the teachers
    of their classes (and the data protection lead). Asking again while one is open
    is refused."""
    from markbook.rights.models import DataRequest
    from markbook.rights.services import data_request_create

    if pupil.user_id != actor.pk:
        raise ValidationError({"pupil": ["Only the pupil themself can ask here."]})
    if pupil_deletion_asked(pupil=pupil) is not None:
        raise ValidationError(
            {"pupil": ["You have already asked; a teacher or the school will deal with it."]}
        )
    return data_request_create(
        actor=actor,
        school=pupil.school,
        kind=DataRequest.Kind.ERASURE,
        subject_pupil=pupil,
        requester_kind=DataRequest.Requester.SELF,
        requester_user=actor,
        channel=DataRequest.Channel.OWN_PAGE,
        details=details,
    )


@transaction.atomic
def pupil_delete_requested(
    *, actor: User, pupil: Pupil, data_request: Any, fingerprint: str = ""
) -> None:
    """A teacher deletes a pupil who asked to have their account deleted (DSR-7): the
    deletion (rosters.pupil_delete, the erasure engine) and the request marked done."""
    from markbook.rights.services import data_request_done_by_deletion
    from markbook.rosters.services.pupils import pupil_delete

    if data_request.subject_pupil_id != pupil.pk:
        raise ValidationError({"request": ["That request is about someone else."]})
    pupil_delete(actor=actor, pupil=pupil, fingerprint=fingerprint)
    data_request.refresh_from_db()
    data_request_done_by_deletion(
        actor=actor,
        data_request=data_request,
        note="Their account was deleted, with all their records, by a teacher of theirs.",
    )
