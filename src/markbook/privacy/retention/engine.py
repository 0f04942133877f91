"""The retention engine (RET-1, RET-3, RET-4): what is due at a school, and the run
that deletes it.

`retention_plan` is the dry run: for each rule of RET-1, who and how much is due at
the school now (with its shorter periods, RET-2), and what a legal hold keeps (RET-3).
`retention_run` carries the plan out: every pupil and account through the erasure
engine (`erasure_impact`, `erasure_execute`: other people's records are kept, the log
redacted, the suppression list filled), never a second deletion path; the log rule
through `logs.log_addresses_redact`; contract records deleted. It records its
progress in a `RetentionRun` row as it goes and the counts per category in the school's
access log (never what the data was). It is idempotent: what it deleted is no longer
due, so a second run finds nothing more. Both run inside the school's scope (TEN-4).

A run may be killed at any moment (the machine restarts, cron's process is killed): each
person's erasure and the run's counts and progress are saved in one transaction, so a
person is erased wholly or not at all and the run's row always says what it erased. A
run that has not saved progress for STALE is taken for dead by the next run, which marks
it failed, writes the counts it had saved to the access log (`privacy.retention.stopped`)
and carries out whatever is still due (tests/core/test_worker_killed.py kills one).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.privacy.erasure import (
    ErasureOutcome,
    ErasurePlan,
    ErasureRefused,
    erasure_execute,
    erasure_impact,
)
from markbook.privacy.models import LegalHold, RetentionOverride, RetentionRun, RetentionWarning
from markbook.privacy.retention import rules as R
from markbook.privacy.retention.lifecycle import subscription_ended_on
from markbook.privacy.retention.logs import log_addresses_redact
from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil
from markbook.schools.models import School, TermsAcceptance

logger = logging.getLogger(__name__)

# A run that has not saved progress for this long has died (its process ended).
STALE = timedelta(minutes=15)
NONE_HELD = "Markbook holds none"

Subject = Pupil | User


class RetentionBusy(Exception):
    """Another run is deleting at this school now; the message says since when."""


@dataclass
class Held:
    """What the legal holds in place keep (RET-3), as ids (the school's scope is open)."""

    whole_school: bool
    pupil_ids: set[int]
    user_ids: set[int]

    def keeps(self, subject: Subject) -> bool:
        if self.whole_school:
            return True
        if isinstance(subject, Pupil):
            return subject.pk in self.pupil_ids
        return subject.pk in self.user_ids


def held_now() -> Held:
    """Who the school's holds keep: held people, the pupils and teachers of held
    classes, and a held pupil's account; everyone under a whole-school hold."""
    holds = LegalHold.objects.filter(lifted_at__isnull=True)
    classes = holds.filter(teaching_class__isnull=False).values("teaching_class")
    pupil_ids = set(holds.filter(pupil__isnull=False).values_list("pupil_id", flat=True))
    pupil_ids |= set(
        Enrolment.objects.filter(teaching_class__in=classes).values_list("pupil_id", flat=True)
    )
    user_ids = set(holds.filter(user__isnull=False).values_list("user_id", flat=True))
    user_ids |= set(
        ClassTeacher.objects.filter(teaching_class__in=classes).values_list("teacher_id", flat=True)
    )
    user_ids |= {
        u
        for u in Pupil.objects.filter(pk__in=pupil_ids).values_list("user_id", flat=True)
        if u is not None
    }
    return Held(holds.filter(whole_school=True).exists(), pupil_ids, user_ids)


@dataclass
class CategoryDue:
    """One rule at one school now: its period, who and how much is due, what is held."""

    rule: R.RetentionRule
    days: int | None = None  # the school's shorter period, if it set one
    cutoff: date | None = None  # data whose trigger fell on or before this day is due
    people: list[Subject] = field(default_factory=list)
    held: list[Subject] = field(default_factory=list)
    rows: int = 0  # rows due that are not people (log entries, contract records)
    rows_held: int = 0
    note: str = ""  # why nothing can be due: "Markbook holds none", no end date

    @property
    def key(self) -> str:
        return self.rule.key

    @property
    def count(self) -> int:
        return len(self.people) + self.rows

    @property
    def held_count(self) -> int:
        return len(self.held) + self.rows_held

    @property
    def period_text(self) -> str:
        if self.rule.period is None:
            return ""
        period = R.Period(days=self.days) if self.days else None
        return self.rule.period_text(period)


@dataclass
class RetentionPlan:
    """The dry run (RET-4): what a run would delete now, per category."""

    school: School
    now: datetime
    categories: dict[str, CategoryDue]
    # Accounts to be deleted soon for not being signed in to: (account, day it goes).
    warnings: list[tuple[User, date]] = field(default_factory=list)
    # The school's subscription ended longer ago than it is kept: all its data is due.
    school_due: bool = False

    def counts(self) -> dict[str, int]:
        return {key: c.count for key, c in self.categories.items()}

    def held_counts(self) -> dict[str, int]:
        return {key: c.held_count for key, c in self.categories.items() if c.held_count}

    @property
    def people(self) -> list[tuple[str, Subject]]:
        return [(key, s) for key, c in self.categories.items() for s in c.people]


def overrides() -> dict[str, int]:
    """The school's shorter periods in days, by rule (RET-2); the scope is open."""
    return dict(RetentionOverride.objects.values_list("key", "days"))


def _start_of_day_after(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _members() -> "list[User]":
    """The school's accounts that are not pupils' (a pupil's goes with the pupil):
    staff, data protection leads and parents."""
    member_ids = set(Membership.objects.values_list("user_id", flat=True))
    member_ids |= set(GuardianLink.objects.values_list("parent_id", flat=True))
    pupils = set(Pupil.objects.filter(user__isnull=False).values_list("user_id", flat=True))
    return list(
        User.objects.filter(pk__in=member_ids - pupils)
        .exclude(is_superuser=True)
        .exclude(is_platform_staff=True)
        .annotate(last_seen=Coalesce("last_login", "date_joined"))
        .order_by("last_name", "first_name", "pk")
    )


def retention_plan(*, school: School, now: datetime | None = None) -> RetentionPlan:
    """What is due at `school` now, rule by rule (RET-1), with its shorter periods
    (RET-2) and what its legal holds keep (RET-3). Nothing is changed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    shorter = overrides()
    held = held_now()
    cats: dict[str, CategoryDue] = {}
    for key, rule in R.RULES.items():
        days = shorter.get(key) if rule.schools_shorten else None
        cats[key] = CategoryDue(rule=rule, days=days, cutoff=R.cutoff(rule, today, days))
        if not rule.held:
            cats[key].note = NONE_HELD
    # A person due under several rules is counted under the first: the school's end,
    # then pupils who left, then accounts not used.
    seen: set[tuple[str, int]] = set()

    def add(key: str, subjects: list[Subject]) -> None:
        for subject in subjects:
            ref = (type(subject).__name__, subject.pk)
            if ref in seen:
                continue
            seen.add(ref)
            (cats[key].held if held.keeps(subject) else cats[key].people).append(subject)

    members = _members()
    ended = subscription_ended_on(school)
    school_due = False
    sub = cats[R.SUBSCRIPTION_ENDED]
    if ended is None:
        sub.note = "The school's subscription has not ended."
    elif sub.cutoff is not None and ended <= sub.cutoff:
        school_due = school.deleted_at is None
        add(R.SUBSCRIPTION_ENDED, [*Pupil.objects.select_related("school"), *members])
    left = cats[R.PUPILS_LEFT]
    add(
        R.PUPILS_LEFT,
        list(
            Pupil.objects.select_related("school").filter(
                status=Pupil.Status.LEFT, left_on__isnull=False, left_on__lte=left.cutoff
            )
        ),
    )
    inactive = cats[R.INACTIVE_ACCOUNTS]
    assert inactive.cutoff is not None
    before = _start_of_day_after(inactive.cutoff)
    add(R.INACTIVE_ACCOUNTS, [u for u in members if u.last_seen < before])  # type: ignore[attr-defined]
    warn_until = before + timedelta(days=inactive.rule.warn_days)
    warnings = []
    for user in members:
        seen_at = user.last_seen  # type: ignore[attr-defined]
        if before <= seen_at < warn_until and not held.keeps(user):
            days_left = (timezone.localdate(seen_at) - inactive.cutoff).days
            warnings.append((user, today + timedelta(days=days_left)))

    logs = cats[R.LOGS]
    assert logs.cutoff is not None
    found = log_addresses_redact(
        school_id=school.pk, before=_start_of_day_after(logs.cutoff), dry_run=True
    )
    if held.whole_school:
        logs.rows_held = found.due
    else:
        logs.rows = found.due
    contracts = cats[R.CONTRACTS]
    if ended is None:
        contracts.note = "The school's contract has not ended."
    elif contracts.cutoff is not None and ended <= contracts.cutoff:
        terms = TermsAcceptance.objects.count()
        if held.whole_school:
            contracts.rows_held = terms
        else:
            contracts.rows = terms
    return RetentionPlan(school, now, cats, warnings, school_due)


# --- The run ---------------------------------------------------------------------


def _tick(run: RetentionRun, done: int | None = None) -> None:
    run.progress_done = run.progress_total if done is None else done
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["progress_done", "heartbeat_at", "counts"])


def _impact(school: School, subject: Subject) -> ErasurePlan | str:
    """The erasure engine's plan for one person (it only reads); the reason if there
    is nothing to erase or it refuses."""
    if not type(subject)._default_manager.filter(pk=subject.pk).exists():
        return "already gone"  # went with someone erased before them (a pupil's account)
    try:
        plan = erasure_impact(school=school, subject=subject)
    except ErasureRefused:
        return "refused"
    return "refused" if plan.refusals else plan


def _erase(school: School, subject: Subject, plan: ErasurePlan | str) -> ErasureOutcome | str:
    """Erase one person as `plan` says, through the erasure engine (which checks it
    again); the reason if there is nothing to erase or it refuses."""
    if isinstance(plan, str):
        return plan
    try:
        return erasure_execute(school=school, subject=subject, approved_plan=plan, by=None)
    except ErasureRefused:
        return "refused"


STOPPED = "It stopped responding before it finished."


def _log_counts(school: School, run: RetentionRun, action: str) -> None:
    """The run's counts, never what the data was, in the school's access log: when it
    finished (`privacy.retention.run`) or stopped before (`privacy.retention.stopped`,
    what it had deleted by then). Nothing when it deleted and warned of nothing."""
    counts = {key: int(run.counts.get(key, 0)) for key in R.RULES}
    rows_deleted = int(run.counts.get("rows_deleted", 0))
    refused = run.counts.get("refused", {})
    warned = int(run.counts.get("warned", 0))
    if not (rows_deleted or any(counts.values()) or warned):
        return
    audit.record(
        actor=None,
        # A deleted school's log went with it: its contract records' end is recorded
        # in the platform's.
        school=None if school.deleted_at else school,
        action=action,
        data={
            "deleted": counts,
            "rows_deleted": rows_deleted,
            "held": run.held,
            "refused": refused,
            "warned": warned,
        },
    )


def _stopped(
    school: School, run: RetentionRun, error: str, *, stale_before: datetime | None
) -> bool:
    """Mark a run that stopped before it finished as failed, once (a conditional
    UPDATE: a still-running one, or stale as of `stale_before`), with what it had
    deleted in the access log; whether this call marked it."""
    with transaction.atomic():
        rows = RetentionRun.objects.filter(pk=run.pk, state=RetentionRun.State.RUNNING)
        if stale_before is not None:
            rows = rows.filter(heartbeat_at__lt=stale_before)
        if not rows.update(
            state=RetentionRun.State.FAILED, error=error, finished_at=timezone.now()
        ):
            return False
        run.refresh_from_db()
        if not run.dry_run:
            _log_counts(school, run, "privacy.retention.stopped")
    return True


def retention_run(
    *,
    school: School,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[RetentionRun], None] | None = None,
) -> RetentionRun:
    """Run the retention rules at `school` (RET-4), in its scope: delete what is due,
    except what a legal hold keeps (RET-3), recording the counts per category, never
    the contents, in the school's access log. With `dry_run`, nothing is deleted or
    sent: the run row holds the counts that would go. RetentionBusy if another run is
    deleting at the school now. A second run finds nothing more to delete. A run that
    died (no progress for STALE) is marked failed first, its counts logged."""
    now = now or timezone.now()
    stale_before = timezone.now() - STALE
    running = RetentionRun.objects.filter(state=RetentionRun.State.RUNNING)
    for dead in running.filter(heartbeat_at__lt=stale_before):
        _stopped(school, dead, STOPPED, stale_before=stale_before)
    if not dry_run:
        busy = running.filter(dry_run=False).order_by("started_at").first()
        if busy is not None:
            raise RetentionBusy(
                f"Another retention run has been deleting here since {busy.started_at:%H:%M}."
            )
    run = RetentionRun.objects.create(
        school=school, dry_run=dry_run, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    try:
        _carry_out(run, school, dry_run, now, progress)
    except Exception as error:
        _stopped(school, run, type(error).__name__, stale_before=None)
        run.refresh_from_db()
        raise
    return run


def _carry_out(
    run: RetentionRun,
    school: School,
    dry_run: bool,
    now: datetime,
    progress: Callable[[RetentionRun], None] | None,
) -> None:
    plan = retention_plan(school=school, now=now)
    people = plan.people
    run.progress_total = len(people) + 2  # and the log entries, and contract records
    run.held = plan.held_counts()
    run.save(update_fields=["progress_total", "held"])
    if progress:
        progress(run)
    if dry_run:
        run.counts = {**plan.counts(), "warned": len(plan.warnings)}
        _tick(run)
        _done(run)
    elif plan.school_due and _school_delete(run, school, plan):
        _done(run)
    else:
        counts = dict.fromkeys(R.RULES, 0)
        refused: dict[str, int] = {}
        rows_deleted = 0

        def so_far() -> dict[str, Any]:
            return {
                **counts,
                "rows_deleted": rows_deleted,
                **({"refused": refused} if refused else {}),
            }

        for done, (key, subject) in enumerate(people, start=1):
            # The person's erasure and the run's record of it: both or neither. (The
            # plan only reads: made first, it keeps SQLite's write lock short.)
            plan_of_one = _impact(school, subject)
            with transaction.atomic():
                outcome = _erase(school, subject, plan_of_one)
                if isinstance(outcome, ErasureOutcome):
                    counts[key] += 1
                    rows_deleted += outcome.rows_deleted
                elif outcome == "refused":
                    refused[key] = refused.get(key, 0) + 1
                run.counts = so_far()
                _tick(run, done)
            if progress:
                progress(run)
        with transaction.atomic():
            logs_cat = plan.categories[R.LOGS]
            assert logs_cat.cutoff is not None
            logs = log_addresses_redact(
                school_id=school.pk,
                before=_start_of_day_after(logs_cat.cutoff),
                dry_run=bool(plan.categories[R.LOGS].rows_held),
            )
            counts[R.LOGS] = logs.redacted
            if plan.categories[R.CONTRACTS].rows:
                counts[R.CONTRACTS], _ = TermsAcceptance.objects.all().delete()
            run.counts = so_far()
            _tick(run, len(people) + 2)
        warned = _warn(school, plan)
        with transaction.atomic():
            run.counts = {**so_far(), "warned": warned}
            _log_counts(school, run, "privacy.retention.run")
            _done(run)
    if progress:
        progress(run)


def _school_delete(run: RetentionRun, school: School, plan: RetentionPlan) -> bool:
    """Delete all of an ended school's data once its time is up (RET-1, TEN-1), its key
    too (RET-5); False when a legal hold stops it (RET-3), and the people no hold keeps
    are erased one by one instead. The deletion is one transaction, recorded in the
    platform's log (the school's own log goes with it)."""
    from markbook.schools.deletion import school_delete, school_deletion_plan

    deletion = school_deletion_plan(school)
    if deletion.refusals:
        return False
    days = plan.categories[R.SUBSCRIPTION_ENDED].days
    with transaction.atomic():
        outcome = school_delete(
            school=school,
            fingerprint=deletion.fingerprint,
            actor=None,
            reason=(
                f"its subscription ended more than {days} days ago, the period the school set"
                if days
                else "its subscription ended more than a year ago"
            ),
        )
        counts = dict.fromkeys(R.RULES, 0)
        counts[R.SUBSCRIPTION_ENDED] = len(plan.categories[R.SUBSCRIPTION_ENDED].people)
        run.counts = {**counts, "rows_deleted": outcome.rows, "warned": 0, "school_deleted": 1}
        _tick(run, run.progress_total)
    return True


def _done(run: RetentionRun) -> None:
    run.state, run.finished_at = RetentionRun.State.DONE, timezone.now()
    run.save(update_fields=["counts", "state", "finished_at"])


def _warn(school: School, plan: RetentionPlan) -> int:
    """List the accounts due soon (RET-1) and email the school's administrators once
    about the new ones; forget those signed in to since. How many are new."""
    due = {user.pk: on for user, on in plan.warnings}
    RetentionWarning.objects.exclude(user_id__in=due).delete()
    known = set(RetentionWarning.objects.values_list("user_id", flat=True))
    new = [(pk, on) for pk, on in due.items() if pk not in known]
    now = timezone.now()
    RetentionWarning.objects.bulk_create(
        [RetentionWarning(school=school, user_id=pk, due_on=on, warned_at=now) for pk, on in new]
    )
    if new:
        _email_admins(school, len(new), min(on for _, on in new))
    return len(new)


def _email_admins(school: School, count: int, first: date) -> None:
    admins = list(
        User.objects.filter(
            memberships__school=school,
            memberships__role=Membership.Role.SCHOOL_ADMIN,
            is_active=True,
        )
        .exclude(email="")
        .distinct()
        .values_list("email", flat=True)
    )
    if not admins:
        return
    link = settings.MARKBOOK_SITE_URL.rstrip("/") + reverse(
        "school_privacy:retention_due", kwargs={"school_id": school.pk}
    )
    rule = R.RULES[R.INACTIVE_ACCOUNTS]
    body = (
        f"{count} account{'s' if count != 1 else ''} at {school.name} "
        f"{'have' if count != 1 else 'has'} not been signed in to for almost "
        f"{rule.period} and will be deleted from {first:%-d %B %Y}, with the data "
        "held about them, unless someone signs in to them before then.\n\n"
        f"Who they are: {link}\n"
        "Signing in keeps an account. A legal hold keeps a person's data."
    )
    try:
        send_mail(
            subject=f"{school.name}: accounts to be deleted for not being used",
            message=body,
            from_email=None,
            recipient_list=admins,
        )
    except Exception:  # the list on the retention page still tells them
        logger.exception("retention warning email to school %s not sent", school.pk)


def subject_kind(subject: Subject) -> str:
    return "pupil" if isinstance(subject, Pupil) else "account"
