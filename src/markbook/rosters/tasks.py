"""Background tasks of the rosters app, run by the django-tasks-db worker (`db_worker`).

A task is given ids only, and opens its school's scope itself (TEN-4).
"""

from django.tasks import task

from markbook.core.tenancy import school_scope
from markbook.rosters.imports.jobs import import_job_run
from markbook.rosters.models import ImportJob


@task()
def run_import_job(school_id: int, job_id: int, attempt: int | None = None) -> str:
    """Run one attempt of a queued roster import (ROS-2, ROS-4) in its school's scope;
    its status. A task queued before a retry names the attempt it was queued for, so it
    does nothing once the retry has queued the next one (tasks queued without an
    attempt run the job's current one)."""
    with school_scope(school_id):
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None:
            return "missing"
        return import_job_run(job=job, attempt=attempt).status
