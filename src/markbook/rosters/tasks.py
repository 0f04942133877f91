"""Background tasks of the rosters app, run by the django-tasks-db worker (`db_worker`).

A task is given ids only, and opens its school's scope itself (TEN-4).
"""

from django.tasks import task

from markbook.core.tenancy import school_scope
from markbook.rosters.imports.jobs import import_job_run
from markbook.rosters.models import ImportJob


@task()
def run_import_job(school_id: int, job_id: int) -> str:
    """Run one queued roster import (ROS-2, ROS-4) in its school's scope; its status."""
    with school_scope(school_id):
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None:
            return "missing"
        return import_job_run(job=job).status
