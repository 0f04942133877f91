"""Background tasks of the rights app, run by the django-tasks-db worker (`db_worker`).

A task is given ids only, and opens its school's scope itself (TEN-4).
"""

from django.tasks import task

from markbook.core.tenancy import school_scope
from markbook.rights.models import DataRequest
from markbook.schools.lifecycle import is_paused


@task()
def run_data_request(school_id: int, request_id: int, attempt: int | None = None) -> str:
    """Run one attempt of an approved data-subject request (DSR-9) in its school's
    scope; its stage afterwards. A task queued for an earlier attempt does nothing."""
    from markbook.rights.services import data_request_run

    if is_paused(school_id):
        return "paused"  # the school is suspended: queued again when it is lifted (ACC-6)
    with school_scope(school_id):
        request = DataRequest.objects.filter(pk=request_id).first()
        if request is None:
            return "missing"
        return data_request_run(data_request=request, attempt=attempt).stage
