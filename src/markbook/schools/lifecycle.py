"""A school's subscription lifecycle (TEN-1) and what its emergency suspension (ACC-6)
lets through: the rules, the platform staff's state changes and the deletion reminders.

States (`School.Status`), changed by platform staff with a recorded reason
(`school_status_change`, the `markbook school_status` command):

- trial, active: everyone uses the school as their roles allow.
- suspended (the subscription, say unpaid): only the school's administrators may sign
  in and use it; everyone else is told so, at sign-in and on every page.
- ended: read-only for its administrators, who can still sign in, read every page and
  export data (the subject access exports; signing out and changing their password are
  not school pages, so they work anyway), and suspend it in an emergency; every other write on the school's pages and
  API is refused, saying the subscription has ended. Nobody else can use it. Its data
  is deleted a year after the end date (`deletion_due_on`; the retention engine then
  calls schools.deletion, which deletes it and its key), and its administrators are reminded by email
  90, 30 and 7 days before (`deletion_reminders_send`, the hourly
  `markbook schools_lifecycle_sweep`).

Emergency suspension (schools.suspension) is separate from the state, so lifting it
returns the school to whatever state it was in. While it lasts only the school's
administrators get in, signed in again after it, and only to the suspension page,
to lift it; every background task of the school waits (`is_paused`).
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core.tenancy import school_scope
from markbook.schools.models import School

logger = logging.getLogger(__name__)

Status = School.Status

# The platform staff's transitions (TEN-1): an ended school can be renewed before its
# data goes; nothing returns to trial.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.TRIAL: (Status.ACTIVE, Status.SUSPENDED, Status.ENDED),
    Status.ACTIVE: (Status.SUSPENDED, Status.ENDED),
    Status.SUSPENDED: (Status.ACTIVE, Status.ENDED),
    Status.ENDED: (Status.ACTIVE,),
}
REASON_MAX = 500
# An ended school's data is kept this long after the end date, then deleted.
KEPT_AFTER_END_YEARS = 1
# Reminders to the administrators of an ended school, days before its data is deleted.
REMINDER_DAYS = (90, 30, 7)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


# --- Reads ------------------------------------------------------------------


def is_paused(school_id: int) -> bool:
    """Whether background work for the school waits (ACC-6): while its administrators
    have suspended it in an emergency. Every task entry point and sweep asks this
    first and does nothing for a paused school; lifting the suspension queues the
    waiting work again (schools.suspension)."""
    return School.objects.filter(pk=school_id, emergency_suspended_at__isnull=False).exists()


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year + years, day=28)


def deletion_due_on(school: School) -> date | None:
    """The day an ended school's data is due to be deleted: a year after its end date
    (TEN-1); None for a school that has not ended. The retention engine deletes it
    then (schools.deletion)."""
    if school.status != Status.ENDED or school.ended_on is None:
        return None
    return _years_later(school.ended_on, KEPT_AFTER_END_YEARS)


def end_date(school: School) -> date | None:
    """The subscription's end: the day it ended, or the day it is due to end."""
    return school.ended_on or school.subscription_ends


def credentials_stale(school: School, issued_at: datetime) -> bool:
    """Whether a session signed in, or an API token made, at `issued_at` was ended by
    the school's emergency suspension (ACC-6): issued before `sessions_valid_after`."""
    return school.sessions_valid_after is not None and issued_at <= school.sessions_valid_after


def _rest(path: str, school_id: int) -> str:
    """The part of a school page's or API operation's path after the school."""
    for prefix in (f"/s/{school_id}/", f"/api/schools/{school_id}/"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def is_suspension_route(path: str, school_id: int) -> bool:
    """The suspension page and its API operations: all an administrator reaches while
    the school is suspended in an emergency (ACC-6)."""
    rest = _rest(path, school_id)
    return rest.startswith("settings/suspension/") or rest.startswith("suspension")


def is_export_route(path: str, school_id: int) -> bool:
    """The subject access exports' pages and API (DSR-2): an ended school's
    administrators may still ask for and download exports."""
    rest = _rest(path, school_id)
    return rest.startswith("privacy/exports/") or rest.startswith("data-exports")


@dataclass(frozen=True)
class Refusal:
    """Why this request may not use the school now. `to_suspension`: an administrator
    of a suspended school, to be sent to the suspension page."""

    message: str
    to_suspension: bool = False


def suspended_message(school: School) -> str:
    return (
        f"{school.name} has been suspended by its administrators, so nobody can use "
        "Markbook there for now. Please speak to your school."
    )


ADMIN_ROLES = ("school_admin", "trust_admin")


def admission_refusal(
    school: School, *, roles: Collection[str], method: str, path: str
) -> Refusal | None:
    """Whether the school's state lets this request through (TEN-1, ACC-6): the user's
    `roles` in the school, the request's `method` and `path`. None lets it through.
    A trust administrator counts as an administrator of the subscription, but only the
    school's own administrators may reach an emergency suspension (to lift it)."""
    admin = any(role in ADMIN_ROLES for role in roles)
    if school.emergency_suspended_at is not None:
        if "school_admin" not in roles:
            return Refusal(suspended_message(school))
        if is_suspension_route(path, school.pk):
            return None
        return Refusal(
            f"{school.name} is suspended: only its suspension page is open until an "
            "administrator lifts the suspension.",
            to_suspension=True,
        )
    if school.status == Status.SUSPENDED:
        if admin:
            return None
        return Refusal(
            f"The subscription of {school.name} is suspended, so only its administrators "
            "can use Markbook for now. Please speak to your school."
        )
    if school.status == Status.ENDED:
        if not admin:
            return Refusal(
                f"The subscription of {school.name} has ended, so Markbook is no longer "
                "available there. Please speak to your school."
            )
        if method.upper() in SAFE_METHODS or is_export_route(path, school.pk):
            return None
        if is_suspension_route(path, school.pk):
            return None  # an emergency still needs stopping: exports read everything
        return Refusal(
            f"The subscription of {school.name} has ended, so nothing can be changed: "
            "Markbook is read-only. You can still read every page and export data"
            + (
                f" until {due:%-d %B %Y}, when it is deleted."
                if (due := deletion_due_on(school))
                else "."
            )
        )
    return None


def signin_refusal(school: School, *, roles: Collection[str]) -> str | None:
    """Why someone with these `roles` in the school may not sign in to it now (TEN-1,
    ACC-6), or None: administrators may sign in to a suspended or ended subscription,
    and the school's own administrators to an emergency suspension, to lift it; nobody
    else."""
    if school.emergency_suspended_at is not None:
        return None if "school_admin" in roles else suspended_message(school)
    if any(role in ADMIN_ROLES for role in roles):
        return None
    if school.status == Status.SUSPENDED:
        return (
            f"The subscription of {school.name} is suspended, so only its administrators "
            "can sign in for now. Please speak to your school."
        )
    if school.status == Status.ENDED:
        return (
            f"The subscription of {school.name} has ended, so nobody but its "
            "administrators can sign in. Please speak to your school."
        )
    return None


def school_admins(school: School) -> list[User]:
    """The school's administrators (memberships), for its emails."""
    with school_scope(school):
        return list(
            User.objects.filter(
                memberships__school=school,
                memberships__role=Membership.Role.SCHOOL_ADMIN,
                is_active=True,
            )
            .distinct()
            .order_by("pk")
        )


def admins_email(school: School, *, subject: str, body: str) -> int:
    """Email the school's administrators once the transaction commits; how many."""
    addresses = [u.email for u in school_admins(school) if u.email]
    if not addresses:
        return 0
    from django.core.mail import send_mail

    def send() -> None:
        for address in addresses:
            try:
                send_mail(subject=subject, message=body, from_email=None, recipient_list=[address])
            except Exception:  # the access log still records it; the page shows it
                logger.exception("school %s email %r not sent", school.pk, subject)

    transaction.on_commit(send)
    return len(addresses)


# --- Platform staff change the state (TEN-1) -----------------------------------------


_UNSET = object()


@transaction.atomic
def school_status_change(
    *,
    actor: User,
    school: School,
    status: str,
    reason: str,
    trial_ends: date | object | None = _UNSET,
    subscription_ends: date | object | None = _UNSET,
    ended_on: date | None = None,
) -> School:
    """Move a school to another state of its subscription, for a reason (TEN-1):
    platform staff only; the same state again changes only the dates (a renewal's new
    end date). The dates sent are changed with it (None clears one); ending
    records the end date (`ended_on`, today unless given), from which its data is
    deleted a year later; renewing an ended school clears it. Audited on the school's
    own chain as `schools.status.changed`, so the school sees who, when and why. The
    same state and dates again change nothing and record nothing (a form saved
    unchanged), reason or not."""
    if not actor.is_platform_staff:
        raise ValidationError({"actor": ["Only Markbook's platform staff change a subscription."]})
    if status not in Status.values:
        raise ValidationError(
            {"status": [f"{status!r} is not a state: {', '.join(Status.values)}."]}
        )
    school = School.objects.select_for_update().get(pk=school.pk)
    old = school.status
    if (
        status == old
        and trial_ends in (_UNSET, school.trial_ends)
        and subscription_ends in (_UNSET, school.subscription_ends)
        and ended_on in (None, school.ended_on)
    ):
        return school
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Give the reason for the change; it is recorded."]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"The reason is at most {REASON_MAX} characters."]})
    if status != old and status not in TRANSITIONS[old]:
        allowed = ", ".join(TRANSITIONS[old])
        raise ValidationError(
            {"status": [f"A school that is {old} can become {allowed}, not {status}."]}
        )
    changed = ["status"]
    school.status = status
    if trial_ends is not _UNSET:
        school.trial_ends = trial_ends  # type: ignore[assignment]
        changed.append("trial_ends")
    if subscription_ends is not _UNSET:
        school.subscription_ends = subscription_ends  # type: ignore[assignment]
        changed.append("subscription_ends")
    if status == Status.ENDED and old != Status.ENDED:
        today = timezone.localdate()
        school.ended_on = ended_on or today
        if school.ended_on > today:
            raise ValidationError({"ended_on": ["The end date cannot be in the future."]})
        changed.append("ended_on")
    elif old == Status.ENDED:
        school.ended_on = None
        changed.append("ended_on")
    school.save(update_fields=changed)
    audit.record(
        actor=actor,
        school=school,
        action="schools.status.changed",
        target=school,
        data={
            "old": old,
            "new": status,
            "reason": reason,
            "trial_ends": _iso(school.trial_ends),
            "subscription_ends": _iso(school.subscription_ends),
            "ended_on": _iso(school.ended_on),
        },
    )
    return school


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# --- Deletion reminders (TEN-1) ---------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    school_id: int
    days_before: int
    deletion_on: date
    recipients: int


def _reminder_key(due: date, days: int) -> str:
    """How a sent reminder is kept in `School.deletion_reminders_sent`."""
    return f"{due.isoformat()}:{days}"


def reminders_sent(school: School) -> list[tuple[date, int]]:
    """The deletion reminders already emailed, newest first: (deletion day, days before)."""
    sent = []
    for entry in school.deletion_reminders_sent:
        day, _, days = str(entry).partition(":")
        try:
            sent.append((date.fromisoformat(day), int(days)))
        except ValueError:
            continue
    return sorted(sent, reverse=True)


def _reminder_due(school: School, today: date) -> int | None:
    """The reminder an ended school is owed today (90, 30 or 7 days before its data
    is deleted), or None: the tightest one reached and not sent yet."""
    due = deletion_due_on(school)
    if due is None:
        return None
    left = (due - today).days
    if left <= 0:
        return None  # the retention engine's turn
    sent = set(school.deletion_reminders_sent)
    reached = [d for d in REMINDER_DAYS if left <= d]
    if not reached:
        return None
    tightest = min(reached)
    if _reminder_key(due, tightest) in sent:
        return None
    return tightest


def deletion_reminders_send(*, today: date | None = None) -> list[Reminder]:
    """Email the administrators of each ended school 90, 30 and 7 days before its data
    is deleted (TEN-1), each reminder once: the sweep may run every hour, twice at
    once, or miss days (then only the tightest reminder reached goes, and the earlier
    ones count as sent). `today` fixes the date (tests, a late run)."""
    today = today or timezone.localdate()
    sent: list[Reminder] = []
    for school_id in School.objects.filter(status=Status.ENDED, ended_on__isnull=False).values_list(
        "pk", flat=True
    ):
        reminder = _reminder_send(school_id, today)
        if reminder is not None:
            sent.append(reminder)
    return sent


@transaction.atomic
def _reminder_send(school_id: int, today: date) -> Reminder | None:
    school = School.objects.select_for_update().get(pk=school_id)  # one sender at a time
    days = _reminder_due(school, today)
    if days is None:
        return None
    due = deletion_due_on(school)
    assert due is not None
    school.deletion_reminders_sent = [
        *school.deletion_reminders_sent,
        *(_reminder_key(due, d) for d in REMINDER_DAYS if d >= days),
    ]
    school.save(update_fields=["deletion_reminders_sent"])
    body = (
        f"The subscription of {school.name} to Markbook ended on {school.ended_on:%-d %B %Y}.\n\n"
        f"All of the school's data in Markbook will be deleted on {due:%-d %B %Y}, "
        f"in {days} days. Until then administrators can still sign in, read it and "
        "export it. To keep using Markbook, renew the subscription before that date.\n"
    )
    recipients = admins_email(
        school, subject=f"{school.name}: Markbook data deleted in {days} days", body=body
    )
    audit.record(
        actor=None,
        school=school,
        action="schools.deletion_reminder.sent",
        target=school,
        data={"days_before": days, "deletion_on": due.isoformat(), "recipients": recipients},
    )
    return Reminder(school.pk, days, due, recipients)
