"""Emergency suspension of a whole school by its administrators (ACC-6).

Suspending, in one confirmed action (the school's name typed):

- every session and API token of the school's users stops working at their next
  request: the school's `sessions_valid_after` becomes now, and admission refuses a
  session signed in, or a token made, before it (accounts.sessions). Someone who also
  belongs to another school keeps that one (their session goes on there, signed out
  of this one); the API tokens of those who belong to no other school are revoked.
- the pupil sign-in address is rotated to a new secret one: the old address is
  simply not found.
- background work for the school waits (`lifecycle.is_paused`).
- the school's administrators may still get in, after signing in again, and reach only
  the suspension page, where one of them lifts it (a second recorded action).

Both are recorded in the school's access log and emailed to its administrators.
Lifting queues again the background work that waited (queued imports, approved
data-protection requests, exports being prepared, a roster deletion under way).
Sessions from before the suspension stay ended after it is lifted.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import ApiToken, Membership, User
from markbook.audit import services as audit
from markbook.core.tenancy import all_schools, school_scope
from markbook.schools.lifecycle import admins_email
from markbook.schools.models import School, TrustAdmin, new_signin_slug

REASON_MAX = 500


def _only_here(school: School) -> list[int]:
    """Ids of the school's users who belong to no other school and no trust."""
    with all_schools():
        here = set(Membership.objects.filter(school=school).values_list("user_id", flat=True))
        elsewhere = set(
            Membership.objects.filter(user_id__in=here)
            .exclude(school=school)
            .values_list("user_id", flat=True)
        )
    elsewhere |= set(TrustAdmin.objects.filter(user_id__in=here).values_list("user_id", flat=True))
    return sorted(here - elsewhere)


@transaction.atomic
def school_suspend(*, actor: User, school: School, confirm_name: str, reason: str = "") -> School:
    """Suspend the whole school at once (ACC-6): sessions and tokens end, the pupil
    sign-in address changes, background work waits. `confirm_name` must be the
    school's name, typed. The caller has checked the actor is an administrator of the
    school. Audited as `schools.school.suspended`; the administrators are emailed."""
    if not school.is_named(confirm_name):
        raise ValidationError(
            {"confirm_name": [f"Type the school's name, {school.name}, to suspend it."]}
        )
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"The reason is at most {REASON_MAX} characters."]})
    school = School.objects.select_for_update().get(pk=school.pk)
    if school.emergency_suspended_at is not None:
        raise ValidationError({"school": [f"{school.name} is suspended already."]})
    now = timezone.now()
    school.emergency_suspended_at = now
    school.sessions_valid_after = now
    school.signin_slug = new_signin_slug()
    school.save(update_fields=["emergency_suspended_at", "sessions_valid_after", "signin_slug"])
    revoked = ApiToken.objects.filter(
        user_id__in=_only_here(school), revoked_at__isnull=True
    ).update(revoked_at=now)
    with school_scope(school):
        audit.record(
            actor=actor,
            school=school,
            action="schools.school.suspended",
            target=school,
            data={"reason": reason, "api_tokens_revoked": revoked},
        )
    admins_email(
        school,
        subject=f"{school.name} has been suspended in Markbook",
        body=(
            f"{actor.display_name} suspended {school.name} in Markbook at "
            f"{timezone.localtime(now):%H:%M on %-d %B %Y}"
            + (f", giving this reason: {reason}" if reason else "")
            + ".\n\nEveryone was signed out and the pupil sign-in address was changed. "
            "Nobody but the school's administrators can sign in until an administrator "
            "lifts the suspension on the school's suspension page.\n\n"
            "If you did not expect this, speak to your colleagues at once.\n"
        ),
    )
    return school


@transaction.atomic
def school_suspension_lift(*, actor: User, school: School, reason: str = "") -> School:
    """Lift the school's emergency suspension (ACC-6): people may sign in again (with
    the new pupil sign-in address), and the background work that waited is queued
    again. Audited as `schools.school.suspension_lifted`; the administrators are
    emailed."""
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"The reason is at most {REASON_MAX} characters."]})
    school = School.objects.select_for_update().get(pk=school.pk)
    since = school.emergency_suspended_at
    if since is None:
        raise ValidationError({"school": [f"{school.name} is not suspended."]})
    school.emergency_suspended_at = None
    school.save(update_fields=["emergency_suspended_at"])
    with school_scope(school):
        audit.record(
            actor=actor,
            school=school,
            action="schools.school.suspension_lifted",
            target=school,
            data={"reason": reason, "suspended_minutes": _minutes_since(since)},
        )
    admins_email(
        school,
        subject=f"The suspension of {school.name} has been lifted in Markbook",
        body=(
            f"{actor.display_name} lifted the suspension of {school.name} in Markbook"
            + (f", giving this reason: {reason}" if reason else "")
            + ".\n\nPeople can sign in again. Pupils sign in at the new address shown in "
            "the school's settings: the old one no longer works.\n"
        ),
    )
    school_id = school.pk
    transaction.on_commit(lambda: work_resume(school_id))
    return school


def _minutes_since(moment: datetime) -> int:
    return int((timezone.now() - moment).total_seconds() // 60)


def work_resume(school_id: int) -> dict[str, int]:
    """Queue again the school's background work that waited while it was suspended
    (ACC-6): each task does nothing twice (they claim their work conditionally), so
    queueing one still waiting in the queue is harmless. What was queued, by kind."""
    from markbook.privacy.export.services import export_enqueue
    from markbook.privacy.models import ExportArchive
    from markbook.rights.models import DataRequest
    from markbook.rights.services import data_request_enqueue
    from markbook.rosters.imports.jobs import import_job_enqueue
    from markbook.rosters.models import ImportJob
    from markbook.rosters.services.deletions import roster_delete_progress
    from markbook.rosters.tasks import run_roster_delete

    queued = {"imports": 0, "requests": 0, "exports": 0, "roster_deletion": 0}
    with school_scope(school_id):
        school = School.objects.get(pk=school_id)
        for job in ImportJob.objects.filter(status=ImportJob.Status.QUEUED):
            import_job_enqueue(job)
            queued["imports"] += 1
        for request in DataRequest.objects.filter(stage=DataRequest.Stage.APPROVED, by_hand=False):
            data_request_enqueue(request)
            queued["requests"] += 1
        for archive in ExportArchive.objects.filter(state=ExportArchive.State.QUEUED):
            export_enqueue(archive)
            queued["exports"] += 1
        if roster_delete_progress(school=school) is not None:
            run_roster_delete.enqueue(school_id, None)
            queued["roster_deletion"] = 1
    return queued
