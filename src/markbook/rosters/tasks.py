"""Background tasks of the rosters app, run by the django-tasks-db worker (`db_worker`).

A task is given ids only, and opens its school's scope itself (TEN-4).
"""

from django.tasks import task

from markbook.core.tenancy import school_scope
from markbook.rosters.imports.jobs import import_job_run
from markbook.rosters.models import ImportJob
from markbook.schools.lifecycle import is_paused


@task()
def run_import_job(school_id: int, job_id: int, attempt: int | None = None) -> str:
    """Run one attempt of a queued roster import (ROS-2, ROS-4) in its school's scope;
    its status. A task queued before a retry names the attempt it was queued for, so it
    does nothing once the retry has queued the next one (tasks queued without an
    attempt run the job's current one)."""
    if is_paused(school_id):
        return "paused"  # the school is suspended: queued again when it is lifted (ACC-6)
    with school_scope(school_id):
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None:
            return "missing"
        return import_job_run(job=job, attempt=attempt).status


@task()
def run_roster_delete(school_id: int, actor_id: int | None = None) -> str:
    """Delete a large roster in batches (DSR-7), each committed, in the school's scope;
    run again, it resumes with the pupils left. "done", or "refused" (a legal hold
    placed meanwhile, or no deletion under way)."""
    from django.core.exceptions import ValidationError

    from markbook.accounts.models import User
    from markbook.rosters.services import roster_delete_batch
    from markbook.schools.models import School

    if is_paused(school_id):
        return "paused"  # the school is suspended: queued again when it is lifted (ACC-6)
    with school_scope(school_id):
        school = School.objects.get(pk=school_id)
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        try:
            while roster_delete_batch(actor=actor, school=school):
                pass
        except ValidationError:
            return "refused"
    return "done"
